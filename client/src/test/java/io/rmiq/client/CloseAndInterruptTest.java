package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DistributedLock;
import io.rmiq.api.DistributedQueue;
import io.rmiq.server.QueueServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An interrupt ends a call blocked in a long-poll at once, and {@code close()} ends every wait of
 * the client and makes its handles refuse calls: a server in this JVM, clients over 127.0.0.1.
 */
class CloseAndInterruptTest {

    static final String KEY = "close-interrupt-key";
    /** Well under the long-poll slice of 5 s: ending within it is the interrupt's or the close's doing. */
    static final long WITHIN_MILLIS = 2_000;

    @TempDir Path dataDir;
    QueueServer server;
    final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = QueueServer.builder().port(0).bind("127.0.0.1").authkey(KEY).dataDir(dataDir)
                .sessionTimeout(Duration.ofSeconds(60)).queue("tasks").start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        server.close();
    }

    QueueClient connect() {
        QueueClient c = QueueClient.connect("127.0.0.1", server.port(), KEY);
        closeables.add(c);
        return c;
    }

    /** What a blocked call on its own thread ended with, and after how long. */
    record Ended(Throwable thrown, Object returned, long millis) {
    }

    interface Blocking {
        Object call() throws Exception;
    }

    /** Starts {@code call} on a thread, waits until it is blocked, does {@code then} and times the end. */
    static Ended endBy(Blocking call, java.util.function.Consumer<Thread> then) throws Exception {
        AtomicReference<Thread> thread = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Ended> ended = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            started.countDown();
            try {
                ended.complete(new Ended(null, call.call(), 0));
            } catch (Throwable e) {
                ended.complete(new Ended(e, null, 0));
            }
        }, "blocked-caller");
        t.setDaemon(true);
        thread.set(t);
        t.start();
        started.await();
        awaitBlockedInRemoteCall(t);
        long start = System.nanoTime();
        then.accept(t);
        Ended e = ended.get(20, TimeUnit.SECONDS);
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.println("ended after " + millis + " ms: " + e.thrown);
        t.join(5_000);
        assertTrue(!t.isAlive(), "the caller's thread ended");
        return new Ended(e.thrown, e.returned, millis);
    }

    /** Until the thread is inside an RMI call (reading the server's answer), so the wait is the server's. */
    static void awaitBlockedInRemoteCall(Thread t) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> java.util.Arrays
                .stream(t.getStackTrace()).anyMatch(f -> f.getClassName().startsWith("sun.rmi.transport")));
    }

    @Test
    void interrupt_endsAGetInALongPoll_atOnce_andTakesNothing() throws Exception {
        QueueClient client = connect();
        DistributedQueue<String> tasks = client.queue("tasks");
        Ended e = endBy(tasks::get, Thread::interrupt);
        assertInstanceOf(InterruptedException.class, e.thrown());
        assertTrue(e.millis() < WITHIN_MILLIS, e.millis() + " ms");

        tasks.put("after");
        assertEquals("after", tasks.poll(Duration.ofSeconds(5)), "the cancelled wait took nothing, later ones work");
    }

    @Test
    void interrupt_endsAReceiveInALongPoll_atOnce() throws Exception {
        DistributedQueue<String> tasks = connect().queue("tasks");
        Ended e = endBy(() -> tasks.receive(1, Duration.ofMinutes(1)), Thread::interrupt);
        assertInstanceOf(InterruptedException.class, e.thrown());
        assertTrue(e.millis() < WITHIN_MILLIS, e.millis() + " ms");
    }

    @Test
    void interrupt_endsALockWait_atOnce_andTheWaiterDoesNotHoldIt() throws Exception {
        DistributedLock held = connect().lock("job");
        held.lock();
        DistributedLock waiter = connect().lock("job");
        Ended e = endBy(() -> {
            waiter.lock();
            return null;
        }, Thread::interrupt);
        assertInstanceOf(InterruptedException.class, e.thrown());
        assertTrue(e.millis() < WITHIN_MILLIS, e.millis() + " ms");
        held.unlock();
        assertTrue(waiter.tryLock(Duration.ofSeconds(5)), "the waiter can take it later");
    }

    @Test
    void interrupt_ofOneWaiter_leavesTheOthersOfTheSameClientWaiting() throws Exception {
        QueueClient client = connect();
        DistributedQueue<String> tasks = client.queue("tasks");
        CompletableFuture<String> other = CompletableFuture.supplyAsync(() -> {
            try {
                return tasks.poll(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Ended e = endBy(tasks::get, Thread::interrupt);
        assertInstanceOf(InterruptedException.class, e.thrown());
        tasks.put("for the other");
        assertEquals("for the other", other.get(20, TimeUnit.SECONDS));
    }

    @Test
    void close_endsAWaitingGet_withClosed_andHandlesRefuseCallsAfter() throws Exception {
        QueueClient client = connect();
        DistributedQueue<String> tasks = client.queue("tasks");
        DistributedLock lock = client.lock("job");
        Ended e = endBy(tasks::get, t -> client.close());
        assertInstanceOf(IllegalStateException.class, e.thrown());
        assertTrue(e.thrown().getMessage().contains("closed"), e.thrown().getMessage());
        assertTrue(e.millis() < WITHIN_MILLIS, e.millis() + " ms");

        IllegalStateException put = assertThrows(IllegalStateException.class, () -> tasks.put("late"));
        assertTrue(put.getMessage().contains("closed"), put.getMessage());
        assertThrows(IllegalStateException.class, tasks::size);
        assertThrows(IllegalStateException.class, () -> lock.tryLock(Duration.ZERO));
        assertThrows(IllegalStateException.class, () -> client.queue("tasks"));
        assertEquals(0, connect().queue("tasks").size(), "nothing was put after close");
    }

    @Test
    void close_endsWaitingReceivesAndLockWaits() throws Exception {
        DistributedLock held = connect().lock("job");
        held.lock();
        QueueClient client = connect();
        DistributedQueue<String> tasks = client.queue("tasks");
        DistributedLock lock = client.lock("job");
        CompletableFuture<Object> receiving = CompletableFuture.supplyAsync(() -> {
            try {
                return tasks.receive(1, Duration.ofMinutes(1));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Ended e = endBy(() -> {
            lock.lock();
            return null;
        }, t -> client.close());
        assertInstanceOf(IllegalStateException.class, e.thrown());
        assertTrue(e.millis() < WITHIN_MILLIS, e.millis() + " ms");
        ExecutionException r = assertThrows(ExecutionException.class, () -> receiving.get(WITHIN_MILLIS, TimeUnit.MILLISECONDS));
        assertInstanceOf(IllegalStateException.class, r.getCause());
    }

    @Test
    void close_endsAGetRidingThroughAnOutage() throws Exception {
        QueueClient client = connect();
        DistributedQueue<String> tasks = client.queue("tasks");
        server.close();
        CompletableFuture<Object> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return tasks.get();
            } catch (Exception e) {
                return e;
            }
        });
        // Until the client has lost the server and pauses between tries (its back-off reaches 2 s).
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> client.currentManager() == null);
        // Into the back-off, whose pauses have by then grown past the bound below.
        org.awaitility.Awaitility.await().pollDelay(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(5))
                .until(() -> !waiting.isDone());
        long start = System.nanoTime();
        client.close();
        Object result = waiting.get(20, TimeUnit.SECONDS);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertInstanceOf(IllegalStateException.class, result);
        assertTrue(millis < 1_000, millis + " ms");
        server = QueueServer.builder().port(0).bind("127.0.0.1").authkey(KEY).dataDir(dataDir).queue("tasks").start();
    }
}
