package io.rmiq.api.internal;

import io.rmiq.api.PayloadRejectedException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.function.Function;

/**
 * Reads one frame ({@link ItemFrames}, {@link LeasedFrames}) and refuses it as malformed, with
 * {@link PayloadRejectedException}, wherever it does not add up: it may come from a peer that is not
 * rmiq.
 */
final class FrameReader {

    private final ByteBuffer buf;
    private final String what;

    private FrameReader(byte[] frame, String what) {
        this.buf = ByteBuffer.wrap(frame);
        this.what = what;
    }

    /** Runs {@code body} over the frame and checks that it read the frame to its end. */
    static <T> T read(byte[] frame, String what, Function<FrameReader, T> body) {
        if (frame == null) {
            throw new PayloadRejectedException("no " + what + " frame");
        }
        FrameReader r = new FrameReader(frame, what);
        try {
            T out = body.apply(r);
            if (r.buf.hasRemaining()) {
                throw r.malformed(r.buf.remaining() + " bytes after the last item");
            }
            return out;
        } catch (BufferUnderflowException e) {
            throw r.malformed("it ends early");
        }
    }

    /**
     * The item count, refused before an array of that size is made when the frame cannot hold that
     * many items of at least {@code minItemBytes} each.
     */
    int count(int minItemBytes) {
        int n = buf.getInt();
        if (n < 0 || n > buf.remaining() / minItemBytes) {
            throw malformed(n + " items in " + buf.capacity() + " bytes");
        }
        return n;
    }

    int getInt() {
        return buf.getInt();
    }

    long getLong() {
        return buf.getLong();
    }

    /** A length-prefixed payload: item {@code i}'s. */
    byte[] payload(int i) {
        int length = buf.getInt();
        if (length < 0 || length > buf.remaining()) {
            throw malformed("item " + i + " claims " + length + " bytes, " + buf.remaining() + " remain");
        }
        byte[] payload = new byte[length];
        buf.get(payload);
        return payload;
    }

    private PayloadRejectedException malformed(String why) {
        return new PayloadRejectedException("malformed " + what + " frame: " + why);
    }
}
