package io.rmiq.api.internal;

import io.rmiq.api.DistributedLock;
import io.rmiq.api.LockNotHeldException;
import io.rmiq.api.RemoteLocks;
import io.rmiq.api.RmiqException;
import io.rmiq.api.ServerUnavailableException;
import io.rmiq.api.SessionExpiredException;
import io.rmiq.serial.ClassFilter;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * The one implementation of {@link DistributedLock}, over a {@link RemoteLocks} that is either an RMI
 * stub (client) or the server's own lock service (embedded, no round trip). Waits are cut into slices
 * of at most {@link QueueHandle#SLICE_MILLIS}, as the queue handle's are.
 */
public final class LockHandle implements DistributedLock {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String name;
    private final RemoteLocks remote;
    private final String peer;
    private final RemoteCalls calls;
    private final SessionSource sessions;
    /** This handle's half of the holder's identity on the server; the session is the other half. */
    private final long ticket = RANDOM.nextLong();

    // Guarded by this. session != 0: the server may hold the lock for (session, ticket), which is
    // also the case after a failed acquire whose answer was lost; token != 0: we know it does.
    private long session;
    private long token;
    private boolean acquiring;

    /**
     * @param resultFilter applied to what a remote server returns, or null for the in-JVM server
     * @param sessions     the session holds belong to
     */
    public LockHandle(String name, RemoteLocks remote, String peer, ClassFilter resultFilter, SessionSource sessions) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a lock needs a name");
        }
        this.name = name;
        this.remote = remote;
        this.peer = peer;
        this.calls = new RemoteCalls(peer, resultFilter);
        this.sessions = sessions;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void lock() throws InterruptedException {
        acquire(RemoteCalls.FOREVER, 0);
    }

    @Override
    public boolean tryLock(Duration wait) throws InterruptedException {
        return acquire(RemoteCalls.deadline(wait), 0);
    }

    @Override
    public boolean tryLock(Duration wait, Duration lease) throws InterruptedException {
        if (lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException("a lease must be positive, got " + lease);
        }
        return acquire(RemoteCalls.deadline(wait), Math.max(1, lease.toMillis()));
    }

    private boolean acquire(long deadline, long leaseMillis) throws InterruptedException {
        synchronized (this) {
            if (token != 0) {
                throw new IllegalStateException("this handle already holds lock '" + name + "' (locks are not reentrant)");
            }
            if (acquiring) {
                throw new IllegalStateException("another thread is taking lock '" + name + "' with this handle");
            }
            acquiring = true;
        }
        try {
            while (true) {
                RemoteCalls.checkInterrupt();
                long wait = RemoteCalls.slice(deadline);
                long sid = calls.uninterruptibly(sessions::id);
                long got;
                try {
                    got = calls.call(() -> remote.acquire(name, sid, ticket, leaseMillis, wait));
                } catch (SessionExpiredException e) {
                    sessions.expired(sid);
                    continue;
                } catch (ServerUnavailableException e) {
                    // The server may have granted it and the answer got lost: the next acquire with
                    // our ticket gets that hold back, and close() frees it.
                    synchronized (this) {
                        session = sid;
                    }
                    throw e;
                }
                synchronized (this) {
                    // A 0 means (session, ticket) does not hold it, whatever an earlier lost answer did.
                    session = got == 0 ? 0 : sid;
                    token = got;
                }
                if (got != 0) {
                    return true;
                }
                if (RemoteCalls.expired(deadline)) {
                    return false;
                }
            }
        } finally {
            synchronized (this) {
                acquiring = false;
            }
        }
    }

    /** The session this handle holds the lock in. */
    private long heldSession() {
        long sid;
        synchronized (this) {
            sid = session;
        }
        if (sid == 0) {
            throw new LockNotHeldException("this handle does not hold lock '" + name + "'");
        }
        return sid;
    }

    @Override
    public void unlock() {
        long sid = heldSession();
        try {
            calls.uninterruptibly(() -> {
                remote.release(name, sid, ticket);
                return null;
            });
        } catch (LockNotHeldException e) {
            forget(sid);
            throw e;
        }
        forget(sid);
    }

    @Override
    public void renew() {
        long sid = heldSession();
        try {
            calls.uninterruptibly(() -> remote.renew(name, sid, ticket));
        } catch (LockNotHeldException e) {
            forget(sid);
            throw e;
        }
    }

    @Override
    public boolean isHeld() {
        long sid;
        synchronized (this) {
            sid = session;
        }
        return sid != 0 && calls.uninterruptibly(() -> remote.holds(name, sid, ticket));
    }

    @Override
    public synchronized long fencingToken() {
        if (token == 0) {
            throw new LockNotHeldException("this handle does not hold lock '" + name + "'");
        }
        return token;
    }

    @Override
    public void close() {
        try {
            synchronized (this) {
                if (session == 0) {
                    return;
                }
            }
            unlock();
        } catch (RmiqException e) {
            // Lost already, or the server is gone: its session timeout frees the lock in that case.
        }
    }

    /** Ends this handle's view of a hold in session {@code sid}, unless a newer acquire replaced it. */
    private synchronized void forget(long sid) {
        if (session == sid) {
            session = 0;
            token = 0;
        }
    }

    @Override
    public String toString() {
        return "DistributedLock[" + name + "]";
    }
}
