package io.rmiq.server.python;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

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

    private Frames() {
    }

    /** Reads one frame of at most {@code max} bytes; EOFException if the peer closed between frames. */
    static byte[] read(DataInputStream in, long max) throws IOException {
        long n = in.readInt();
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
        byte[] b = new byte[(int) n];
        in.readFully(b);
        return b;
    }

    static void write(DataOutputStream out, byte[] payload) throws IOException {
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
    }
}
