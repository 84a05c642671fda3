package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DeadLetter;
import io.rmiq.api.Delivery;
import io.rmiq.api.DistributedQueue;
import io.rmiq.api.QueueStats;
import io.rmiq.api.NoSuchQueueException;
import io.rmiq.api.ServerShutdownException;
import io.rmiq.server.QueueServer;
import io.rmiq.server.queue.QueueConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The queue semantics, run against every front end (the in-process handles of an embedded server, a
 * real client over 127.0.0.1) on every store (the embedded one in memory and with its journal): all
 * must behave the same. A new store is done when a subclass per front end passes.
 */
abstract class QueueContractTest {

    static final String KEY = "contract-test-key";
    QueueServer server;
    final List<AutoCloseable> closeables = new ArrayList<>();

    /** A handle on the named queue of {@link #server}. */
    abstract <E> DistributedQueue<E> queue(String name);

    @BeforeEach
    void startServer() throws Exception {
        server = store(QueueServer.builder().port(0).bind("127.0.0.1").authkey(KEY)
                .queue("tasks").queue("results").queue("small", 2)
                .queue(new QueueConfig("short", Integer.MAX_VALUE, 300, 5))
                .queue(new QueueConfig("flaky", Integer.MAX_VALUE, 30_000, 2))).start();
    }

    /** Picks the store the contract runs against; the embedded store in memory unless overridden. */
    QueueServer.Builder store(QueueServer.Builder builder) {
        return builder;
    }

