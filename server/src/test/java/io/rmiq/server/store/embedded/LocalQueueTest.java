package io.rmiq.server.store.embedded;

import io.rmiq.server.queue.QueueConfig;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rmiq.api.LeasedItem;
import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.ServerShutdownException;
import io.rmiq.server.journal.Journal;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LocalQueueTest {

    final MemoryBudget memory = MemoryBudget.unlimited();
    final AtomicLong ids = new AtomicLong(1);
    final IdempotentPuts idempotent = new IdempotentPuts(new io.rmiq.server.journal.ProducerWindow(), false);

    /** A queue and its dead-letter queue, in memory. */
    LocalQueue queue(QueueConfig config, java.util.function.Function<io.rmiq.api.DeadLetter, byte[]> letters) {
        LocalQueue dead = new LocalQueue(QueueConfig.deadLettersOf(config), Journal.NONE, ids,
                System::currentTimeMillis, null, null, memory, idempotent);
        return new LocalQueue(config, Journal.NONE, ids, System::currentTimeMillis, dead, letters, memory, idempotent);
    }

    @Test
    void aProducerWaitingForTheSharedBudget_goesOnWhenAnotherQueueFreesRoom_andEndsWhenItsQueueCloses()
            throws Exception {
        MemoryBudget small = new MemoryBudget(1 << 20);
        LocalQueue a = new LocalQueue(QueueConfig.of("a"), Journal.NONE, ids, System::currentTimeMillis, null, null,
                small, idempotent);
        LocalQueue b = new LocalQueue(QueueConfig.of("b"), Journal.NONE, ids, System::currentTimeMillis, null, null,
                small, idempotent);
        byte[] big = new byte[700_000];
        assertEquals(1, a.offer(new byte[][] {big}, 0));
        assertEquals(0, b.offer(new byte[][] {big}, 0), "no room left in the budget");
        ExecutorService producers = Executors.newCachedThreadPool();
        try {
            Future<Integer> put = producers.submit(() -> b.offer(new byte[][] {big}, 60_000));
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> !put.isDone());
            a.poll(1, 0);
            assertEquals(1, put.get(5, TimeUnit.SECONDS), "the room queue a freed lets b's put in");

            Future<Integer> waiting = producers.submit(() -> a.offer(new byte[][] {big}, 600_000));
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> !waiting.isDone());
            a.close();
            ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(5, TimeUnit.SECONDS),
                    "a producer waiting for room ends when its queue closes, not when its ten minutes are up");
            assertInstanceOf(ServerShutdownException.class, e.getCause());
        } finally {
            producers.shutdownNow();
        }
    }

    @Test
    void deadLetterThatCannotBeMade_leavesTheTaskInTheQueue_andTheBudgetBalanced() throws Exception {
        LocalQueue q = queue(new QueueConfig("q", 10, 60_000, 1), letter -> {
            throw new PayloadRejectedException("item exceeds the limit");
        });
        q.offer(new byte[][] {new byte[1000]}, 0);
        LeasedItem[] got = q.receive(1, 0, 42);
        q.nack(got[0].id(), got[0].attempt(), "failed", 0, 42);
        assertEquals(1, q.size(), "the task is back in its queue, not lost");
        LeasedItem[] again = q.receive(1, 0, 42);
        q.ack(new long[] {again[0].id()}, new int[] {again[0].attempt()}, 42);
        assertEquals(0, memory.used());
    }

    @Test
    void capacityAndMemory_returnToZero_afterEveryWayOut() throws Exception {
        LocalQueue q = queue(new QueueConfig("q", 5, 100, 2), letter -> new byte[10]);
        LocalQueue dead = q.deadLetters();
        assertEquals(5, q.offer(new byte[][] {new byte[1], new byte[2], new byte[3], new byte[4], new byte[5]}, 0));
        assertEquals(0, q.offer(new byte[][] {new byte[6]}, 0), "full");
        q.poll(1, 0);                                            // taken for good
        LeasedItem[] two = q.receive(2, 0, 7);
        q.ack(new long[] {two[0].id()}, new int[] {two[0].attempt()}, 7);   // acked
        q.nack(two[1].id(), two[1].attempt(), "once", 0, 7);                // back
        LeasedItem[] last = q.receive(3, 0, 7);
        for (LeasedItem l : last) {
            q.nack(l.id(), l.attempt(), "twice", 0, 7);          // attempt 2 of 2 for one: dead letter
        }
        for (LeasedItem l : q.receive(10, 0, 7)) {
            q.ack(new long[] {l.id()}, new int[] {l.attempt()}, 7);
        }
        dead.poll(10, 0);
        assertEquals(0, q.size() + q.stats().inFlight());
        assertEquals(0, dead.size());
        assertEquals(0, memory.used());
        assertEquals(5, q.offer(new byte[][] {new byte[1], new byte[1], new byte[1], new byte[1], new byte[1]}, 0),
                "all capacity is free again");
    }

    @Test
    void aRetriedPut_isStoredOnce_andAnswersWithTheFirstCount() throws Exception {
        LocalQueue q = queue(new QueueConfig("q", 10, 60_000, 5), l -> new byte[0]);
        byte[][] two = {new byte[] {1}, new byte[] {2}};
        assertEquals(2, q.offer(two, 0, 42, 1));
        assertEquals(2, q.offer(two, 0, 42, 1), "the retry");
        assertEquals(2, q.size());
        assertEquals(2, q.offer(two, 0, 42, 2), "the next put");
        assertEquals(2, q.offer(two, 0, 43, 1), "another producer");
        assertEquals(2, q.offer(two, 0, 0, 0), "no producer: never de-duplicated");
        assertEquals(2, q.offer(two, 0, 0, 0));
        assertEquals(10, q.size());
    }

    @Test
    void aRetryWhileTheFirstAttemptWaitsForRoom_waitsForIt_andStoresNothing() throws Exception {
        LocalQueue q = queue(new QueueConfig("q", 1, 60_000, 5), l -> new byte[0]);
        q.offer(new byte[][] {new byte[] {0}}, 0);
        byte[][] one = {new byte[] {1}};
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var first = pool.submit(() -> q.offer(one, 10_000, 42, 7));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> q.stats().toString() != null && first.isDone() == false);
            var retry = pool.submit(() -> q.offer(one, 10_000, 42, 7));
            Thread.sleep(200); // both are in; neither may finish while the queue is full
            assertEquals(false, first.isDone() || retry.isDone());
            assertEquals(1, q.poll(1, 0).length);
            assertEquals(1, first.get(5, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(1, retry.get(5, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(1, q.size(), "stored once");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRetryOfAPutThatStoredOnlySome_answersWithThatCount() throws Exception {
        LocalQueue q = queue(new QueueConfig("q", 2, 60_000, 5), l -> new byte[0]);
        byte[][] three = {new byte[] {1}, new byte[] {2}, new byte[] {3}};
        assertEquals(2, q.offer(three, 0, 42, 1), "full after two");
        q.poll(2, 0);
        assertEquals(2, q.offer(three, 0, 42, 1), "the retry stores nothing more");
        assertEquals(0, q.size());
    }
}
