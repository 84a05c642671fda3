package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rmiq.api.Delivery;
import io.rmiq.api.DistributedQueue;
import io.rmiq.server.QueueServer;
import java.time.Duration;
import java.util.List;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract through a real client over 127.0.0.1, with the queues on a real single-node NATS JetStream. */
class NatsRemoteQueueTest extends RemoteQueueTest {

    @TempDir
    static Path natsDir;
    static NatsServers nats;

    @BeforeAll
    static void startNats() throws Exception {
        nats = NatsServers.single(natsDir);
    }

    @AfterAll
    static void stopNats() throws Exception {
        nats.close();
    }

    @Override
    QueueServer.Builder store(QueueServer.Builder builder) {
        try {
            nats.deleteStreams();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return builder.nats(nats.settings());
    }

    /**
     * As on the embedded store, but without counting them waiting first: JetStream counts a task given
     * back (NAKed) as pending until it is delivered again, so {@code size()} says 0 meanwhile.
     */
    @Override
    @Test
    void closingAClient_returnsItsLeasedTasksAtOnce() throws Exception {
        QueueClient worker = connect();
        DistributedQueue<String> mine = worker.queue("tasks");
        mine.putAll(List.of("x", "y"));
        assertEquals(2, mine.receive(2, Duration.ofSeconds(1)).size());
        worker.close();

        DistributedQueue<String> other = queue("tasks");
        List<Delivery<String>> again = other.receive(2, Duration.ofSeconds(5));
        assertEquals(List.of("x", "y"), again.stream().map(Delivery::payload).toList());
        assertEquals(List.of(2, 2), again.stream().map(Delivery::attempt).toList());
    }
}
