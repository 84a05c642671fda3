package io.rmiq.client;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One log line per interval at most, for failures that repeat: a misconfigured consumer meets the
 * same items again and again, and a broken handler fails every task. The next line that gets through
 * says how many were held back.
 */
public final class RateLimitedLog {

    private final long everyNanos;
    private final AtomicLong last = new AtomicLong();
    private final AtomicLong suppressed = new AtomicLong();

    public RateLimitedLog(java.time.Duration every) {
        this.everyNanos = every.toNanos();
    }

    /**
     * Hands {@code line} the suffix to append (empty, or " (N more … in the last S s)") if a line may
     * go out now; otherwise counts it as held back.
     *
     * @param what names the lines in the suffix, e.g. "such warnings"
     */
    public void log(String what, Consumer<String> line) {
        long now = System.nanoTime();
        long previous = last.get();
        if ((previous != 0 && now - previous < everyNanos) || !last.compareAndSet(previous, now == 0 ? 1 : now)) {
            suppressed.incrementAndGet();
            return;
        }
        long held = suppressed.getAndSet(0);
        line.accept(held == 0 ? "" : " (" + held + " more " + what + " in the last " + everyNanos / 1_000_000_000 + " s)");
    }
}
