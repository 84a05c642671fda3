package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.client.Processes.Proc;
import io.rmiq.client.Processes.ServerProc;
import io.rmiq.client.executor.DistributedExecutor;
import io.rmiq.client.executor.RemoteCallable;
import io.rmiq.client.executor.RemoteFunction;
import io.rmiq.client.executor.RemoteTaskException;
import io.rmiq.client.worker.TaskContext;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The executor with a worker process started as the README says: client.jar plus the application's
 * classes on the class path, the application's package allowed on the server and the worker.
 */
class ExecutorProcessIT extends ProcessTestBase {

    static final String ALLOW = "io.rmiq.client.ExecutorProcessIT*";

    @Test
    void tasksRunInAWorkerProcess_withValuesFailuresAndContext() throws Exception {
        ServerProc server = procs.server(dir, "--allow", ALLOW, "--allow", "java.lang.invoke.SerializedLambda");
        String classpath = Processes.CLIENT_JAR.toAbsolutePath() + File.pathSeparator
                + Path.of("target", "test-classes").toAbsolutePath();
        Proc worker = procs.javaCp(dir, classpath, "io.rmiq.cli.Cli", List.of("worker", "--threads", "2",
                "--allow", ALLOW, "--host", server.host(), "--port", String.valueOf(server.port())));
        worker.awaitLine("worker ready", LONG);

        String key = Files.readString(dir.resolve("rmiq-data/authkey")).strip();
        try (QueueClient client = QueueClient.builder(server.host(), server.port()).authkey(key).allow(ALLOW).connect()) {
            DistributedExecutor pool = DistributedExecutor.builder(client).build();
            long myPid = ProcessHandle.current().pid();
            List<Object> ran = pool.submit((RemoteCallable<List<Object>>) () -> List.of(
                    ProcessHandle.current().pid(), TaskContext.current().attempt())).get(LONG.toSeconds(), TimeUnit.SECONDS);
            assertTrue((Long) ran.get(0) != myPid, "ran in the worker process, not here");
            assertEquals(worker.process.pid(), ran.get(0));
            assertEquals(1, ran.get(1));

            assertEquals(List.of(1, 4, 9, 16), pool.map((RemoteFunction<Integer, Integer>) n -> n * n, List.of(1, 2, 3, 4)));

            ExecutionException e = assertThrows(ExecutionException.class, () -> pool.submit(
                    (RemoteCallable<Integer>) () -> Integer.parseInt("not a number")).get(LONG.toSeconds(), TimeUnit.SECONDS));
            RemoteTaskException remote = assertInstanceOf(RemoteTaskException.class, e.getCause());
            assertEquals("java.lang.NumberFormatException", remote.remoteClass());
            assertTrue(remote.getMessage().contains("/" + worker.process.pid() + ")"), remote.getMessage());
            assertTrue(remote.remoteStackTrace().contains("at java.base/java.lang.Integer.parseInt("),
                    remote.remoteStackTrace());

            pool.shutdown();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
    }
}
