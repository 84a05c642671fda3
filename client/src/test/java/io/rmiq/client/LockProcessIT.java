package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DistributedLock;
import io.rmiq.api.LockNotHeldException;
import io.rmiq.api.RmiqException;
import io.rmiq.api.ServerUnavailableException;
import io.rmiq.client.Processes.Proc;
import io.rmiq.client.Processes.ServerProc;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Locks held by real client.jar processes: killed with -9, stopped, and across a server restart. */
class LockProcessIT extends ProcessTestBase {

    private static final Pattern LOCKED = Pattern.compile("locked (\\S+) token (\\d+)");

    @Test
    void holderKilledWithNine_aWaitingClientGetsTheLockWithinTheSessionTimeout_withAGreaterToken() throws Exception {
        int sessionTimeout = 2;
        ServerProc server = procs.server(dir, "--session-timeout", String.valueOf(sessionTimeout));
        Proc holder = client(server, "lock", "nightly");
        long first = token(holder.awaitLine("locked nightly token", LONG));
        Proc waiter = client(server, "lock", "nightly");
        waiter.awaitLine("waiting for lock nightly", LONG);
        Proc impatient = client(server, "lock", "nightly", "--wait", "0.5");
        assertEquals(1, impatient.awaitExit(LONG), impatient.all());
        assertTrue(impatient.err.toString().contains("still held by another"), impatient.all());

        holder.process.destroyForcibly(); // SIGKILL: no unlock, no goodbye; only its heartbeats stop
        holder.awaitExit(LONG);
        assertFalse(waiter.out.stream().anyMatch(l -> l.startsWith("locked")), "the waiter got it while it was held: "
                + waiter.all());

        // The session timeout, the reaper's quarter second and a loaded machine's slack.
        Duration bound = Duration.ofSeconds(sessionTimeout * 3L + 10);
        long second = token(waiter.awaitLine("locked nightly token", bound));
        assertTrue(second > first, second + " after " + first);
        try (QueueClient c = connect(server)) {
            assertFalse(c.lock("nightly").tryLock(Duration.ZERO), "held by the former waiter now");
        }
    }

    @Test
    void holderStoppedGracefully_unlocksAtOnce_notAtItsSessionTimeout() throws Exception {
        ServerProc server = procs.server(dir, "--session-timeout", "120");
        Proc holder = client(server, "lock", "nightly");
        long first = token(holder.awaitLine("locked nightly token", LONG));
        holder.terminate();
        holder.awaitExit(LONG);
        assertTrue(holder.out.contains("unlocked nightly"), holder.all());
        try (QueueClient c = connect(server)) {
            DistributedLock lock = c.lock("nightly");
            // Far less than the 120 s the server would wait for a holder that merely went silent.
            assertTrue(lock.tryLock(Duration.ofSeconds(30)));
            assertTrue(lock.fencingToken() > first);
        }
    }

    @Test
    void aServerRestart_endsEveryHold_theHoldersNotice_andTokensKeepGrowing() throws Exception {
        ServerProc server = procs.server(dir);
        Proc cliHolder = client(server, "lock", "a");
        long cliToken = token(cliHolder.awaitLine("locked a token", LONG));
        QueueClient client = connect(server);
        DistributedLock b = client.lock("b");
        assertTrue(b.tryLock(Duration.ZERO));
        long before = Math.max(cliToken, b.fencingToken());

        server.proc().terminate();
        server.proc().awaitExit(LONG);
        ServerProc restarted = procs.server(dir, "--port", String.valueOf(server.port()));

        assertEquals(1, cliHolder.awaitExit(LONG), cliHolder.all());
        assertTrue(cliHolder.err.stream().anyMatch(l -> l.contains("lost lock a")), cliHolder.all());
        assertFalse(cliHolder.out.contains("unlocked a"), "it did not hold it when it left: " + cliHolder.all());

        // The first call after the restart may fail while the client finds the server again, unless
        // its heartbeat already has.
        RmiqException e = assertThrows(RmiqException.class, b::unlock);
        if (e instanceof ServerUnavailableException) {
            e = assertThrows(RmiqException.class, b::unlock);
        }
        assertInstanceOf(LockNotHeldException.class, e, "the restart ended the hold");
        assertTrue(b.tryLock(Duration.ZERO), "the same client takes it again, in a new session");
        assertTrue(b.fencingToken() > before, b.fencingToken() + " after " + before);
        try (QueueClient other = connect(restarted)) {
            DistributedLock a = other.lock("a");
            assertTrue(a.tryLock(Duration.ZERO));
            assertTrue(a.fencingToken() > before);
        }
        client.close();
    }

    private static long token(String line) {
        Matcher m = LOCKED.matcher(line);
        assertTrue(m.find(), line);
        return Long.parseLong(m.group(2));
    }
}
