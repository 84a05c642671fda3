package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.rmiq.api.DeadLetter;
import io.rmiq.client.worker.Worker;
import io.rmiq.demo.TaskWorker;
import io.rmiq.server.QueueServer;
import io.rmiq.server.queue.QueueConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The demo worker's task shapes: [id, n] lists of any whole numbers, plain numbers, and what it cannot run. */
class DemoWorkerTest {

    static final String KEY = "demo-worker-test-key";
    QueueServer server;
    QueueClient client;
    final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    final ch.qos.logback.classic.Logger workerLog = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Worker.class);

    @BeforeEach
    void start() throws Exception {
        server = QueueServer.builder().port(0).bind("127.0.0.1").authkey(KEY)
                .queue(new QueueConfig("tasks", Integer.MAX_VALUE, 5_000, 2)).queue("results").start();
        client = QueueClient.connect("127.0.0.1", server.port(), KEY);
        logs.start();
        workerLog.addAppender(logs);
    }

    @AfterEach
    void stop() {
        workerLog.detachAppender(logs);
        client.close();
        server.close();
    }

    @Test
    void runsIntsLongsAndPlainNumbers_andWarnsOnceNamingWhatItRunsForTheRest() throws Exception {
        client.queue("tasks").putAll(List.of(List.of(1, 7), List.of(2L, 8L), 9, "hello"));
        Worker<Object, Object> worker = TaskWorker.worker(client, 0, 0, 1, Duration.ofSeconds(2), Duration.ZERO, true,
                new PrintStream(new ByteArrayOutputStream()));
        worker.run();

        Set<Object> results = new HashSet<>(client.queue("results").take(10, Duration.ofSeconds(1)));
        assertEquals(Set.of(List.of(1L, 7L, 49L), List.of(2L, 8L, 64L), "9 * 9 = 81"), results);
        DeadLetter dead = client.<DeadLetter>queue("tasks.dead").poll(Duration.ofSeconds(10));
        assertTrue(dead.reason().contains("the demo worker runs a whole number n or a list [id, n]"), dead.reason());
        assertEquals("hello", client.decode(dead));

        List<ILoggingEvent> warnings = logs.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).getThrowableProxy().getMessage().contains("got java.lang.String hello"),
                warnings.get(0).getThrowableProxy().getMessage());
    }
}
