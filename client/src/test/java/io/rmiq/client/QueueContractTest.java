package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DistributedQueue;
import io.rmiq.api.NoSuchQueueException;
import io.rmiq.api.ServerShutdownException;
import io.rmiq.server.QueueServer;
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
 * The queue semantics, run against the in-process handles of an embedded server and against a
 * real client over 127.0.0.1: both must behave the same.
 */
abstract class QueueContractTest {

    static final String KEY = "contract-test-key";
    QueueServer server;
    final List<AutoCloseable> closeables = new ArrayList<>();

    /** A handle on the named queue of {@link #server}. */
    abstract <E> DistributedQueue<E> queue(String name);

    @BeforeEach
    void startServer() throws Exception {
        server = QueueServer.builder().port(0).bind("127.0.0.1").authkey(KEY)
                .queue("tasks").queue("results").queue("small", 2).start();
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
        assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains("results, small, tasks"), e.getMessage());
        assertEquals(List.of("results", "small", "tasks"), e.existing());
    }
}
