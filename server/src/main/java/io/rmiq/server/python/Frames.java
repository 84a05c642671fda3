package io.rmiq.server.python;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/** multiprocessing's framing: a big-endian int32 length (or -1 and a uint64 length), then the bytes. */
final class Frames {

    /** A frame over the cap: the stream is left unread, so the connection must be closed. */
    static final class TooLarge extends IOException {
        final long length;

        TooLarge(long length, long max) {
            super("frame of " + length + " bytes exceeds the limit of " + max);
            this.length = length;
        }
    }

    /** A request whose bytes did not all come in time, or did not fit the shared budget: close the connection. */
    static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    /**
     * Bytes of requests being read, over every connection. A declared length is only a claim: a
     * buffer grows as its bytes arrive, and every connection's partial requests together stay within
     * this, so peers that send headers and trickle the rest cannot fill the heap.
     */
    static final class Budget {
        private final long max;
        private final AtomicLong used = new AtomicLong();

        Budget(long max) {
            this.max = max;
        }

        boolean take(long n) {
            if (used.addAndGet(n) <= max) {
                return true;
            }
            used.addAndGet(-n);
            return false;
        }

        void give(long n) {
            used.addAndGet(-n);
        }

        long max() {
            return max;
        }

        long used() {
            return used.get();
        }
    }

    /** The first buffer for a request body: most are far smaller than their cap. */
    private static final int FIRST_CHUNK = 64 * 1024;

    private Frames() {
    }

    /** Reads one frame of at most {@code max} bytes; EOFException if the peer closed between frames. */
    static byte[] read(DataInputStream in, long max) throws IOException {
        long n = length(in, max);
        byte[] b = new byte[(int) n];
        in.readFully(b);
        return b;
    }

    /**
     * Reads one request: waits as long as it takes for the first byte (a connection may idle), then
     * wants the whole frame within {@code millis} plus 10 ms per KB it declares, growing its buffer
     * as the bytes arrive and counting it against {@code budget} while it is being read.
     */
    static byte[] readRequest(DataInputStream in, Socket socket, long max, long millis, Budget budget)
            throws IOException {
        int first = in.read();
        if (first < 0) {
            throw new java.io.EOFException();
        }
        long start = System.nanoTime();
        socket.setSoTimeout((int) Math.max(1, millis));
        long held = 0;
        try {
            long n = length(first, in, max);
            // A large request on a slow link may take longer: allow it 100 KB/s on top.
            long allowed = millis + n / 100;
            long deadline = start + allowed * 1_000_000;
            int size = (int) Math.min(n, FIRST_CHUNK);
            if (!budget.take(size)) {
                throw busy(n, budget);
            }
            held = size;
            byte[] b = new byte[size];
            int got = 0;
            while (got < n) {
                if (got == b.length) {
                    int next = (int) Math.min(n, 2L * b.length);
                    if (!budget.take(next - b.length)) {
                        throw busy(n, budget);
                    }
                    held += next - b.length;
                    b = Arrays.copyOf(b, next);
                }
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw slow(n, got, allowed);
                }
                socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
                int r;
                try {
                    r = in.read(b, got, b.length - got);
                } catch (SocketTimeoutException e) {
                    throw slow(n, got, allowed);
                }
                if (r < 0) {
                    throw new java.io.EOFException("the peer closed within a request");
                }
                got += r;
            }
            return b;
        } catch (SocketTimeoutException e) {
            throw slow(-1, 0, millis);
        } finally {
            budget.give(held);
            socket.setSoTimeout(0);
        }
    }

    private static Refused busy(long n, Budget budget) {
        return new Refused("a request of " + n + " bytes does not fit now: requests being read already hold "
                + "the server's " + budget.max() / (1024 * 1024) + " MiB for them");
    }

    private static Refused slow(long n, long got, long millis) {
        return new Refused(n < 0 ? "a request's header did not arrive within " + millis + " ms"
                : "a request of " + n + " bytes did not arrive within " + millis + " ms (" + got + " came)");
    }

    private static long length(DataInputStream in, long max) throws IOException {
        int first = in.read();
        if (first < 0) {
            throw new java.io.EOFException();
        }
        return length(first, in, max);
    }

    private static long length(int first, DataInputStream in, long max) throws IOException {
        long n = (first << 24) | (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
        if (n == -1) {
            n = in.readLong();
            if (n < 0) {
                throw new TooLarge(Long.MAX_VALUE, max);
            }
        } else if (n < 0) {
            throw new IOException("bad frame length " + n);
        }
        if (n > max) {
            throw new TooLarge(n, max);
        }
        return n;
    }

    static void write(DataOutputStream out, byte[] payload) throws IOException {
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
    }
}
