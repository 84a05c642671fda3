package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DeadLetter;
import io.rmiq.api.DistributedQueue;
import io.rmiq.client.worker.Reply;
import io.rmiq.client.worker.TaskContext;
import io.rmiq.client.worker.Worker;
import io.rmiq.server.QueueServer;
import io.rmiq.server.queue.QueueConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The worker runtime against a real server over 127.0.0.1. */
class WorkerTest {

    static final String KEY = "worker-test-key";
    QueueServer server;
    QueueClient client;

    @BeforeEach
    void start() throws Exception {
        server = QueueServer.builder().port(0).bind("127.0.0.1").authkey(KEY)
                .queue(new QueueConfig("tasks", Integer.MAX_VALUE, 1_000, 3)).queue("results").queue("tiny", 5).start();
        client = QueueClient.connect("127.0.0.1", server.port(), KEY);
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    CompletableFuture<Void> runInBackground(Worker<?, ?> worker) {
        return CompletableFuture.runAsync(() -> {
            try {
                worker.run();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void worker_putsEveryResultOnce_andAcksEveryTask() throws Exception {
        client.<Integer>queue("tasks").putAll(IntStream.range(0, 2_000).boxed().toList());
        Worker<Integer, Integer> worker = Worker.<Integer, Integer>builder(client).from("tasks").to("results")
                .threads(4).handler(n -> n * 2).idleExit(Duration.ofSeconds(1)).build();
        worker.run();
        assertEquals(2_000, worker.completed());
        DistributedQueue<Integer> results = client.queue("results");
        List<Integer> got = new ArrayList<>();
        while (got.size() < 2_000) {
            got.addAll(results.take(1_000, Duration.ofSeconds(2)));
        }
        assertEquals(IntStream.range(0, 2_000).map(n -> n * 2).boxed().collect(java.util.stream.Collectors.toSet()),
                new HashSet<>(got));
        assertEquals(0, server.stats().stream().mapToInt(s -> s.size() + s.inFlight()).sum() - 0);
    }

    @Test
    void taskLongerThanItsLease_isExtended_notRedelivered() throws Exception {
        client.<Integer>queue("tasks").put(7);
        Worker<Integer, Integer> worker = Worker.<Integer, Integer>builder(client).from("tasks").to("results")
                .threads(1).handler(n -> {
                    try {
                        Thread.sleep(3_500); // the lease is 1 s
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return n;
                }).idleExit(Duration.ofSeconds(1)).build();
        worker.run();
        assertEquals(1, worker.completed());
        assertEquals(0, worker.failed());
        assertEquals(List.of(7), client.<Integer>queue("results").take(10, Duration.ofSeconds(1)));
    }

    @Test
    void handlerThatAlwaysThrows_sendsTheTaskToDeadLetters_withTheReason() throws Exception {
        client.<Integer>queue("tasks").put(13);
        Worker<Integer, Integer> worker = Worker.<Integer, Integer>builder(client).from("tasks").to("results")
                .threads(1).handler(n -> {
                    throw new IllegalStateException("cannot compute " + n);
                }).build();
        CompletableFuture<Void> running = runInBackground(worker);
        DeadLetter letter = client.<DeadLetter>queue("tasks.dead").poll(Duration.ofSeconds(30));
        worker.stop();
        running.get(30, TimeUnit.SECONDS);
        assertEquals(3, letter.attempts());
        assertTrue(letter.reason().contains("IllegalStateException: cannot compute 13"), letter.reason());
        assertEquals(3, worker.failed());
        assertEquals(0, worker.completed());
    }

    @Test
    void handlerFailures_logAWarnWithTaskAndAttempt_andRetriesWaitLongerEachTime() throws Exception {
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs = new ch.qos.logback.core.read.ListAppender<>();
        ch.qos.logback.classic.Logger workerLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Worker.class);
        logs.start();
        workerLog.addAppender(logs);
        try {
            client.<Integer>queue("tasks").put(21);
            List<Long> tried = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            Worker<Integer, Integer> worker = Worker.<Integer, Integer>builder(client).from("tasks").to("results")
                    .threads(1).retryDelay(Duration.ofMillis(400)).handler(n -> {
                        tried.add(System.nanoTime());
                        throw new IllegalStateException("transient fault on " + n);
                    }).build();
            CompletableFuture<Void> running = runInBackground(worker);
            assertTrue(client.<DeadLetter>queue("tasks.dead").poll(Duration.ofSeconds(30)) != null);
            worker.stop();
            running.get(30, TimeUnit.SECONDS);

            assertEquals(3, tried.size());
            long first = (tried.get(1) - tried.get(0)) / 1_000_000;
            long second = (tried.get(2) - tried.get(1)) / 1_000_000;
            assertTrue(first >= 400, "the first retry waited the retry delay, waited " + first + " ms");
            assertTrue(second >= 800, "the second waited twice as long, waited " + second + " ms");

            List<ch.qos.logback.classic.spi.ILoggingEvent> warnings = logs.list.stream()
                    .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN).toList();
            assertTrue(!warnings.isEmpty(), "a handler failure shows at WARN");
            String line = warnings.get(0).getFormattedMessage();
            assertTrue(line.contains("task ") && line.contains("of queue 'tasks' failed on attempt 1"), line);
            assertTrue(line.contains("for 400 ms"), line);
            assertEquals("transient fault on 21", warnings.get(0).getThrowableProxy().getMessage(), "the exception goes with it");
            assertEquals(1, warnings.size(), "at most one such line per 10 s: " + warnings);
        } finally {
            workerLog.detachAppender(logs);
        }
    }

    @Test
    void stop_finishesWhatIsHeld_andReturns() throws Exception {
        client.<Integer>queue("tasks").putAll(IntStream.range(0, 50).boxed().toList());
        Worker<Integer, Integer> worker = Worker.<Integer, Integer>builder(client).from("tasks").to("results")
                .threads(2).handler(n -> {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return n;
                }).build();
        CompletableFuture<Void> running = runInBackground(worker);
        await().atMost(Duration.ofSeconds(30)).until(() -> worker.completed() >= 5);
        worker.stop();
        running.get(30, TimeUnit.SECONDS);
        int left = client.queue("tasks").size();
        assertEquals(50, worker.completed() + left, "every task is either done or back in the queue");
    }

    @Test
    void slowTasks_areNotHoardedByOneWorker() throws Exception {
        client.<Integer>queue("tasks").putAll(IntStream.range(0, 200).boxed().toList());
        Worker<Integer, Integer> worker = Worker.<Integer, Integer>builder(client).from("tasks").to("results")
                .threads(2).prefetch(4).handler(n -> {
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return n;
                }).build();
        CompletableFuture<Void> running = runInBackground(worker);
        await().atMost(Duration.ofSeconds(30)).until(() -> worker.completed() >= 20);
        int inFlight = server.stats().stream().filter(q -> q.name().equals("tasks")).findFirst().orElseThrow().inFlight();
        assertTrue(inFlight <= 16, "a worker doing 20 tasks/s holds about half a second of work, holds " + inFlight);
        worker.stop();
        running.get(60, TimeUnit.SECONDS);
    }

    @Test
    void oneResultThatCannotBeStored_failsOnlyItsOwnTask() throws Exception {
        client.<Integer>queue("tasks").putAll(IntStream.range(0, 100).boxed().toList());
        Worker<Integer, Object> worker = Worker.<Integer, Object>builder(client).from("tasks").to("results")
                .threads(2).handler(n -> n == 13 ? new Object() : (Object) n).idleExit(Duration.ofSeconds(2)).build();
        worker.run();
        assertEquals(99, worker.completed());
        await().atMost(Duration.ofSeconds(10)).until(() -> client.queue("tasks.dead").size() == 1);
        assertEquals(99, client.queue("results").size());
    }

    @Test
    void stop_returnsEvenWhenTheResultsQueueStaysFull() throws Exception {
        client.<Integer>queue("tasks").putAll(IntStream.range(0, 20).boxed().toList());
        Worker<Integer, Integer> worker = Worker.<Integer, Integer>builder(client).from("tasks").to("tiny")
                .threads(2).handler(n -> n).build();
        CompletableFuture<Void> running = runInBackground(worker);
        await().atMost(Duration.ofSeconds(30)).until(() -> client.queue("tiny").size() == 5);
        worker.stop();
        running.get(60, TimeUnit.SECONDS);
        assertEquals(20, worker.completed() + client.queue("tasks").size() + inFlight("tasks"),
                "every task is done or back");
    }

    @Test
    void closedClient_endsTheWorker_insteadOfRetryingForever() throws Exception {
        QueueClient own = QueueClient.connect("127.0.0.1", server.port(), KEY);
        Worker<Integer, Integer> worker = Worker.<Integer, Integer>builder(own).from("tasks").to("results")
                .handler(n -> n).build();
        CompletableFuture<Void> running = runInBackground(worker);
        own.close();
        java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> running.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
    }

    @Test
    void replies_goToTheQueueTheyName_andTheContextDescribesEachTask() throws Exception {
        client.<Integer>queue("tasks").putAll(List.of(1, 2, 3, 4));
        Worker<Integer, Object> worker = Worker.<Integer, Object>builder(client).from("tasks").to("results")
                .threads(2).idleExit(Duration.ofSeconds(1)).handler(n -> {
                    TaskContext t = TaskContext.current();
                    List<Object> seen = List.of(n, t.taskId(), Long.toString(t.deliveryId()), t.attempt(), t.queue());
                    return n % 2 == 0 ? new Reply("tiny", seen) : seen;
                }).build();
        worker.run();
        assertEquals(4, worker.completed());
        List<List<Object>> odd = client.<List<Object>>queue("results").take(10, Duration.ofSeconds(5));
        List<List<Object>> even = client.<List<Object>>queue("tiny").take(10, Duration.ofSeconds(5));
        assertEquals(Set.of(1, 3), odd.stream().map(l -> l.get(0)).collect(Collectors.toSet()));
        assertEquals(Set.of(2, 4), even.stream().map(l -> l.get(0)).collect(Collectors.toSet()));
        for (List<Object> l : union(odd, even)) {
            assertEquals(l.get(2), l.get(1), "a plain payload's task id is the server's id");
            assertEquals(1, l.get(3));
            assertEquals("tasks", l.get(4));
        }
        assertEquals(4, union(odd, even).stream().map(l -> l.get(1)).distinct().count(), "each task its own context");
        assertThrows(IllegalStateException.class, TaskContext::current);
    }

    private static <X> List<X> union(List<X> a, List<X> b) {
        List<X> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Test
    void aReplyToAMissingQueue_givesTheTaskBack_withTheReason() throws Exception {
        client.<Integer>queue("tasks").put(1);
        Worker<Integer, Object> worker = Worker.<Integer, Object>builder(client).from("tasks").threads(1)
                .idleExit(Duration.ofSeconds(2)).handler(n -> new Reply("no-such-queue", n)).build();
        worker.run();
        List<DeadLetter> dead = client.<DeadLetter>queue("tasks.dead").peek(10);
        assertEquals(1, dead.size());
        assertTrue(dead.get(0).reason().contains("no-such-queue"), dead.get(0).reason());
    }

    int inFlight(String queue) {
        return server.stats().stream().filter(q -> q.name().equals(queue)).findFirst().orElseThrow().inFlight();
    }
}
