package io.rmiq.server.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.LockNotHeldException;
import io.rmiq.api.ServerShutdownException;
import io.rmiq.api.SessionExpiredException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lock engine on its own: holders, leases, sessions and fencing tokens. */
class LocksTest {

    static final long A = 1, B = 2, C = 3;   // sessions
    static final long T = 77;                // a ticket
    final Set<Long> live = ConcurrentHashMap.newKeySet();
    @TempDir Path dir;
    /** Its own threads: the common pool may have one thread (2 cores), and waiters block in it. */
    final ExecutorService waiters = Executors.newCachedThreadPool();

    LocksTest() {
        live.addAll(Set.of(A, B, C));
    }

    @AfterEach
    void stopWaiters() {
        waiters.shutdownNow();
    }

    Locks locks() throws Exception {
        return new Locks(null, live::contains);
    }

    @Test
    void oneHolderAtATime_andEveryHoldGetsAGreaterToken() throws Exception {
        Locks locks = locks();
        long first = locks.acquire("x", A, T, 0, 0);
        assertTrue(first > 0);
        assertEquals(0, locks.acquire("x", B, T, 0, 50), "held by A");
        assertTrue(locks.acquire("y", B, T, 0, 0) > first, "other names are independent, tokens still grow");
        locks.release("x", A, T);
        long second = locks.acquire("x", B, T, 0, 0);
        assertTrue(second > first);
    }

    @Test
    void sameSessionDifferentTicket_isAnotherHolder() throws Exception {
        Locks locks = locks();
        assertTrue(locks.acquire("x", A, 1, 0, 0) > 0);
        assertEquals(0, locks.acquire("x", A, 2, 0, 0));
        assertThrows(LockNotHeldException.class, () -> locks.release("x", A, 2));
        assertTrue(locks.holds("x", A, 1));
    }

    @Test
    void retriedAcquire_byTheHolder_returnsTheSameToken() throws Exception {
        Locks locks = locks();
        long token = locks.acquire("x", A, T, 0, 0);
        assertEquals(token, locks.acquire("x", A, T, 0, 0));
    }

    @Test
    void releaseOrRenew_byANonHolder_fails_andLeavesTheHolder() throws Exception {
        Locks locks = locks();
        assertThrows(LockNotHeldException.class, () -> locks.release("x", A, T), "never taken");
        long token = locks.acquire("x", A, T, 0, 0);
        LockNotHeldException e = assertThrows(LockNotHeldException.class, () -> locks.release("x", B, T));
        assertTrue(e.getMessage().contains("'x'"), e.getMessage());
        assertThrows(LockNotHeldException.class, () -> locks.renew("x", B, T));
        assertEquals(token, locks.renew("x", A, T));
        locks.release("x", A, T);
        assertThrows(LockNotHeldException.class, () -> locks.release("x", A, T), "released twice");
        assertEquals(0, locks.held());
    }

