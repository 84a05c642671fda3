package io.rmiq.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.QueueStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Python endpoint's warm-up at start, on a server with a data directory. */
class PythonWarmUpTest {

    @TempDir Path dataDir;

    QueueServer start() throws Exception {
        return QueueServer.builder().port(0).bind("127.0.0.1").pythonPort(0).authkey("warm-up-test").dataDir(dataDir)
                .queue("tasks").queue("warmup").start();
    }

    @Test
    void warmUp_leavesNoTraceInTheQueuesOrTheDataDirectory_andClearsWhatAKilledOneLeft() throws Exception {
        Path left = dataDir.resolve(io.rmiq.server.store.embedded.EmbeddedStore.SCRATCH_DIR).resolve("warmup");
        Files.createDirectories(left);
        Files.write(left.resolve("00000001.log"), new byte[] {1, 2, 3});
        try (QueueServer server = start()) {
            int pairs = server.pythonWarmUp().get(60, TimeUnit.SECONDS);
            assertTrue(pairs > 0, "pairs done: " + pairs);
            assertFalse(Files.exists(dataDir.resolve(io.rmiq.server.store.embedded.EmbeddedStore.SCRATCH_DIR)));
            for (QueueStats s : server.stats()) {
                assertEquals(0, s.puts(), s.name());
            }
            server.queue("tasks").put("kept");
        }
        try (QueueServer server = start()) {
            assertEquals(1, server.queue("tasks").size());
            assertEquals(0, server.queue("warmup").size());
        }
    }
}
