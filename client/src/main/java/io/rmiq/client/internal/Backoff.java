package io.rmiq.client.internal;

import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;

/**
 * Capped exponential back-off with jitter, for retrying a server that went away, and a log line per
 * change of state (lost, back) rather than per attempt. Not thread-safe: one per retrying thread.
 */
public final class Backoff {

    private static final long FIRST_MILLIS = 100;
    private static final long CAP_MILLIS = 10_000;

    private final Logger log;
    private final String what;
    private int failures;
    private long lostAtNanos;

    /** @param what names the retrying party in the log lines */
    public Backoff(Logger log, String what) {
        this.log = log;
        this.what = what;
    }

    /** Records a failure and sleeps before the next try. */
    public void failed(RuntimeException e) throws InterruptedException {
        if (failures++ == 0) {
            lostAtNanos = System.nanoTime();
            log.warn("{}: lost the server ({}); retrying with back-off", what, e.getMessage());
        }
        long cap = Math.min(CAP_MILLIS, FIRST_MILLIS << Math.min(failures - 1, 20));
        // Full jitter: a fleet of workers that lost one server does not come back in lockstep.
        Thread.sleep(ThreadLocalRandom.current().nextLong(cap / 2, cap + 1));
    }

    /** Records a success; logs once if it ends a run of failures. */
    public void succeeded() {
        if (failures > 0) {
            log.info("{}: server reachable again after {} s and {} attempts", what,
                    (System.nanoTime() - lostAtNanos) / 1_000_000_000, failures);
            failures = 0;
        }
    }
}
