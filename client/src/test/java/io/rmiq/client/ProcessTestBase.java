package io.rmiq.client;

import io.rmiq.client.Processes.Proc;
import io.rmiq.client.Processes.ServerProc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Tests of real server.jar and client.jar processes in a temporary directory, all stopped afterwards. */
abstract class ProcessTestBase {

    static final Duration LONG = Duration.ofSeconds(90);
    @TempDir Path dir;
    Processes procs;

    @BeforeEach
    void startProcesses() {
        procs = new Processes();
    }

    @AfterEach
    void stopProcesses() throws Exception {
        procs.close();
    }

    /** {@code client.jar ARGS --host H --port P}, run in the test directory (where the server's key is). */
    Proc client(ServerProc server, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--host", server.host(), "--port", String.valueOf(server.port())));
        return procs.client(dir, Map.of(), all.toArray(new String[0]));
    }

    /** A client in this JVM, with the key the server generated. */
    QueueClient connect(ServerProc server) throws Exception {
        return QueueClient.connect(server.host(), server.port(), Files.readString(dir.resolve("rmiq-data/authkey")).strip());
    }
}