    @AfterEach
    void stopServer() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        server.close();
    }

    @Test
    void putThenGet_returnsItemsInOrder() throws Exception {
        DistributedQueue<Object> q = queue("tasks");
        q.put(1);
        q.put("two");
        q.put(List.of(3L, 9L));
        assertEquals(3, q.size());
        assertEquals(1, q.get());
        assertEquals("two", q.get());
        assertEquals(List.of(3L, 9L), q.get());
        assertEquals(0, q.size());
    }

    @Test
    void poll_onEmptyQueue_returnsNullAfterTheTimeout() throws Exception {
        DistributedQueue<Integer> q = queue("tasks");
        long start = System.nanoTime();
        assertNull(q.poll(Duration.ofMillis(300)));
        long waitedMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(waitedMillis >= 290, "returned after " + waitedMillis + " ms");
    }

    @Test
    void poll_withZeroTimeout_returnsAtOnce() throws Exception {
        DistributedQueue<Integer> q = queue("tasks");
        assertNull(q.poll(Duration.ZERO));
        q.put(7);
        assertEquals(7, q.poll(Duration.ZERO));
    }

    @Test
    void offer_onFullQueue_returnsFalseAfterTheTimeout() throws Exception {
        DistributedQueue<Integer> q = queue("small");
        assertTrue(q.offer(1, Duration.ZERO));
        assertTrue(q.offer(2, Duration.ZERO));
        assertFalse(q.offer(3, Duration.ofMillis(200)));
        assertEquals(2, q.size());
    }

    @Test
    void put_atCapacity_blocksUntilAConsumerTakes() throws Exception {
        DistributedQueue<Integer> q = queue("small");
        q.put(1);
        q.put(2);
        CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
            try {
                q.put(3);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !blocked.isDone());
        assertEquals(1, q.get());
        blocked.get(5, TimeUnit.SECONDS);
        assertEquals(List.of(2, 3), q.take(10, Duration.ZERO));
    }

    @Test
    void putAll_andTake_moveBatchesInOrder() throws Exception {
        DistributedQueue<Integer> q = queue("tasks");
        List<Integer> items = IntStream.range(0, 2_500).boxed().toList();
        q.putAll(items);
        assertEquals(2_500, q.size());
        List<Integer> first = q.take(1_000, Duration.ofSeconds(1));
        assertEquals(items.subList(0, 1_000), first);
        List<Integer> rest = new ArrayList<>();
        while (rest.size() < 1_500) {
            rest.addAll(q.take(700, Duration.ofSeconds(1)));
        }
        assertEquals(items.subList(1_000, 2_500), rest);
    }

    @Test
    void putAll_ofNothing_isANoOp() throws Exception {
        DistributedQueue<Integer> q = queue("tasks");
        q.putAll(List.of());
        assertEquals(0, q.size());
    }

    @Test
    void batchesLargerThanOneFrame_crossInSeveralCalls_inOrder() throws Exception {
        // 24 MiB each way: more than a consumer's filter admits as one array, so the server must cut
        // what it returns, and the client what it sends, into frames.
        DistributedQueue<byte[]> q = queue("tasks");
        List<byte[]> items = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            byte[] item = new byte[1 << 20];
            item[0] = (byte) i;
            items.add(item);
        }
        q.putAll(items);
        q.putAll(items);
        assertEquals(48, q.size());
        List<byte[]> taken = q.take(100, Duration.ofSeconds(5));
        assertTrue(taken.size() > 1 && taken.size() < 24, "one frame's worth: " + taken.size());
        List<Delivery<byte[]>> leased = new ArrayList<>();
        while (taken.size() < 24) {
            taken.addAll(q.take(24 - taken.size(), Duration.ofSeconds(5)));
        }
        while (leased.size() < 24) {
            leased.addAll(q.receive(100, Duration.ofSeconds(5)));
        }
        for (int i = 0; i < 24; i++) {
            assertEquals((byte) i, taken.get(i)[0]);
            assertEquals((byte) i, leased.get(i).payload()[0]);
        }
        assertEquals(24, q.ack(leased));
        assertEquals(0, q.size());
    }

    @Test
    void putAll_intoABoundedQueue_waitsForRoomBatchByBatch() throws Exception {
        DistributedQueue<Integer> q = queue("small");
        CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
            try {
                q.putAll(List.of(1, 2, 3, 4, 5));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        List<Integer> got = new ArrayList<>();
        while (got.size() < 5) {
            got.addAll(q.take(5, Duration.ofSeconds(5)));
        }
        producer.get(5, TimeUnit.SECONDS);
        assertEquals(List.of(1, 2, 3, 4, 5), got);
    }

    @Test
    void take_withNothingArriving_returnsEmptyList() throws Exception {
        DistributedQueue<Integer> q = queue("tasks");
        assertTrue(q.take(5, Duration.ofMillis(100)).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> q.take(0, Duration.ZERO));
    }

    @Test
    void manyProducersAndConsumers_move100kItems_withNoLossAndNoDuplicate() throws Exception {
        DistributedQueue<Integer> q = queue("tasks");
        int producers = 4;
        int consumers = 4;
        int perProducer = 25_000;
        int total = producers * perProducer;
        ExecutorService pool = Executors.newFixedThreadPool(producers + consumers);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int base = p * perProducer;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perProducer; i += 500) {
                        int from = base + i;
                        q.putAll(IntStream.range(from, from + 500).boxed().toList());
                    }
                    return null;
                }));
            }
            BitSet seen = new BitSet(total);
            int[] duplicates = {0};
            int[] received = {0};
            for (int c = 0; c < consumers; c++) {
                futures.add(pool.submit(() -> {
                    while (true) {
                        List<Integer> got = q.take(300, Duration.ofMillis(500));
                        synchronized (seen) {
                            for (int v : got) {
                                if (seen.get(v)) {
                                    duplicates[0]++;
                                }
                                seen.set(v);
                                received[0]++;
                            }
                            if (received[0] >= total) {
                                return null;
                            }
                        }
                    }
                }));
            }
            assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                for (Future<?> f : futures) {
                    f.get();
                }
            });
            assertEquals(0, duplicates[0]);
            assertEquals(total, seen.cardinality());
            assertEquals(0, q.size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void get_whenServerStops_isReleasedWithShutdownError() throws Exception {
        DistributedQueue<Integer> q = queue("tasks");
        CompletableFuture<Throwable> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                q.get();
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !waiter.isDone());
        server.close();
        Throwable t = waiter.get(10, TimeUnit.SECONDS);
        assertInstanceOf(ServerShutdownException.class, t);
    }

    @Test
    void get_whenInterrupted_endsWithinOneSlice() throws Exception {
        DistributedQueue<Integer> q = queue("tasks");
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                q.get();
                result.complete(null);
            } catch (Throwable e) {
                result.complete(e);
            }
        });
        t.start();
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(t::isAlive);
        t.interrupt();
        assertInstanceOf(InterruptedException.class, result.get(15, TimeUnit.SECONDS));
    }

    @Test
    void queue_withUnknownName_namesItAndListsTheOthers() {
        NoSuchQueueException e = assertThrows(NoSuchQueueException.class, () -> queue("nope"));
        assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains("results, results.dead"),
                e.getMessage());
        assertEquals(List.of("flaky", "flaky.dead", "results", "results.dead", "short", "short.dead", "small",
                "small.dead", "tasks", "tasks.dead"), e.existing());
    }

    @Test
    void receive_thenAck_finishesTheTask() throws Exception {
        DistributedQueue<String> q = queue("tasks");
        q.put("job");
        List<Delivery<String>> got = q.receive(10, Duration.ofSeconds(1));
        assertEquals(1, got.size());
        Delivery<String> d = got.get(0);
        assertEquals("job", d.payload());
        assertEquals(1, d.attempt());
        assertTrue(d.leaseDeadline().isAfter(java.time.Instant.now()));
        assertEquals(0, q.size());
        assertEquals(1, stats("tasks").inFlight());
        assertTrue(d.ack());
        assertEquals(0, stats("tasks").inFlight());
        assertFalse(d.ack(), "a second ack finds no lease");
        assertTrue(q.receive(1, Duration.ofMillis(100)).isEmpty());
    }

    @Test
    void leaseThatRunsOut_bringsTheTaskBackWithTheNextAttempt() throws Exception {
        DistributedQueue<String> q = queue("short");
        q.put("slow job");
        Delivery<String> first = q.receive(1, Duration.ofSeconds(1)).get(0);
        List<Delivery<String>> again = q.receive(1, Duration.ofSeconds(10));
        assertEquals(1, again.size());
        assertEquals(first.id(), again.get(0).id());
        assertEquals(2, again.get(0).attempt());
        assertFalse(first.ack(), "the first lease is gone");
        assertTrue(again.get(0).ack());
    }

    @Test
    void extend_keepsTheLeaseAlivePastItsTime() throws Exception {
        DistributedQueue<String> q = queue("short");
        q.put("long job");
        Delivery<String> d = q.receive(1, Duration.ofSeconds(1)).get(0);
        for (int i = 0; i < 5; i++) {
            await().pollDelay(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1)).until(() -> true);
            assertTrue(d.extend());
        }
        assertEquals(0, q.size(), "never redelivered while extended");
        assertEquals(1, q.ack(List.of(d)));
    }

    @Test
    void nack_givesTheTaskBackAtTheHead_orAfterADelay() throws Exception {
        DistributedQueue<String> q = queue("tasks");
        q.putAll(List.of("a", "b"));
        Delivery<String> a = q.receive(1, Duration.ofSeconds(1)).get(0);
        a.nack("not now");
        Delivery<String> again = q.receive(1, Duration.ofSeconds(1)).get(0);
        assertEquals("a", again.payload());
        assertEquals(2, again.attempt());
        again.nack("later", Duration.ofMillis(500));
        assertEquals("b", q.receive(1, Duration.ofSeconds(1)).get(0).payload());
        long start = System.nanoTime();
        Delivery<String> late = q.receive(1, Duration.ofSeconds(5)).get(0);
        assertEquals("a", late.payload());
        assertTrue((System.nanoTime() - start) / 1_000_000 >= 300, "the delay was honoured");
    }

    @Test
    void taskThatKeepsFailing_movesToTheDeadLetterQueue_withTheReason() throws Exception {
        DistributedQueue<Integer> q = queue("flaky");
        q.put(13);
        for (int attempt = 1; attempt <= 2; attempt++) {
            Delivery<Integer> d = q.receive(1, Duration.ofSeconds(1)).get(0);
            assertEquals(attempt, d.attempt());
            d.nack("boom " + attempt);
        }
        assertTrue(q.receive(1, Duration.ofMillis(200)).isEmpty());
        DistributedQueue<DeadLetter> dead = queue("flaky.dead");
        DeadLetter letter = dead.poll(Duration.ofSeconds(2));
        assertEquals("flaky", letter.queue());
        assertEquals(2, letter.attempts());
        assertEquals("boom 2", letter.reason());
    }

    @Test
    void itemsTakenForGood_andLeased_shareOneQueueInOrder() throws Exception {
        DistributedQueue<Integer> q = queue("tasks");
        q.putAll(List.of(1, 2, 3));
        assertEquals(1, q.get());
        assertEquals(2, q.receive(1, Duration.ZERO).get(0).payload());
        assertEquals(3, q.get());
    }

    QueueStats stats(String name) {
        return server.stats().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }
}
