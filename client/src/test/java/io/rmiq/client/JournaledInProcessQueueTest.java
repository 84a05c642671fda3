package io.rmiq.client;

import io.rmiq.server.QueueServer;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The contract on the in-process handles, with every change in the embedded store's journal. */
class JournaledInProcessQueueTest extends InProcessQueueTest {

    @TempDir
    Path dataDir;

    @Override
    QueueServer.Builder store(QueueServer.Builder builder) {
        return builder.dataDir(dataDir);
    }
}
