package io.rmiq.api.internal;

import io.rmiq.api.LeasedItem;
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
     * @throws io.rmiq.api.PayloadRejectedException if the frame is malformed, e.g. from a server that is not rmiq
     */
    public static LeasedItem[] decode(byte[] frame) {
        return FrameReader.read(frame, "leased-items", r -> {
            LeasedItem[] items = new LeasedItem[r.count(HEAD)];
            for (int i = 0; i < items.length; i++) {
                long id = r.getLong();
                int attempt = r.getInt();
                long deadline = r.getLong();
                items[i] = new LeasedItem(id, attempt, deadline, r.payload(i));
            }
            return items;
        });
    }
}
