package io.rmiq.server.python;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.serial.SerialLimits;
import io.rmiq.server.admission.Admission;
import io.rmiq.server.admission.ConnectionLimits;
import io.rmiq.server.admission.PeerGuard;
import io.rmiq.server.journal.Journal;
import io.rmiq.server.journal.ProducerWindow;
import io.rmiq.server.store.embedded.IdempotentPuts;
import io.rmiq.server.store.QueueStore;
import io.rmiq.server.store.Store;
import io.rmiq.server.store.embedded.LocalQueue;
import io.rmiq.server.store.embedded.MemoryBudget;
import io.rmiq.server.queue.QueueConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WarmUpTest {

    /** What CPython 3.11's ForkingPickler sends for each request (printed by it, not written by hand). */
    @Test
    void requestsAreCPythonsOwnBytes() {
        assertArrayEquals(hex("80049519000000000000002"
                + "88c067761726d7570948c03707574944b04859 47d947494 2e"), WarmUp.put("warmup", 4));
        assertArrayEquals(hex("8004951a00000000000000288c067761726d7570948c03707574944d010185947d9474942e"), WarmUp.put("warmup", 1));
        assertArrayEquals(hex("8004951c00000000000000288c067761726d7570948c03707574944a42420f0085947d9474942e"), WarmUp.put("warmup", 2));
        assertArrayEquals(hex("8004951e00000000000000288c067761726d7570948c03707574948c047461736b9485947d9474942e"),
                WarmUp.put("warmup", 3));
        assertArrayEquals(hex("80049523000000000000002 88c067761726d7570948c036765749429 7d948c0774696d656f7574944b0a7374942e"),
                WarmUp.get("warmup"));
    }

    @Test
    void runsItsPairsOnItsPrivateQueueAndLeavesTheServersQueuesAlone() throws Exception {
        LocalQueue tasks = queue("tasks");
        // A served queue that happens to share the warm-up's name must not see its items either.
        LocalQueue served = queue(WarmUp.QUEUE);
        LocalQueue scratch = queue(WarmUp.QUEUE);
        AtomicBoolean cleanedUp = new AtomicBoolean();
        List<String> scratches = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (PythonEndpoint endpoint = new PythonEndpoint(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Map.of("tasks", tasks, WarmUp.QUEUE, served), new byte[32], 1, 5_000, new Admission(io.rmiq.serial.AllowList.defaults(), SerialLimits.PAYLOAD),
                new PeerGuard(ConnectionLimits.DEFAULTS), name -> {
                    scratches.add(name);
                    return new Store.Scratch() {
                        @Override
                        public QueueStore queue() {
                            return scratch;
                        }

                        @Override
                        public void close() {
                            cleanedUp.set(true);
                        }
                    };
                })) {
            int pairs = endpoint.warmUp().get(60, TimeUnit.SECONDS);
            assertTrue(pairs > 0, "pairs done: " + pairs);
            assertEquals(pairs, scratch.stats().puts());
            assertEquals(0, scratch.size());
            assertTrue(cleanedUp.get());
            assertEquals(List.of("warmup", "warmup-2", "warmup-3", "warmup-4"), scratches);
            assertEquals(0, tasks.stats().puts());
            assertEquals(0, served.stats().puts());
        }
    }

    private static LocalQueue queue(String name) {
        return new LocalQueue(QueueConfig.of(name), Journal.NONE, new AtomicLong(1), System::currentTimeMillis, null,
                null, MemoryBudget.unlimited(), new IdempotentPuts(new ProducerWindow(), false));
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }
}
