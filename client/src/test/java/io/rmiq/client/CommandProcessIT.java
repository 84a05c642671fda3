package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.task.CommandResult;
import io.rmiq.client.Processes.Proc;
import io.rmiq.client.Processes.ServerProc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Command tasks as a user runs them: server.jar, a client.jar worker, and submit/run/results. */
class CommandProcessIT extends ProcessTestBase {

    ServerProc server;

    @BeforeEach
    void startServerAndWorker() throws Exception {
        server = procs.server(dir);
        client(server, "worker", "--threads", "2").awaitLine("worker ready", LONG);
    }

    /** Like client(), but with the connection options before the {@code --} that ends the options. */
    @Override
    Proc client(ServerProc server, String... args) throws Exception {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        int end = all.indexOf("--");
        all.addAll(end < 0 ? all.size() : end, List.of("--host", server.host(), "--port", String.valueOf(server.port())));
        return procs.client(dir, java.util.Map.of(), all.toArray(new String[0]));
    }

    @Test
    void run_printsTheRemoteOutput_andExitsWithTheRemoteExitCode() throws Exception {
        Proc run = client(server, "run", "--", "sh", "-c", "echo hi; echo oops >&2; exit 3");
        assertEquals(3, run.awaitExit(LONG), run.all());
        assertEquals(List.of("hi"), run.out);
        assertEquals(List.of("oops"), run.err);

        Proc ok = client(server, "run", "--", "printf", "%s\\n", "a b", "*");
        assertEquals(0, ok.awaitExit(LONG), ok.all());
        assertEquals(List.of("a b", "*"), ok.out, "arguments reach the program as given: no shell");
    }

    @Test
    void run_ofAMissingProgram_exits127_andOfAHungOne_124() throws Exception {
        Proc missing = client(server, "run", "--", "no-such-program-rmiq", "x");
        assertEquals(127, missing.awaitExit(LONG), missing.all());
        assertTrue(String.join("\n", missing.err).contains("cannot run 'no-such-program-rmiq'"), missing.all());

        Proc hung = client(server, "run", "--timeout", "1", "--", "sleep", "60");
        assertEquals(124, hung.awaitExit(LONG), hung.all());
        assertTrue(String.join("\n", hung.err).contains("timed out after 1 s"), hung.all());
    }

    @Test
    void submit_printsAnId_andResultsShowsItsResult_withoutTakingIt() throws Exception {
        Proc submit = client(server, "submit", "--", "echo", "hello from a worker");
        assertEquals(0, submit.awaitExit(LONG), submit.all());
        String id = submit.out.get(0);
        try (QueueClient c = connect(server)) {
            await().atMost(LONG).until(() -> c.<Object>queue("results").peek(100).stream()
                    .anyMatch(r -> r instanceof CommandResult cr && cr.id().equals(id)));
        }
        for (int i = 0; i < 2; i++) {
            Proc results = client(server, "results", id);
            assertEquals(0, results.awaitExit(LONG), results.all());
            assertTrue(results.out.get(0).startsWith("== " + id + " exit=0 "), results.all());
            assertTrue(results.out.contains("hello from a worker"), results.all());
        }
        Proc list = client(server, "results");
        assertEquals(0, list.awaitExit(LONG), list.all());
        assertEquals("1 command result on results", list.out.get(list.out.size() - 1), list.all());

        Proc unknown = client(server, "results", "c-no-such-id");
        assertEquals(1, unknown.awaitExit(LONG), unknown.all());
        assertTrue(unknown.err.get(0).contains("no result for c-no-such-id"), unknown.all());
    }

    @Test
    void submitFileWait_showsProgress_andFailsIfACommandFailed() throws Exception {
        Path file = dir.resolve("jobs.txt");
        Files.writeString(file, "# three jobs\necho one\n\ntrue\nfalse\n");
        Proc submit = client(server, "submit", "--file", file.toString(), "--wait");
        assertEquals(1, submit.awaitExit(LONG), submit.all());
        assertEquals(3 + 3 + 1, submit.out.size(), submit.all()); // ids, result lines, summary
        assertEquals("2 of 3 commands exited 0", submit.out.get(6));
        assertTrue(submit.err.stream().anyMatch(l -> l.startsWith("commands: 3/3 ") && l.endsWith(" done")),
                "a plain progress line when not on a terminal: " + submit.all());
    }

    @Test
    void master_showsProgress_whileTheWorkerAlsoServesCommands() throws Exception {
        Proc master = client(server, "master", "--tasks", "50", "--quiet");
        assertEquals(0, master.awaitExit(LONG), master.all());
        assertEquals("received 50/50 results", master.out.get(master.out.size() - 1));
        assertTrue(master.err.stream().anyMatch(l -> l.startsWith("results: 50/50 ")), master.all());
    }

    @Test
    void badInput_isAUsageError() throws Exception {
        Proc none = client(server, "run");
        assertEquals(2, none.awaitExit(LONG), none.all());
        Proc submit = client(server, "submit");
        assertEquals(2, submit.awaitExit(LONG), submit.all());
        assertTrue(submit.err.get(0).contains("no command"), submit.all());
    }
}
