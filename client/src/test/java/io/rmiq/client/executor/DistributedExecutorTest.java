package io.rmiq.client.executor;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DistributedQueue;
import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.task.CommandResult;
import io.rmiq.client.QueueClient;
import io.rmiq.client.command.CommandRunner;
import io.rmiq.client.worker.TaskContext;
import io.rmiq.client.worker.TaskDispatcher;
import io.rmiq.client.worker.Worker;
import io.rmiq.server.QueueServer;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The executor against a real server over 127.0.0.1, with a worker in this JVM on its own connection. */
class DistributedExecutorTest {

    static final String KEY = "executor-test-key";
    /** Tasks are classes of this test: allowed on both sides, as an application allows its own. */
    static final String ALLOW = "io.rmiq.client.executor.DistributedExecutorTest*";

    QueueServer server;
    QueueClient client;
    QueueClient workerClient;
    Worker<Object, Object> worker;
    CompletableFuture<Void> running;
    DistributedExecutor pool;

    @BeforeEach
    void start() throws Exception {
        server = QueueServer.builder().port(0).bind("127.0.0.1").authkey(KEY).queue("tasks").queue("results")
                .queue("mine").allow(ALLOW).allow("java.lang.invoke.SerializedLambda").start();
        client = QueueClient.builder("127.0.0.1", server.port()).authkey(KEY).allow(ALLOW).connect();
        workerClient = QueueClient.builder("127.0.0.1", server.port()).authkey(KEY).allow(ALLOW).connect();
        worker = Worker.builder(workerClient).from("tasks").threads(2)
                .handler(new TaskDispatcher(workerClient, new CommandRunner(), null)).build();
        running = CompletableFuture.runAsync(() -> {
            try {
                worker.run();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        pool = DistributedExecutor.builder(client).build();
    }

    @AfterEach
    void stop() throws Exception {
        pool.shutdownNow();
        worker.stop();
        running.get(30, TimeUnit.SECONDS);
        workerClient.close();
        client.close();
        server.close();
    }

    static final class Square implements Callable<Long>, Serializable {
        private static final long serialVersionUID = 1L;
        final long n;

        Square(long n) {
            this.n = n;
        }

        @Override
        public Long call() {
            return n * n;
        }
    }

    static final class Fails implements Callable<String>, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public String call() {
            return deeper();
        }

        private String deeper() {
            throw new IllegalStateException("no luck", new ArithmeticException("root cause"));
        }
    }

    @Test
    void submit_runsOnTheWorker_andTheFutureGetsTheValue() throws Exception {
        assertEquals(49L, pool.submit(new Square(7)).get(30, TimeUnit.SECONDS));
        await().atMost(Duration.ofSeconds(10)).until(() -> worker.completed() == 1); // acked after its result is put
    }

    @Test
    void aLambdaCastToRemoteCallable_travels() throws Exception {
        int base = 40;
        CompletableFuture<Integer> f = pool.submit((RemoteCallable<Integer>) () -> base + 2);
        assertEquals(42, f.get(30, TimeUnit.SECONDS));
    }

    static final java.util.concurrent.atomic.AtomicInteger RAN = new java.util.concurrent.atomic.AtomicInteger();

    @Test
    void aLambdaCastToRemoteRunnable_travels_andAPlainOneIsRefusedSayingSo() throws Exception {
        int before = RAN.get();
        assertEquals(null, pool.submit((RemoteRunnable) () -> RAN.incrementAndGet()).get(30, TimeUnit.SECONDS));
        assertEquals(before + 1, RAN.get(), "it ran on the worker (in this JVM)");
        Runnable plain = RAN::incrementAndGet;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool.submit(plain));
        assertTrue(e.getMessage().contains("RemoteRunnable"), e.getMessage());
    }

    @Test
    void failure_comesBackAsRemoteTaskException_withTheRemoteStackTrace() throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> pool.submit(new Fails()).get(30, TimeUnit.SECONDS));
        RemoteTaskException remote = assertInstanceOf(RemoteTaskException.class, e.getCause());
        assertEquals("java.lang.IllegalStateException", remote.remoteClass());
        assertTrue(remote.getMessage().startsWith("java.lang.IllegalStateException: no luck (on worker "), remote.getMessage());
        assertTrue(remote.remoteStackTrace().contains("Caused by: java.lang.ArithmeticException: root cause"),
                remote.remoteStackTrace());
        StackTraceElement top = remote.getStackTrace()[0];
        assertEquals(Fails.class.getName(), top.getClassName());
        assertEquals("deeper", top.getMethodName());
        assertEquals("DistributedExecutorTest.java", top.getFileName());
    }

    @Test
    void map_keepsTheItemsOrder() throws Exception {
        List<Integer> items = IntStream.range(0, 200).boxed().toList();
        List<Integer> squares = pool.map((RemoteFunction<Integer, Integer>) n -> n * n, items);
        assertEquals(items.stream().map(n -> n * n).toList(), squares);
    }

    @Test
    void invokeAll_returnsEveryFutureDone_failuresIncluded() throws Exception {
        List<Callable<Object>> calls = List.of(new Square(3)::call, new Fails()::call);
        // Method references are not serializable: refused before anything is queued.
        assertThrows(IllegalArgumentException.class, () -> pool.invokeAll(calls));

        List<Future<Long>> futures = pool.invokeAll(List.of(new Square(2), new Square(3), new Square(4)));
        assertEquals(List.of(4L, 9L, 16L), futures.stream().map(f -> {
            assertTrue(f.isDone());
            return getNow(f);
        }).toList());
        assertEquals(9L, pool.invokeAny(List.of(new Square(3))));
    }

    private static <T> T getNow(Future<T> f) {
        try {
            return f.get(0, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void taskContext_givesTheRunningTasksIdAndAttempt() throws Exception {
        List<Object> seen = pool.submit((RemoteCallable<List<Object>>) () -> {
            TaskContext t = TaskContext.current();
            return List.of(t.taskId(), t.attempt(), t.queue(), t.extendLease(),
                    Thread.currentThread().getName());
        }).get(30, TimeUnit.SECONDS);
        assertTrue(((String) seen.get(0)).matches("[0-9a-f]+-1"), "the executor's id for the task: " + seen);
        assertEquals(1, seen.get(1));
        assertEquals("tasks", seen.get(2));
        assertEquals(true, seen.get(3));
        assertTrue(((String) seen.get(4)).startsWith("rmiq-worker-"), seen.toString());
        assertThrows(IllegalStateException.class, TaskContext::current, "outside a task");
    }

    @Test
    void aClassOffTheClientsAllowList_isRefusedAtSubmit() {
        try (QueueClient strict = QueueClient.connect("127.0.0.1", server.port(), KEY)) {
            DistributedExecutor other = DistributedExecutor.builder(strict).build();
            assertThrows(PayloadRejectedException.class, () -> other.submit(new Square(2)));
            other.shutdown();
        }
    }

    @Test
    void othersResults_onASharedQueue_arePutBack_notLost() throws Exception {
        CommandResult foreign = new CommandResult("someone-else", List.of("true"), 0, "", "", null, "w", 1);
        DistributedQueue<Object> results = client.queue("results");
        results.put(foreign);
        assertEquals(25L, pool.submit(new Square(5)).get(30, TimeUnit.SECONDS));
        await().atMost(Duration.ofSeconds(10)).until(() -> results.peek(10).contains(foreign));
    }

    @Test
    void shutdown_refusesNewTasks_andTerminatesWhenTheLastResultIsIn() throws Exception {
        DistributedExecutor own = DistributedExecutor.builder(client).results("mine").build();
        CompletableFuture<Long> f = own.submit(new Square(6));
        own.shutdown();
        assertTrue(own.isShutdown());
        assertThrows(RejectedExecutionException.class, () -> own.submit(new Square(1)));
        assertTrue(own.awaitTermination(30, TimeUnit.SECONDS));
        assertTrue(own.isTerminated());
        assertEquals(36L, f.getNow(null));
    }

    @Test
    void shutdownNow_cancelsWhatIsStillAwaited() throws Exception {
        worker.stop();
        running.get(30, TimeUnit.SECONDS); // nobody runs tasks now
        CompletableFuture<Long> f = pool.submit(new Square(6));
        assertEquals(List.of(), pool.shutdownNow());
        assertTrue(f.isCancelled());
        assertThrows(CancellationException.class, f::join);
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        assertFalse(client.<Object>queue("tasks").peek(10).isEmpty(), "the queued task cannot be recalled");
    }
}
