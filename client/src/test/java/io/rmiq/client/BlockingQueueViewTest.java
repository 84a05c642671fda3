package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.server.QueueServer;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Code written against java.util.concurrent.BlockingQueue, run on rmiq queues over 127.0.0.1. */
class BlockingQueueViewTest {

    static final String KEY = "blocking-queue-view-key";
    QueueServer server;
    QueueClient client;

    @BeforeEach
    void start() throws Exception {
        server = QueueServer.builder().port(0).bind("127.0.0.1").authkey(KEY).queue("tasks").queue("small", 3).start();
        client = QueueClient.connect("127.0.0.1", server.port(), KEY);
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    /** Plain JDK-interface code: a producer and a consumer that know nothing of rmiq. */
    static int produceAndConsume(BlockingQueue<Integer> queue, int n) throws Exception {
        CompletableFuture<Integer> consumer = CompletableFuture.supplyAsync(() -> {
            int sum = 0;
            try {
                for (int i = 0; i < n; i++) {
                    sum += queue.take();
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return sum;
        });
        for (int i = 1; i <= n; i++) {
            queue.put(i);
        }
        return consumer.get(30, TimeUnit.SECONDS);
    }

    @Test
    void jdkCode_runsOnARmiqQueue() throws Exception {
        BlockingQueue<Integer> tasks = client.blockingQueue("tasks");
        assertEquals(5050, produceAndConsume(tasks, 100));
        assertNull(tasks.poll());
        assertNull(tasks.poll(100, TimeUnit.MILLISECONDS));
        assertThrows(NoSuchElementException.class, tasks::element);
        assertTrue(tasks.offer(1));
        assertTrue(tasks.add(2));
        assertEquals(1, tasks.peek());
        assertEquals(2, tasks.size());
        List<Integer> drained = new ArrayList<>();
        assertEquals(2, tasks.drainTo(drained));
        assertEquals(List.of(1, 2), drained);
        assertTrue(tasks.isEmpty());
        assertEquals(Integer.MAX_VALUE, tasks.remainingCapacity());
    }

    @Test
    void aBoundedQueue_hasRemainingCapacity_andRefusesWhenFull() throws Exception {
        BlockingQueue<String> small = client.blockingQueue("small");
        assertEquals(3, small.remainingCapacity());
        small.put("a");
        assertTrue(small.offer("b", 1, TimeUnit.SECONDS));
        assertEquals(1, small.remainingCapacity());
        assertTrue(small.offer("c"));
        assertFalse(small.offer("d"));
        assertThrows(IllegalStateException.class, () -> small.add("d"));
        assertFalse(small.offer("d", 200, TimeUnit.MILLISECONDS));
        List<String> two = new ArrayList<>();
        assertEquals(2, small.drainTo(two, 2));
        assertEquals(List.of("a", "b"), two);
    }

    @Test
    void whatCannotWorkRemotely_saysSo() {
        BlockingQueue<String> tasks = client.blockingQueue("tasks");
        assertThrows(UnsupportedOperationException.class, tasks::iterator);
        assertThrows(UnsupportedOperationException.class, () -> tasks.contains("x"));
        assertThrows(UnsupportedOperationException.class, () -> tasks.remove("x"));
    }
}
