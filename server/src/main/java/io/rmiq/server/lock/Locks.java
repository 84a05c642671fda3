package io.rmiq.server.lock;

import io.rmiq.api.LockNotHeldException;
import io.rmiq.api.ServerShutdownException;
import io.rmiq.api.SessionExpiredException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongPredicate;
import java.util.function.LongToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's named locks. A hold belongs to a holder, a {@code (session, ticket)} pair, and ends at
 * release, when the holder's session ends, or when its lease (if it has one) runs out.
 *
 * <p>Ends are noticed two ways: lazily, by whoever next looks at the lock (a waiter also wakes when
 * the holder's lease runs out), and by the server's reaper ({@link #releaseSession}, {@link #expire}),
 * which wakes waiters when a session ends.
 *
 * <p>One mutex for all locks: lock calls are rare next to queue calls, and it keeps session ends
 * and restarts simple. It is not shared with the queues.
 */
public final class Locks {

    private static final Logger log = LoggerFactory.getLogger(Locks.class);

    /** Longest lock name, so that a client cannot make the server hold arbitrary strings. */
    public static final int MAX_NAME = 200;

    private static final class Entry {
        final String name;
        final Condition freed;
        long session;
        long ticket;
        long token;
        long leaseNanos;      // 0: held for as long as the session
        long deadlineNanos;   // when the lease runs out, if there is one
        int waiters;

        Entry(String name, Condition freed) {
            this.name = name;
            this.freed = freed;
        }

        boolean held() {
            return token != 0;
        }

        boolean heldBy(long s, long t) {
            return token != 0 && session == s && ticket == t;
        }

        void free() {
            token = 0;
            session = 0;
            ticket = 0;
            freed.signal();
        }
    }

    private final ReentrantLock mutex = new ReentrantLock();
    private final Map<String, Entry> entries = new HashMap<>();
    private final FencingTokens tokens;
    private final LongPredicate liveSession;
    private final LongToIntFunction waitMark;
    private boolean closed;

    /**
     * @param tokenFile   where fencing tokens are kept across restarts, or null to keep them in memory
     * @param liveSession whether a session is still live
     */
    public Locks(Path tokenFile, LongPredicate liveSession) throws IOException {
        this(tokenFile, liveSession, session -> 0);
    }

    /**
     * @param waitMark a session's count of cancelled waits: a wait ends, unsuccessful, when it changes
     *                 (then {@link #wakeWaiters} wakes it to see)
     */
    public Locks(Path tokenFile, LongPredicate liveSession, LongToIntFunction waitMark) throws IOException {
        this.tokens = new FencingTokens(tokenFile);
        this.liveSession = liveSession;
        this.waitMark = waitMark;
    }

    /**
     * Takes {@code name} for the holder, waiting up to {@code waitMillis} for it.
     *
     * @param leaseMillis 0 for a hold that lasts as long as the session
     * @return the fencing token, or 0 if another holder kept it for the whole wait
     */
    public long acquire(String name, long session, long ticket, long leaseMillis, long waitMillis)
            throws InterruptedException, IOException {
        long deadline = System.nanoTime() + nanos(waitMillis);
        int mark = waitMark.applyAsInt(session);
        mutex.lockInterruptibly();
        Entry e = null;
        try {
            e = entries.computeIfAbsent(name, n -> new Entry(n, mutex.newCondition()));
            while (true) {
                if (closed) {
                    throw new ServerShutdownException("rmiq server is shutting down");
                }
                // Checked under the mutex, which the reaper's releaseSession also takes: a session that
                // ends after this check has its new hold freed by that call.
                if (!liveSession.test(session)) {
                    throw new SessionExpiredException(session);
                }
                long now = System.nanoTime();
                endIfOver(e, now);
                if (e.heldBy(session, ticket)) {
                    restartLease(e, now); // a retried call whose first answer was lost
                    return e.token;
                }
                if (!e.held()) {
                    e.token = tokens.next();
                    e.session = session;
                    e.ticket = ticket;
                    e.leaseNanos = nanos(leaseMillis);
                    restartLease(e, now);
                    return e.token;
                }
                long left = deadline - now;
                if (left <= 0 || waitMark.applyAsInt(session) != mark) {
                    return 0;
                }
                if (e.leaseNanos != 0) {
                    left = Math.min(left, Math.max(1, e.deadlineNanos - now));
                }
                e.waiters++;
                try {
                    e.freed.awaitNanos(left);
                } finally {
                    e.waiters--;
                }
            }
        } finally {
            if (e != null) {
                if (!e.held() && e.waiters > 0) {
                    // We were woken for a lock we did not take (we timed out, were interrupted or
                    // failed): pass the wake-up on, or the next waiter sleeps through a free lock.
                    e.freed.signal();
                }
                forgetIfIdle(name, e);
            }
            mutex.unlock();
        }
    }

    /** Restarts the hold's lease. */
    public long renew(String name, long session, long ticket) {
        mutex.lock();
        try {
            Entry e = heldEntry(name, session, ticket);
            restartLease(e, System.nanoTime());
            return e.token;
        } finally {
            mutex.unlock();
        }
    }

    public boolean holds(String name, long session, long ticket) {
        mutex.lock();
        try {
            Entry e = entries.get(name);
            if (e == null) {
                return false;
            }
            endIfOver(e, System.nanoTime());
            boolean held = e.heldBy(session, ticket);
            forgetIfIdle(name, e);
            return held;
        } finally {
            mutex.unlock();
        }
    }

    public void release(String name, long session, long ticket) {
        mutex.lock();
        try {
            Entry e = heldEntry(name, session, ticket);
            e.free();
            forgetIfIdle(name, e);
        } finally {
            mutex.unlock();
        }
    }

    /** Frees every lock a session held, now that it has ended. */
    public void releaseSession(long session) {
        mutex.lock();
        try {
            for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (e.held() && e.session == session) {
                    end(e, "its holder's session ended");
                }
                if (!e.held() && e.waiters == 0) {
                    it.remove();
                }
            }
        } finally {
            mutex.unlock();
        }
    }

    /** Frees every lock whose lease has run out, or whose holder's session has ended. */
    public void expire() {
        mutex.lock();
        try {
            long now = System.nanoTime();
            for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
                Entry e = it.next();
                endIfOver(e, now);
                if (!e.held() && e.waiters == 0) {
                    it.remove();
                }
            }
        } finally {
            mutex.unlock();
        }
    }

    /** How many locks are held now. */
    public int held() {
        mutex.lock();
        try {
            return (int) entries.values().stream().filter(Entry::held).count();
        } finally {
            mutex.unlock();
        }
    }

    /** How many callers wait for {@code name} now. */
    int waiters(String name) {
        mutex.lock();
        try {
            Entry e = entries.get(name);
            return e == null ? 0 : e.waiters;
        } finally {
            mutex.unlock();
        }
    }

    /** Wakes every waiter, so that those whose waits were cancelled end; the others wait on. */
    public void wakeWaiters() {
        mutex.lock();
        try {
            entries.values().forEach(e -> e.freed.signalAll());
        } finally {
            mutex.unlock();
        }
    }

    /** Releases every waiter with {@link ServerShutdownException}; later calls fail the same way. */
    public void close() {
        mutex.lock();
        try {
            closed = true;
            entries.values().forEach(e -> e.freed.signalAll());
        } finally {
            mutex.unlock();
        }
    }

    private Entry heldEntry(String name, long session, long ticket) {
        Entry e = entries.get(name);
        if (e != null) {
            endIfOver(e, System.nanoTime());
        }
        if (e == null || !e.heldBy(session, ticket)) {
            if (e != null) {
                forgetIfIdle(name, e);
            }
            throw new LockNotHeldException("lock '" + name + "' is not held by this holder: it was never taken, "
                    + "was unlocked, or was lost when its lease ran out, its client's session ended or the server "
                    + "restarted");
        }
        return e;
    }

    /** Ends a hold whose lease ran out or whose session ended. */
    private void endIfOver(Entry e, long now) {
        if (!e.held()) {
            return;
        }
        if (e.leaseNanos != 0 && now - e.deadlineNanos >= 0) {
            end(e, "its lease ran out");
        } else if (!liveSession.test(e.session)) {
            end(e, "its holder's session ended");
        }
    }

    /** A hold that ended without its holder's unlock: worth a line, the holder may still think it holds it. */
    private static void end(Entry e, String why) {
        log.info("lock '{}' (token {}) freed: {}", e.name, e.token, why);
        e.free();
    }

    /** Capped, so that now + the result cannot overflow: a century is as good as forever. */
    private static long nanos(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(Math.min(Math.max(0, millis), TimeUnit.DAYS.toMillis(36_500)));
    }

    private static void restartLease(Entry e, long now) {
        e.deadlineNanos = now + e.leaseNanos;
    }

    private void forgetIfIdle(String name, Entry e) {
        if (!e.held() && e.waiters == 0) {
            entries.remove(name, e);
        }
    }
}
