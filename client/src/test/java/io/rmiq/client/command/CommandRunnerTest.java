package io.rmiq.client.command;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.task.CommandResult;
import io.rmiq.api.task.CommandTask;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Real processes, started the way a worker starts them. */
class CommandRunnerTest {

    final CommandRunner runner = new CommandRunner(1_000);

    CommandResult run(long timeoutMillis, String... cmd) throws InterruptedException {
        return runner.run(new CommandTask("t1", List.of(cmd), timeoutMillis, "results"));
    }

    @Test
    void exitCode_stdout_andStderr_comeBackApart() throws Exception {
        CommandResult r = run(30_000, "sh", "-c", "echo out; echo err >&2; exit 3");
        assertEquals(3, r.exitCode());
        assertEquals("out\n", r.stdout());
        assertEquals("err\n", r.stderr());
        assertNull(r.error());
        assertEquals("t1", r.id());
        assertEquals(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), r.command());
    }

    @Test
    void arguments_reachTheProgramAsGiven_withoutAShell() throws Exception {
        CommandResult r = run(30_000, "printf", "%s|", "a b", "$HOME", "*");
        assertEquals(0, r.exitCode());
        assertEquals("a b|$HOME|*|", r.stdout());
    }

    @Test
    void standardInput_isClosed() throws Exception {
        CommandResult r = run(30_000, "cat");
        assertEquals(0, r.exitCode());
        assertEquals("", r.stdout());
    }

    @Test
    void unknownProgram_is127_withAClearError() throws Exception {
        CommandResult r = run(30_000, "no-such-program-rmiq");
        assertEquals(127, r.exitCode());
        assertTrue(r.error().contains("cannot run 'no-such-program-rmiq'"), r.error());
        assertTrue(r.stderr().contains("No such file or directory"), r.stderr());
    }

    @Test
    void output_isCutAtTheCap_sayingHowMuchWasCut() throws Exception {
        CommandResult r = run(30_000, "sh", "-c", "head -c 5000 /dev/zero | tr '\\0' x");
        assertEquals(0, r.exitCode());
        assertTrue(r.stdout().startsWith("x".repeat(1_000) + "\n[rmiq: 4000 more bytes cut]"), r.stdout());
    }

    @Test
    void timeout_killsTheProcessAndItsChildren() throws Exception {
        // sh prints its own pid and its background child's, then waits for the child.
        CommandResult r = run(1_500, "sh", "-c", "echo $$; sleep 300 & echo $!; wait");
        assertEquals(CommandRunner.EXIT_TIMED_OUT, r.exitCode());
        assertTrue(r.error().startsWith("timed out after 1.5 s"), r.error());
        assertTrue(r.stderr().contains("rmiq: timed out"), r.stderr());
        String[] pids = r.stdout().strip().split("\n");
        assertEquals(2, pids.length, r.stdout());
        for (String pid : pids) {
            await().atMost(Duration.ofSeconds(10)).until(() -> !alive(Long.parseLong(pid)));
        }
        assertFalse(alive(Long.parseLong(pids[1])), "the child sleep was killed too");
    }

    private static boolean alive(long pid) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        return h.isPresent() && h.get().isAlive();
    }
}
