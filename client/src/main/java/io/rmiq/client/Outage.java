package io.rmiq.client;

import io.rmiq.api.RmiqException;
import io.rmiq.api.ServerShutdownException;
import io.rmiq.api.ServerUnavailableException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rides a client's calls through a lost server: a call that could not reach it is tried again, with
 * capped and jittered back-off, until the server answers or the reconnect timeout has passed since
 * the client lost it. The outage belongs to the client, not to one call, so a long wait made of many
 * short calls gives up on time too, and the client logs one WARN when it loses the server and one
 * INFO when it has one again.
 */
final class Outage {

    private static final Logger log = LoggerFactory.getLogger(Outage.class);
    private static final long FIRST_PAUSE_NANOS = 50_000_000;
    private static final long LONGEST_PAUSE_NANOS = 2_000_000_000;

    /** One try of a call. */
    @FunctionalInterface
    interface Attempt<T> {
        T run() throws java.rmi.RemoteException;
    }

    private final Duration timeout;
    private final Supplier<String> servers;
    private volatile long lostSince; // System.nanoTime() when the server was lost; 0 while it answers

    /** @param servers names the servers tried, for log lines and errors */
    Outage(Duration timeout, Supplier<String> servers) {
        this.timeout = timeout;
        this.servers = servers;
    }

    /** Whether a failure means the server could not be reached (or is stopping), not that it said no. */
    static boolean isOutage(RuntimeException e) {
        return e instanceof ServerUnavailableException || e instanceof ServerShutdownException;
    }

    /**
     * Runs {@code attempt} until it succeeds, fails with something other than an outage, or the
     * outage outlasts the reconnect timeout (then {@link ServerUnavailableException}).
     *
     * @param deadline  the call's own deadline ({@link System#nanoTime()}), or 0 for none: once it
     *                  passes during an outage, the call returns {@code otherwise}
     * @param translate turns what an attempt threw into an rmiq exception
     * @param lost      told of each failed attempt, so that the next one looks the server up again
     */
    <T> T ride(Attempt<T> attempt, long deadline, T otherwise,
            java.util.function.Function<Exception, RuntimeException> translate, Runnable lost) {
        long pause = FIRST_PAUSE_NANOS;
        while (true) {
            RuntimeException failure;
            try {
                T result = attempt.run();
                if (lostSince != 0) {
                    recovered();
                }
                return result;
            } catch (RmiqException e) {
                failure = e;
            } catch (RuntimeException e) {
                throw e; // misuse, or the server refusing an argument: not an outage
            } catch (java.rmi.RemoteException e) {
                failure = translate.apply(e);
            }
            if (!isOutage(failure)) {
                throw failure;
            }
            lost.run();
            if (Thread.currentThread().isInterrupted() || timeout.isZero()) {
                throw failure;
            }
            long since = lost(failure);
            long now = System.nanoTime();
            long giveUp = since + timeout.toNanos();
            if (now - giveUp >= 0) {
                throw new ServerUnavailableException("no rmiq server answered at " + servers.get() + " for "
                        + seconds(now - since) + " (the reconnect timeout is " + timeout.toSeconds() + " s): "
                        + failure.getMessage(), failure);
            }
            if (deadline != 0 && now - deadline >= 0) {
                return otherwise;
            }
            long sleep = Math.min(ThreadLocalRandom.current().nextLong(pause / 2, pause + 1), giveUp - now);
            if (deadline != 0) {
                sleep = Math.min(sleep, deadline - now);
            }
            try {
                pause(Math.max(1, sleep / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure;
            }
            pause = Math.min(pause * 2, LONGEST_PAUSE_NANOS);
        }
    }

    private final Object pauses = new Object();
    private boolean closed; // guarded by pauses

    private void pause(long millis) throws InterruptedException {
        synchronized (pauses) {
            if (!closed) {
                pauses.wait(millis);
            }
        }
    }

    /** Ends every pause between tries at once: the client is closing, and the next try says so. */
    void close() {
        synchronized (pauses) {
            closed = true;
            pauses.notifyAll();
        }
    }

    /** Marks the server lost, once per outage; returns when it was lost. */
    private synchronized long lost(RuntimeException why) {
        if (lostSince == 0) {
            long now = System.nanoTime();
            lostSince = now == 0 ? 1 : now;
            log.warn("lost the server {} ({}); retrying with back-off for up to {} s", servers.get(), why.getMessage(),
                    timeout.toSeconds());
        }
        return lostSince;
    }

    private synchronized void recovered() {
        long since = lostSince;
        if (since != 0) {
            lostSince = 0;
            log.info("server {} reachable again after {}", servers.get(), seconds(System.nanoTime() - since));
        }
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
