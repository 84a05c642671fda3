package io.rmiq.api;

import java.time.Duration;

/**
 * A named lock held on an rmiq server: at most one holder at a time across every client.
 *
 * <pre>{@code
 * try (DistributedLock lock = client.lock("nightly-report")) {
 *     if (lock.tryLock(Duration.ofSeconds(10))) {
 *         long token = lock.fencingToken();  // pass it to storage that can reject stale writers
 *         ...
 *         lock.unlock();
 *     }
 * }
 * }</pre>
 *
 * <p><b>How long a hold lasts.</b> Until {@link #unlock()}, or until the holder's client session
 * ends, whichever comes first: a client that dies or loses the network stops its heartbeats, and the
 * server frees its locks within the session timeout (10 s by default). A hold taken with a lease,
 * {@link #tryLock(Duration, Duration)}, also ends when the lease runs out without a {@link #renew()},
 * even if its client is alive: a bound on a holder that is alive but stuck. A server restart ends
 * every hold.
 *
 * <p><b>Fencing tokens.</b> Every hold gets a token greater than those of every earlier hold of the
 * same lock (tokens are unique across the server's locks too). A server with a data directory keeps
 * them increasing across restarts. A holder can lose its lock without knowing it (a long pause, a
 * network partition); storage that remembers the highest token it has seen and refuses writes with a
 * lower one stays safe even then.
 *
 * <p>A handle is one holder, not reentrant: two handles on the same name, even in one client, exclude
 * each other. It is not fair: a waiter that has waited longest does not always go first. A handle is
 * safe to share between threads, but its hold is the handle's, not a thread's; the usual use is one
 * handle per thread. Waits are bounded long-polls underneath, so {@link Thread#interrupt()} ends them
 * within one slice and a stopping server releases them with {@link ServerShutdownException}.
 */
public interface DistributedLock extends AutoCloseable {

    /** The lock's name on the server. */
    String name();

    /** Takes the lock, waiting as long as it takes; held until unlocked or the session ends. */
    void lock() throws InterruptedException;

    /**
     * Takes the lock, waiting up to {@code wait}; held until unlocked or the session ends.
     *
     * @return false if another holder kept it for the whole wait
     * @throws IllegalStateException if this handle already holds it
     */
    boolean tryLock(Duration wait) throws InterruptedException;

    /**
     * Takes the lock, waiting up to {@code wait}, for at most {@code lease} unless {@link #renew()}ed.
     *
     * @return false if another holder kept it for the whole wait
     * @throws IllegalStateException if this handle already holds it
     */
    boolean tryLock(Duration wait, Duration lease) throws InterruptedException;

    /**
     * Frees the lock.
     *
     * @throws LockNotHeldException if this handle does not hold it, or lost it (lease, session or
     *                              server restart); either way it does not hold it afterwards
     */
    void unlock();

    /**
     * Restarts the lease of the current hold, so it ends one lease from now.
     *
     * @throws LockNotHeldException if this handle does not hold the lock any more
     */
    void renew();

    /** Asks the server whether this handle holds the lock now. */
    boolean isHeld();

    /**
     * The fencing token of the current hold, as the server gave it when the lock was taken.
     *
     * @throws LockNotHeldException if this handle has not taken the lock, or has unlocked it
     */
    long fencingToken();

    /** Frees the lock if this handle holds it; a lock already lost, or a server gone, is not an error here. */
    @Override
    void close();
}
