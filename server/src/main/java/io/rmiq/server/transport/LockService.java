package io.rmiq.server.transport;

import io.rmiq.api.RemoteLocks;
import io.rmiq.api.RmiqException;
import io.rmiq.api.ServerShutdownException;
import io.rmiq.server.lock.Locks;
import java.io.IOException;

/**
 * The exported face of the server's {@link Locks}: checks arguments and caps each wait, as
 * {@link QueueService} does for queues. Also what the embedding JVM calls directly.
 */
public final class LockService implements RemoteLocks {

    private final Locks locks;

    public LockService(Locks locks) {
        this.locks = locks;
    }

    @Override
    public long acquire(String name, long session, long ticket, long leaseMillis, long waitMillis) {
        check(name);
        if (leaseMillis < 0) {
            throw new IllegalArgumentException("a lease must not be negative, got " + leaseMillis);
        }
        try {
            return locks.acquire(name, session, ticket, leaseMillis, Math.min(waitMillis, QueueService.MAX_WAIT_MILLIS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerShutdownException("rmiq server interrupted the call");
        } catch (IOException e) {
            throw new RmiqException("rmiq server could not record fencing tokens: " + e.getMessage());
        }
    }

    @Override
    public long renew(String name, long session, long ticket) {
        check(name);
        return locks.renew(name, session, ticket);
    }

    @Override
    public boolean holds(String name, long session, long ticket) {
        check(name);
        return locks.holds(name, session, ticket);
    }

    @Override
    public void release(String name, long session, long ticket) {
        check(name);
        locks.release(name, session, ticket);
    }

    private static void check(String name) {
        // Clients choose lock names and the server logs them: no line breaks or other control characters.
        if (name == null || name.isEmpty() || name.length() > Locks.MAX_NAME
                || name.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("a lock name has 1 to " + Locks.MAX_NAME
                    + " characters, none of them control characters");
        }
    }
}
