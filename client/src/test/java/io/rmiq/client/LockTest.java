package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DistributedLock;
import io.rmiq.api.LockNotHeldException;
import io.rmiq.server.QueueServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Named locks through real clients over 127.0.0.1, and through the embedding JVM's own handles. */
class LockTest {

    static final String KEY = "lock-test-key";
    /** Long, so that a lock freed quickly was freed by close or unlock, not by a session expiring. */
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(60);
    static final Duration BOUND = Duration.ofSeconds(20);

    @TempDir Path dataDir;
    QueueServer server;
    final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = startServer(0);
    }

    QueueServer startServer(int port) throws Exception {
        return QueueServer.builder().port(port).bind("127.0.0.1").authkey(KEY).dataDir(dataDir)
                .sessionTimeout(SESSION_TIMEOUT).queue("tasks").start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        server.close();
    }

    QueueClient connect() {
        // Fails at once when the server is gone, as these tests expect; riding through is RemoteQueueTest's.
        QueueClient c = QueueClient.builder("127.0.0.1", server.port()).authkey(KEY).reconnectTimeout(Duration.ZERO).connect();
        closeables.add(c);
        return c;
    }

    @Test
    void twoClients_excludeEachOther_andTheWaiterGetsItAtUnlock_withAGreaterToken() throws Exception {
        DistributedLock a = connect().lock("report");
        DistributedLock b = connect().lock("report");
        assertTrue(a.tryLock(Duration.ZERO));
        long first = a.fencingToken();
        assertFalse(b.tryLock(Duration.ofMillis(200)));
        assertThrows(LockNotHeldException.class, b::fencingToken);

        CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> tryLock(b, BOUND));
        assertTrue(a.isHeld());
        a.unlock();
        assertTrue(waiting.get(BOUND.toSeconds(), TimeUnit.SECONDS));
        assertTrue(b.fencingToken() > first, b.fencingToken() + " after " + first);
        assertFalse(a.isHeld());
        assertTrue(b.isHeld());
    }

    @Test
    void manyContenders_oneAtATime_tokensIncreasingInTheOrderTheyHeldIt() throws Exception {
        int contenders = 4;
        int rounds = 25;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        List<Long> tokens = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<Void>> all = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(contenders);
        closeables.add(threads::shutdownNow);
        for (int c = 0; c < contenders; c++) {
            DistributedLock lock = connect().lock("counter");
            all.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < rounds; i++) {
                    try {
                        lock.lock();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    if (inside.incrementAndGet() != 1) {
                        overlaps.incrementAndGet();
                    }
                    tokens.add(lock.fencingToken());
                    Thread.yield();
                    inside.decrementAndGet();
                    lock.unlock();
                }
            }, threads));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
        assertEquals(0, overlaps.get(), "two holders at once");
        assertEquals(contenders * rounds, tokens.size());
        for (int i = 1; i < tokens.size(); i++) {
            assertTrue(tokens.get(i) > tokens.get(i - 1), "token " + tokens.get(i) + " after " + tokens.get(i - 1));
        }
    }

    @Test
    void twoHandlesOfOneClient_excludeEachOther() throws Exception {
        QueueClient client = connect();
        DistributedLock a = client.lock("x");
        DistributedLock b = client.lock("x");
        assertTrue(a.tryLock(Duration.ZERO));
        assertFalse(b.tryLock(Duration.ZERO));
        assertThrows(IllegalStateException.class, () -> a.tryLock(Duration.ZERO), "not reentrant");
        a.unlock();
        assertTrue(b.tryLock(Duration.ZERO));
    }

    @Test
    void unlock_byAHandleThatDoesNotHoldIt_fails_andTheHolderKeepsIt() throws Exception {
        DistributedLock holder = connect().lock("x");
        DistributedLock other = connect().lock("x");
        holder.lock();
        LockNotHeldException e = assertThrows(LockNotHeldException.class, other::unlock);
        assertTrue(e.getMessage().contains("'x'"), e.getMessage());
        assertThrows(LockNotHeldException.class, other::renew);
        assertTrue(holder.isHeld());
        holder.unlock();
        assertThrows(LockNotHeldException.class, holder::unlock, "unlocked twice");
    }

    @Test
    void aLeaseRunsOut_theLockGoesToAnother_andTheFormerHoldersUnlockSaysSo() throws Exception {
        DistributedLock slow = connect().lock("x");
        DistributedLock next = connect().lock("x");
        assertTrue(slow.tryLock(Duration.ZERO, Duration.ofMillis(300)));
        long stale = slow.fencingToken();
        assertTrue(next.tryLock(BOUND), "free once the lease ran out, with the holder's client alive");
        assertTrue(next.fencingToken() > stale);
        assertFalse(slow.isHeld());
        LockNotHeldException e = assertThrows(LockNotHeldException.class, slow::unlock); // from the server, over RMI
        assertTrue(e.getMessage().contains("lease"), e.getMessage());
        assertThrows(LockNotHeldException.class, slow::fencingToken, "the handle knows it lost the lock");
        assertTrue(next.isHeld(), "the former holder's unlock did not free the new holder's lock");
    }

    @Test
    void renew_keepsALeasedHold() throws Exception {
        DistributedLock lock = connect().lock("x");
        DistributedLock other = connect().lock("x");
        assertTrue(lock.tryLock(Duration.ZERO, Duration.ofMillis(500)));
        // Renewed every 100 ms across several leases; renew throws if the hold was lost.
        await().during(Duration.ofMillis(1_500)).atMost(BOUND).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    lock.renew();
                    return true;
                });
        assertFalse(other.tryLock(Duration.ZERO));
        lock.unlock();
    }

    @Test
    void badNames_areRefusedByTheServer() {
        QueueClient client = connect();
        assertThrows(IllegalArgumentException.class, () -> client.lock(""));
        for (String bad : List.of("two\nlines", "x".repeat(201))) {
            DistributedLock lock = client.lock(bad);
            assertThrows(IllegalArgumentException.class, () -> lock.tryLock(Duration.ZERO), bad);
            lock.close(); // nothing to free
        }
        assertThrows(IllegalArgumentException.class, () -> server.lock("nul\0").tryLock(Duration.ZERO));
    }

    @Test
    void closingTheClient_freesItsLocksAtOnce() throws Exception {
        QueueClient holderClient = connect();
        DistributedLock held = holderClient.lock("x");
        held.lock();
        holderClient.close();
        // Well within the 60 s session timeout: the closed session frees the lock, not its expiry.
        assertTrue(connect().lock("x").tryLock(BOUND));
    }

    @Test
    void closingTheHandle_freesTheLock_andIsQuietWhenItWasLost() throws Exception {
        DistributedLock other = connect().lock("x");
        try (DistributedLock lock = connect().lock("x")) {
            assertTrue(lock.tryLock(Duration.ZERO));
        }
        assertTrue(other.tryLock(Duration.ZERO));
        other.unlock();
        DistributedLock lost = connect().lock("x");
        assertTrue(lost.tryLock(Duration.ZERO, Duration.ofMillis(100)));
        await().atMost(BOUND).until(() -> !lost.isHeld());
        lost.close(); // no exception: it was lost, which close does not treat as an error
    }

    @Test
    void anInterruptedWait_endsWithoutTheLock() throws Exception {
        DistributedLock holder = connect().lock("x");
        DistributedLock waiter = connect().lock("x");
        holder.lock();
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                waiter.lock();
                result.complete(null);
            } catch (Throwable e) {
                result.complete(e);
            }
        });
        t.start();
        t.interrupt();
        assertInstanceOf(InterruptedException.class, result.get(BOUND.toSeconds(), TimeUnit.SECONDS));
        holder.unlock();
        assertFalse(waiter.isHeld());
        assertTrue(connect().lock("x").tryLock(Duration.ZERO), "the interrupted waiter did not take it");
    }

    @Test
    void theEmbeddingJvmsHandles_andRemoteClients_shareTheLocks() throws Exception {
        DistributedLock local = server.lock("x");
        DistributedLock remote = connect().lock("x");
        assertTrue(local.tryLock(Duration.ZERO));
        assertFalse(remote.tryLock(Duration.ZERO));
        local.unlock();
        assertTrue(remote.tryLock(Duration.ZERO));
        assertFalse(local.tryLock(Duration.ofMillis(100)));
        assertTrue(remote.fencingToken() > 0);
    }

    @Test
    void stoppingTheServer_endsAWaitWithAnError() throws Exception {
        DistributedLock holder = server.lock("x");
        holder.lock();
        DistributedLock waiter = connect().lock("x");
        CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> tryLock(waiter, Duration.ofMinutes(5)));
        server.close(); // a waiter blocked on the server gets ServerShutdownException, a later call no server
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(BOUND.toSeconds(), TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof io.rmiq.api.RmiqException, e.toString());
    }

    @Test
    void aRestartedServer_givesGreaterFencingTokens() throws Exception {
        DistributedLock lock = connect().lock("x");
        assertTrue(lock.tryLock(Duration.ZERO));
        long before = lock.fencingToken();
        server.close();
        // A new port: in one JVM, RMI keeps listening on a port it picked itself. LockProcessIT
        // restarts a server process on its own port, under the same client.
        server = startServer(0);
        DistributedLock again = connect().lock("x");
        assertTrue(again.tryLock(Duration.ZERO), "the restart ended the old hold");
        assertTrue(again.fencingToken() > before, again.fencingToken() + " after " + before);
    }

    private static boolean tryLock(DistributedLock lock, Duration wait) {
        try {
            return lock.tryLock(wait);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
