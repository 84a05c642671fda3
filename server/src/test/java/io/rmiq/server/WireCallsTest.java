package io.rmiq.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.LeasedItem;
import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.QueueStats;
import io.rmiq.api.RemoteLocks;
import io.rmiq.api.RemoteQueue;
import io.rmiq.api.RemoteQueueManager;
import io.rmiq.api.internal.ItemFrames;
import io.rmiq.api.internal.LeasedFrames;
import io.rmiq.serial.CompactCodec;
import io.rmiq.server.queue.QueueConfig;
import io.rmiq.transport.AuthClientSocketFactory;
import io.rmiq.transport.Keyring;
import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The wire calls that clients build their interrupt handling and hand-over on (cancelWaits,
 * giveBack, release), called on the server's own objects and over RMI.
 */
class WireCallsTest {

    static final String KEY = "wire-calls-test-key";

    /** The server's objects called directly. */
    @Nested
    class InProcess extends Calls {
        @Override
        RemoteQueueManager manager() {
            return server.managerService();
        }

        @Override
        RemoteQueue queue(String name) {
            return server.queueService(name);
        }

        @Override
        RemoteLocks locks() {
            return server.lockService();
        }
    }

    /** The same through the server's stubs, over 127.0.0.1. */
    @Nested
    class OverRmi extends Calls {
        Registry registry;

        Registry registry() throws Exception {
            if (registry == null) {
                registry = LocateRegistry.getRegistry("127.0.0.1", server.port(), AuthClientSocketFactory.bootstrap(
                        new Keyring.Entry(KEY.getBytes(StandardCharsets.UTF_8), 5_000, 10_000, 30_000)));
            }
            return registry;
        }

        @Override
        RemoteQueueManager manager() throws Exception {
            return (RemoteQueueManager) registry().lookup(RemoteQueueManager.BINDING);
        }

        @Override
        RemoteQueue queue(String name) throws Exception {
            return manager().queue(name);
        }

        @Override
        RemoteLocks locks() throws Exception {
            return manager().locks();
        }
    }

    abstract static class Calls {
        QueueServer server;
        ExecutorService threads;

        abstract RemoteQueueManager manager() throws Exception;

        abstract RemoteQueue queue(String name) throws Exception;

        abstract RemoteLocks locks() throws Exception;

        @BeforeEach
        void start() throws Exception {
            server = QueueServer.builder().port(0).bind("127.0.0.1").authkey(KEY)
                    .queue("tasks").queue("small", 2)
                    .queue(new QueueConfig("flaky", Integer.MAX_VALUE, 30_000, 2)).start();
            threads = Executors.newCachedThreadPool();
        }

        @AfterEach
        void stop() throws Exception {
            threads.shutdownNow();
            server.close();
            assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
        }

        static byte[] frame(Object... values) {
            List<byte[]> items = new ArrayList<>();
            for (Object v : values) {
                items.add(CompactCodec.tryEncode(v));
            }
            return ItemFrames.encode(items);
        }

        static List<Object> values(byte[] frame) {
            List<Object> out = new ArrayList<>();
            for (byte[] item : ItemFrames.decode(frame, 100_000)) {
                out.add(CompactCodec.decode(item, io.rmiq.serial.SerialLimits.PAYLOAD));
            }
            return out;
        }

