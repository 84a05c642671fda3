package io.rmiq.api.internal;

import io.rmiq.api.PayloadRejectedException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Queue items as one byte array on the wire: {@code count[4]}, then per item {@code length[4]
 * payload[length]}.
 *
 * <p>Why: as a {@code byte[][]}, every item cost Java serialization a class descriptor lookup, a
 * filter check and a read call on both sides, and a batch holds a thousand items.
 *
 * <p>Senders keep a frame near {@link #TARGET_BYTES} (a single larger item goes alone), so a frame is
 * never much longer than the longest item the receiver's filter admits anyway.
 */
public final class ItemFrames {

    /** Payload bytes after which a sender starts a new frame. */
    public static final int TARGET_BYTES = 4 << 20;
    private static final int HEAD = 4;

    private ItemFrames() {
    }

    /** A frame of the given items. */
    public static byte[] of(byte[]... items) {
        return encode(Arrays.asList(items));
    }

    public static byte[] encode(List<byte[]> items) {
        long size = HEAD;
        for (byte[] item : items) {
            size += HEAD + item.length;
        }
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("items too large for one frame: " + size + " bytes");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        buf.putInt(items.size());
        for (byte[] item : items) {
            buf.putInt(item.length).put(item);
        }
        return buf.array();
    }

    /**
     * Where the next frame starting at {@code from} should end: after at most {@code maxItems}, and
     * before the payloads pass {@link #TARGET_BYTES}, but after at least one item.
     */
    public static int end(List<byte[]> items, int from, int maxItems) {
        int to = from;
        long bytes = 0;
        while (to < items.size() && to - from < maxItems) {
            bytes += items.get(to).length;
            if (to > from && bytes > TARGET_BYTES) {
                break;
            }
            to++;
        }
        return to;
    }

    /**
     * @param maxItems most items the receiver takes in one frame
     * @throws PayloadRejectedException if the frame is malformed or holds more than {@code maxItems}
     */
    public static byte[][] decode(byte[] frame, int maxItems) {
        return FrameReader.read(frame, "items", r -> {
            int n = r.count(HEAD);
            if (n > maxItems) {
                throw new PayloadRejectedException("a batch holds at most " + maxItems + " items, this one " + n);
            }
            byte[][] items = new byte[n][];
            for (int i = 0; i < n; i++) {
                items[i] = r.payload(i);
            }
            return items;
        });
    }
}
