package io.rmiq.transport;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A connection's input that, when no byte is there yet, watches for one for a few microseconds
 * before it blocks. At most one thread per spare core watches at a time, and a connection whose
 * bytes did not come within the moment is not watched again for a while.
 *
 * <p>Why: an RMI call is a request and an answer, and each side waits for the other in between. A
 * thread that blocks lets its core go idle, and waking an idle core cost more than the rest of the
 * round trip on the virtual machines we measured: a put or get took 70 µs with idle cores and 15 µs
 * with this. The answer to a call, and a busy caller's next call, mostly arrive within the moment.
 */
public final class SpinningInput extends FilterInputStream {

    /**
     * How long a read watches before it blocks: {@code -Drmiq.spinMicros}, 50 by default; 0 turns
     * watching off (e.g. where many JVMs share few cores and CPU matters more than latency).
     */
    static final long SPIN_NANOS = 1_000L * Math.max(0, Math.min(1_000, spinMicros()));
    /** Most reads in a row that block at once after watches that found nothing. */
    static final int MAX_BACKOFF = 1_024;
    /** None on one core: there, watching could only keep the other side from running. */
    private static final int MAX_SPINNERS = Runtime.getRuntime().availableProcessors() - 1;
    private static final boolean ON = SPIN_NANOS > 0 && MAX_SPINNERS > 0;
    private static final AtomicInteger SPINNERS = new AtomicInteger();

    /** How long a read watches before it blocks, in microseconds; 0 when watching is off. */
    public static long watchMicros() {
        return ON ? SPIN_NANOS / 1_000 : 0;
    }

    /**
     * {@code in}, watched before it blocks; or {@code in} itself when watching is off.
     *
     * @param probe where bytes show up first: the plain socket's input under TLS (a TLS stream counts
     *              only what it has decrypted), else {@code in} itself
     */
    public static InputStream wrap(InputStream in, InputStream probe) {
        return ON ? new SpinningInput(in, probe) : in;
    }

    /**
     * The setting, or its default where a Security Manager keeps the property from this code (RMI's
     * connection threads run with few permissions): a failure here would fail every connection.
     */
    private static int spinMicros() {
        try {
            return Integer.getInteger("rmiq.spinMicros", 50);
        } catch (SecurityException e) {
            return 50;
        }
    }

    private final InputStream probe;
    // Used by one thread at a time: RMI reads a connection from one thread per call.
    private int backoff;
    /**
     * A new connection's first reads block at once: most connections that will carry many calls
     * are past them within a few calls, while a connection opened for a lookup or two would only
     * make its server watch for bytes that never come.
     */
    private int skip = 8;

    SpinningInput(InputStream in, InputStream probe) {
        super(in);
        this.probe = probe;
    }

    @Override
    public int read() throws IOException {
        awaitBriefly();
        return super.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        awaitBriefly();
        return super.read(b, off, len);
    }

    /** Whether the next read that finds nothing will watch before it blocks (given a spare core). */
    boolean watching() {
        return skip == 0;
    }

    private void awaitBriefly() throws IOException {
        if (skip > 0) {
            skip--;
            return;
        }
        if (in.available() > 0 || (probe != in && probe.available() > 0)) {
            return;
        }
        if (SPINNERS.incrementAndGet() > MAX_SPINNERS) {
            SPINNERS.decrementAndGet();
            return;
        }
        boolean arrived;
        try {
            long start = System.nanoTime();
            do {
                Thread.onSpinWait();
                arrived = probe.available() > 0;
            } while (!arrived && System.nanoTime() - start < SPIN_NANOS);
        } finally {
            SPINNERS.decrementAndGet();
        }
        // Bytes that do not come within the moment (a busy server, a caller that pauses between
        // calls, a long poll) mean watching this connection only takes a core from threads with work.
        backoff = arrived ? 0 : Math.min(2 * backoff + 1, MAX_BACKOFF);
        skip = backoff;
    }
}
