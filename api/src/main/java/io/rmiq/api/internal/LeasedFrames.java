package io.rmiq.api.internal;

import io.rmiq.api.LeasedItem;
import io.rmiq.api.PayloadRejectedException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * Leased items as one byte array on the wire: {@code count[4]}, then per item {@code id[8]
 * attempt[4] leaseDeadline[8] length[4] payload[length]}.
 *
 * <p>Why: as an array of objects, each item cost Java serialization an object, a record constructor
 * call and a filter check on both sides; a worker receives hundreds of items per call.
 */
public final class LeasedFrames {

    private static final int HEAD = 8 + 4 + 8 + 4;

    private LeasedFrames() {
    }

    public static byte[] encode(LeasedItem[] items) {
        long size = 4;
        for (LeasedItem item : items) {
            size += HEAD + item.payload().length;
        }
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("leased items too large for one frame: " + size + " bytes");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        buf.putInt(items.length);
        for (LeasedItem item : items) {
            buf.putLong(item.id()).putInt(item.attempt()).putLong(item.leaseDeadlineMillis())
                    .putInt(item.payload().length).put(item.payload());
        }
        return buf.array();
    }

    /**
     * @throws PayloadRejectedException if the frame is malformed, e.g. from a server that is not rmiq
     */
    public static LeasedItem[] decode(byte[] frame) {
        try {
            ByteBuffer buf = ByteBuffer.wrap(frame);
            int n = buf.getInt();
            // Each item takes at least HEAD bytes, so a count the frame cannot hold is refused
            // before an array of that size is made.
            if (n < 0 || n > buf.remaining() / HEAD) {
                throw new PayloadRejectedException("malformed leased-items frame: " + n + " items in "
                        + frame.length + " bytes");
            }
            LeasedItem[] items = new LeasedItem[n];
            for (int i = 0; i < n; i++) {
                long id = buf.getLong();
                int attempt = buf.getInt();
                long deadline = buf.getLong();
                int length = buf.getInt();
                if (length < 0 || length > buf.remaining()) {
                    throw new PayloadRejectedException("malformed leased-items frame: item " + i + " claims "
                            + length + " bytes, " + buf.remaining() + " remain");
                }
                byte[] payload = new byte[length];
                buf.get(payload);
                items[i] = new LeasedItem(id, attempt, deadline, payload);
            }
            if (buf.hasRemaining()) {
                throw new PayloadRejectedException("malformed leased-items frame: " + buf.remaining()
                        + " bytes after the last item");
            }
            return items;
        } catch (BufferUnderflowException e) {
            throw new PayloadRejectedException("malformed leased-items frame: it ends early");
        }
    }
}