    @Test
    void aWaiter_getsTheLockWhenItIsReleased() throws Exception {
        Locks locks = locks();
        long first = locks.acquire("x", A, T, 0, 0);
        CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> acquire(locks, "x", B, 10_000), waiters);
        await().atMost(Duration.ofSeconds(5)).until(() -> locks.waiters("x") > 0);
        assertFalse(waiter.isDone());
        locks.release("x", A, T);
        assertTrue(waiter.get(10, TimeUnit.SECONDS) > first);
    }

    @Test
    void aLease_endsTheHold_andWakesAWaiter_withoutTheReaper() throws Exception {
        Locks locks = locks();
        long first = locks.acquire("x", A, T, 300, 0);
        long second = locks.acquire("x", B, T, 0, 10_000); // waits past A's lease; nothing calls expire()
        assertTrue(second > first);
        assertThrows(LockNotHeldException.class, () -> locks.release("x", A, T), "A's hold ended with its lease");
    }

    @Test
    void anEnormousLease_lastsRatherThanOverflowing() throws Exception {
        Locks locks = locks();
        locks.acquire("x", A, T, Long.MAX_VALUE, 0);
        assertEquals(0, locks.acquire("x", B, T, 0, 100));
        assertTrue(locks.holds("x", A, T));
    }

    @Test
    void renew_restartsTheLease() throws Exception {
        Locks locks = locks();
        locks.acquire("x", A, T, 1_000, 0);
        // Held across 2.5 leases because it is renewed every 100 ms (a lost hold makes renew throw);
        // the lease is long beside the renewals so that a busy machine's stalls do not lose it.
        await().during(Duration.ofMillis(2_500)).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> locks.renew("x", A, T) > 0);
        assertTrue(locks.holds("x", A, T));
        await().atMost(Duration.ofSeconds(5)).until(() -> !locks.holds("x", A, T));
    }

    @Test
    void expire_freesRunOutLeases_andHoldsOfEndedSessions() throws Exception {
        Locks locks = locks();
        locks.acquire("leased", A, T, 200, 0);
        locks.acquire("session", C, T, 0, 0);
        live.remove(C);
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            locks.expire();
            return locks.held() == 0;
        });
    }

    @Test
    void releaseSession_freesEveryLockOfThatSession_andWakesTheirWaiters() throws Exception {
        Locks locks = locks();
        locks.acquire("x", A, 1, 0, 0);
        locks.acquire("y", A, 2, 0, 0);
        locks.acquire("z", B, 1, 0, 0);
        CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> acquire(locks, "x", C, 10_000), waiters);
        await().atMost(Duration.ofSeconds(5)).until(() -> locks.waiters("x") > 0);
        live.remove(A); // as the reaper does: first the session ends, then its locks go
        locks.releaseSession(A);
        assertTrue(waiter.get(10, TimeUnit.SECONDS) > 0);
        assertEquals(2, locks.held(), "x by C now, z still by B");
        assertTrue(locks.holds("z", B, 1));
    }

    @Test
    void anEndedSession_cannotTakeALock() throws Exception {
        Locks locks = locks();
        live.remove(A);
        assertThrows(SessionExpiredException.class, () -> locks.acquire("x", A, T, 0, 0));
        assertEquals(0, locks.held());
    }

    @Test
    void aWokenWaiterThatFails_passesTheWakeUpOn() throws Exception {
        Locks locks = locks();
        locks.acquire("x", A, T, 0, 0);
        // C waits first, so a release wakes C (conditions are FIFO); B waits far longer than the test.
        CompletableFuture<Long> doomed = CompletableFuture.supplyAsync(() -> acquire(locks, "x", C, 600_000), waiters);
        await().atMost(Duration.ofSeconds(5)).until(() -> locks.waiters("x") == 1);
        CompletableFuture<Long> patient = CompletableFuture.supplyAsync(() -> acquire(locks, "x", B, 600_000), waiters);
        await().atMost(Duration.ofSeconds(5)).until(() -> locks.waiters("x") == 2);
        live.remove(C);
        locks.release("x", A, T);
        ExecutionException e = assertThrows(ExecutionException.class, () -> doomed.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof SessionExpiredException, e.toString());
        assertTrue(patient.get(30, TimeUnit.SECONDS) > 0, "B was woken for the lock C could not take");
    }

    @Test
    void close_releasesWaitersWithShutdown() throws Exception {
        Locks locks = locks();
        locks.acquire("x", A, T, 0, 0);
        CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> acquire(locks, "x", B, 10_000), waiters);
        await().atMost(Duration.ofSeconds(5)).until(() -> locks.waiters("x") > 0);
        locks.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiter.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof ServerShutdownException, e.toString());
    }

    @Test
    void fencingTokens_keepGrowingAcrossRestarts_withATokenFile() throws Exception {
        Path file = dir.resolve("fencing-tokens");
        long last = 0;
        for (int restart = 0; restart < 3; restart++) {
            Locks locks = new Locks(file, live::contains);
            for (int i = 0; i < 5; i++) {
                long token = locks.acquire("x", A, T, 0, 0);
                assertTrue(token > last, token + " after " + last);
                last = token;
                locks.release("x", A, T);
            }
            locks.close();
        }
        assertTrue(Files.readString(file).strip().matches("\\d+"));
    }

    @Test
    void aDamagedTokenFile_stopsTheStart_namingTheFile() throws Exception {
        Path file = dir.resolve("fencing-tokens");
        Files.writeString(file, "garbage");
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> new Locks(file, live::contains));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void fencingTokens_crossABlockBoundary_andStillGrowAfterARestart() throws Exception {
        Path file = dir.resolve("fencing-tokens");
        FencingTokens tokens = new FencingTokens(file);
        long last = 0;
        for (long i = 0; i < FencingTokens.BLOCK + 10; i++) {
            long t = tokens.next();
            assertTrue(t > last);
            last = t;
        }
        assertTrue(new FencingTokens(file).next() > last);
    }

    private static long acquire(Locks locks, String name, long session, long waitMillis) {
        try {
            return locks.acquire(name, session, T, 0, waitMillis);
        } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }
}