        /** Cancels {@code session}'s waits until {@code wait} ends: the wait may not have begun yet. */
        <T> T cancelUntilDone(long session, Future<T> wait) throws Exception {
            RemoteQueueManager m = manager();
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                m.cancelWaits(session);
                return wait.isDone();
            });
            return wait.get();
        }

        /** Until a thread waits inside the server's {@code method} of a queue (this JVM runs the server). */
        static void awaitServerWaitingIn(String method) {
            await().atMost(Duration.ofSeconds(10)).until(() -> Thread.getAllStackTraces().entrySet().stream()
                    .anyMatch(e -> (e.getKey().getState() == Thread.State.TIMED_WAITING)
                            && java.util.Arrays.stream(e.getValue()).anyMatch(f -> f.getMethodName().equals(method)
                                    && f.getClassName().equals(io.rmiq.server.transport.QueueService.class.getName()))));
        }

        @Test
        void poll_cancelWaits_endsTheWaitAtOnceWithNoItems() throws Exception {
            long session = manager().openSession("test");
            RemoteQueue q = queue("tasks");
            // The server caps a wait at 10 s: ending within 5 s is the cancel's doing.
            Future<byte[]> polled = threads.submit(() -> q.poll(1, 60_000, session));
            assertEquals(List.of(), values(cancelUntilDone(session, polled)));

            q.offer(frame("after"), 0, 0, 0);
            assertEquals(List.of("after"), values(q.poll(1, 1_000, session)), "later waits are not cancelled");
        }

        @Test
        void receive_cancelWaits_endsTheWaitAtOnceWithNoItems() throws Exception {
            long session = manager().openSession("test");
            RemoteQueue q = queue("tasks");
            Future<byte[]> received = threads.submit(() -> q.receive(1, 60_000, session));
            assertEquals(0, LeasedFrames.decode(cancelUntilDone(session, received)).length);
        }

        @Test
        void cancelWaits_leavesOtherSessionsWaiting() throws Exception {
            long mine = manager().openSession("mine");
            long other = manager().openSession("other");
            RemoteQueue q = queue("tasks");
            Future<byte[]> cancelled = threads.submit(() -> q.poll(1, 60_000, mine));
            Future<byte[]> waiting = threads.submit(() -> q.poll(1, 8_000, other));
            cancelUntilDone(mine, cancelled);
            assertFalse(waiting.isDone());
            q.offer(frame("for the other"), 0, 0, 0);
            assertEquals(List.of("for the other"), values(waiting.get(10, TimeUnit.SECONDS)));
        }

        @Test
        void closeSession_endsItsWaitsAtOnce() throws Exception {
            long session = manager().openSession("test");
            RemoteQueue q = queue("tasks");
            Future<byte[]> polled = threads.submit(() -> q.poll(1, 60_000, session));
            RemoteQueueManager m = manager();
            awaitServerWaitingIn("poll");
            m.closeSession(session);
            assertEquals(List.of(), values(polled.get(5, TimeUnit.SECONDS)));
            Future<byte[]> received = threads.submit(() -> q.receive(1, 60_000, session));
            Exception e = assertThrows(Exception.class, () -> received.get(10, TimeUnit.SECONDS));
            assertTrue(String.valueOf(e.getCause()).contains("SessionExpiredException"), e.toString());
        }

        @Test
        void lockWait_cancelWaits_endsItUnacquired() throws Exception {
            RemoteLocks locks = locks();
            long holder = manager().openSession("holder");
            long waiter = manager().openSession("waiter");
            assertTrue(locks.acquire("job", holder, 1, 0, 0) > 0);
            Future<Long> waited = threads.submit(() -> locks.acquire("job", waiter, 2, 0, 60_000));
            assertEquals(0L, cancelUntilDone(waiter, waited));
            locks.release("job", holder, 1);
            assertTrue(locks.acquire("job", waiter, 2, 0, 1_000) > 0, "later waits are not cancelled");
        }

        @Test
        void giveBack_putsItemsAtTheHeadInTheirOrder_notCountedAgain() throws Exception {
            RemoteQueue q = queue("tasks");
            q.offer(frame("a", "b", "c"), 0, 0, 0);
            byte[] taken = q.poll(2, 0, 0);
            assertEquals(List.of("a", "b"), values(taken));
            q.giveBack(taken);
            assertEquals(3, q.size());
            assertEquals(List.of("a", "b", "c"), values(q.poll(10, 0, 0)));
            QueueStats stats = manager().stats().stream().filter(s -> s.name().equals("tasks")).findFirst().get();
            assertEquals(3, stats.puts(), "giving back is not a put");
            assertEquals(3, stats.takes(), "an item taken, given back and taken again is taken once");
        }

        @Test
        void giveBack_ignoresCapacity() throws Exception {
            RemoteQueue q = queue("small");
            q.offer(frame(1, 2), 0, 0, 0);
            byte[] taken = q.poll(2, 0, 0);
            assertEquals(2, q.offer(frame(3, 4), 0, 0, 0));
            q.giveBack(taken);
            assertEquals(List.of(1, 2, 3, 4), values(q.poll(10, 0, 0)));
        }

        @Test
        void giveBack_refusesWhatAPutWouldRefuse() throws Exception {
            RemoteQueue q = queue("tasks");
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(new java.util.concurrent.atomic.AtomicReference<>("not allowed"));
            }
            PayloadRejectedException e = assertThrows(PayloadRejectedException.class,
                    () -> q.giveBack(ItemFrames.of(bytes.toByteArray())));
            assertTrue(e.getMessage().contains("java.util.concurrent.atomic.AtomicReference"), e.getMessage());
            assertEquals(0, q.size());
        }

        @Test
        void release_spendsNoAttempt_andTheTaskIsInvisibleForTheDelay() throws Exception {
            long session = manager().openSession("test");
            RemoteQueue q = queue("flaky");   // two attempts, then the dead letters
            q.offer(frame("x"), 0, 0, 0);
            LeasedItem first = LeasedFrames.decode(q.receive(1, 0, session))[0];
            q.nack(first.id(), first.attempt(), "failed once", 0, session);
            LeasedItem second = LeasedFrames.decode(q.receive(1, 0, session))[0];
            assertEquals(2, second.attempt());
            q.release(second.id(), second.attempt(), "cannot decode it here", 3_000, session);
            assertEquals(0, LeasedFrames.decode(q.receive(1, 0, session)).length, "invisible during the delay");
            assertEquals(1, q.size());
            LeasedItem[] again = await().atMost(Duration.ofSeconds(10)).until(
                    () -> LeasedFrames.decode(q.receive(1, 0, session)), got -> got.length == 1);
            assertEquals(second.id(), again[0].id());
            assertEquals(2, again[0].attempt(), "the released delivery did not count");
            assertEquals(0, queue("flaky.dead").size());
        }

        @Test
        void release_byAnotherSessionOrForAnotherAttempt_isIgnored() throws Exception {
            long session = manager().openSession("holder");
            long other = manager().openSession("other");
            RemoteQueue q = queue("tasks");
            q.offer(frame("x"), 0, 0, 0);
            LeasedItem held = LeasedFrames.decode(q.receive(1, 0, session))[0];
            q.release(held.id(), held.attempt(), "not mine", 0, other);
            q.release(held.id(), held.attempt() + 1, "stale", 0, session);
            assertEquals(0, q.size());
            assertArrayEquals(new boolean[] {true}, q.ack(new long[] {held.id()}, new int[] {held.attempt()}, session));
        }

        @Test
        void offer_withProducerAndSequence_storesTheItems() throws Exception {
            RemoteQueue q = queue("tasks");
            assertEquals(2, q.offer(frame(1, 2), 0, 0x5eed, 1));
            assertEquals(List.of(1, 2), values(q.poll(10, 0, 0)));
        }
    }
}
