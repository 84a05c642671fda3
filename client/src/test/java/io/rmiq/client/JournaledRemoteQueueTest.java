package io.rmiq.client;

import io.rmiq.server.QueueServer;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The contract through a real client, with every change in the embedded store's journal. */
class JournaledRemoteQueueTest extends RemoteQueueTest {

    @TempDir
    Path dataDir;

    @Override
    QueueServer.Builder store(QueueServer.Builder builder) {
        return builder.dataDir(dataDir);
    }
}
