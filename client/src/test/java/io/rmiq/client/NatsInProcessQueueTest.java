package io.rmiq.client;

import io.rmiq.server.QueueServer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The contract on the in-process handles, with the queues on a real single-node NATS JetStream. */
class NatsInProcessQueueTest extends InProcessQueueTest {

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
}
