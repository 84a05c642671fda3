package io.rmiq.api.internal;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * A few log lines per interval at most, for events that repeat: a misconfigured consumer meets the
 * same items again and again, a broken handler fails every task, and a hostile peer can fail
 * handshakes as fast as it can connect. The next line that gets through says how many were held back.
 */
public final class RateLimitedLog {

    private final int lines;
    private final long everyNanos;
    private long windowStart; // guarded by this
    private int written;
    private long suppressed;

    /** One line per {@code every}. */
    public RateLimitedLog(Duration every) {
        this(1, every);
    }

    /** Up to {@code lines} lines per {@code every}. */
    public RateLimitedLog(int lines, Duration every) {
        this.lines = lines;
        this.everyNanos = every.toNanos();
    }

    /**
     * Hands {@code line} the suffix to append (empty, or " (N more … in the last S s)") if a line may
     * go out now; otherwise counts it as held back.
     *
     * @param what names the lines in the suffix, e.g. "such warnings"
     */
    public void log(String what, Consumer<String> line) {
        long held;
        synchronized (this) {
            long now = System.nanoTime();
            if (written == 0 || now - windowStart >= everyNanos) {
                windowStart = now;
                written = 0;
            }
            if (written >= lines) {
                suppressed++;
                return;
            }
            written++;
            held = suppressed;
            suppressed = 0;
        }
        line.accept(held == 0 ? "" : " (" + held + " more " + what + " held back in the last "
                + Math.max(1, everyNanos / 1_000_000_000) + " s)");
    }
}
