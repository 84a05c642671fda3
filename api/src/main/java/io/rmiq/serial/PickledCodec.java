package io.rmiq.serial;

import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.PickledValue;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The stored form of a {@link PickledValue}: the pickle, then its view as a compact item.
 *
 * <pre>
 * item = 0xB8 length(int32) pickle [compact-item]     (no compact item: the view is null)
 *      | 0xB9 length(int32) pickle compact-item       (the view is the value itself)
 * </pre>
 * Neither side of rmiq unpickles the bytes after they are stored: the server hands them to Python
 * consumers as they are, and Java reads only the view. A 0xB9 item is plain data (numbers, text,
 * lists, dicts) whose Java form is exact: Java consumers get that value itself, not a
 * {@link PickledValue}, and Python consumers still get the producer's bytes.
 */
public final class PickledCodec {

    /** First byte of a pickled item. */
    public static final byte MAGIC = (byte) 0xB8;
    /** First byte of a pickled item whose view is exact. */
    public static final byte MAGIC_EXACT = (byte) 0xB9;

    private PickledCodec() {
    }

    public static boolean isPickled(byte[] item) {
        return item.length > 0 && (item[0] == MAGIC || item[0] == MAGIC_EXACT);
    }

    /** Whether a pickled item's view is the value itself (see the class comment). */
    public static boolean isExact(byte[] item) {
        return item.length > 0 && item[0] == MAGIC_EXACT;
    }

    /** The stored form of a pickle of plain data and its exact Java form, already compact-encoded. */
    public static byte[] encodeExact(byte[] pickle, byte[] compact) {
        return frame(MAGIC_EXACT, pickle, compact);
    }

    /** The Java value of an exact item. */
    public static Object exactValue(byte[] item, SerialLimits limits) {
        int n = length(item);
        return CompactCodec.decode(Arrays.copyOfRange(item, 5 + n, item.length), limits);
    }

    /** The stored form of a pickle and its view (which must be compact-encodable, or null). */
    public static byte[] encode(byte[] pickle, Object view) {
        byte[] compact = view == null ? new byte[0] : CompactCodec.tryEncode(view);
        if (compact == null) {
            throw new PayloadRejectedException("the view of a pickled item must hold plain values only");
        }
        return frame(MAGIC, pickle, compact);
    }

    private static byte[] frame(byte magic, byte[] pickle, byte[] compact) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(5 + pickle.length + compact.length);
        out.write(magic);
        out.write(pickle.length >>> 24);
        out.write(pickle.length >>> 16);
        out.write(pickle.length >>> 8);
        out.write(pickle.length);
        out.write(pickle, 0, pickle.length);
        out.write(compact, 0, compact.length);
        return out.toByteArray();
    }

    public static byte[] encode(PickledValue value) {
        return encode(value.bytes(), value.view());
    }

    /** The pickle bytes of a stored item. */
    public static byte[] pickle(byte[] item) {
        return Arrays.copyOfRange(item, 5, 5 + length(item));
    }

    public static PickledValue decode(byte[] item, SerialLimits limits) {
        check(item, limits);
        int n = length(item);
        Object view = item.length == 5 + n ? null
                : CompactCodec.decode(Arrays.copyOfRange(item, 5 + n, item.length), limits);
        return new PickledValue(Arrays.copyOfRange(item, 5, 5 + n), view);
    }

    /** Checks the structure (and the view) without building anything: what the server does before storing one. */
    public static void check(byte[] item, SerialLimits limits) {
        if (item.length > limits.maxBytes()) {
            throw new PayloadRejectedException("item of " + item.length + " bytes exceeds the limit of " + limits.maxBytes());
        }
        int n = length(item);
        if (item.length > 5 + n) {
            CompactCodec.check(Arrays.copyOfRange(item, 5 + n, item.length), limits);
        } else if (isExact(item)) {
            throw new PayloadRejectedException("malformed pickled item: an exact item without its value");
        }
    }

    private static int length(byte[] item) {
        if (item.length < 5 || !isPickled(item)) {
            throw new PayloadRejectedException("malformed pickled item: too short or wrong first byte");
        }
        int n = ((item[1] & 0xff) << 24) | ((item[2] & 0xff) << 16) | ((item[3] & 0xff) << 8) | (item[4] & 0xff);
        if (n < 0 || n > item.length - 5) {
            throw new PayloadRejectedException("malformed pickled item: pickle length " + n + " with "
                    + (item.length - 5) + " bytes left");
        }
        return n;
    }
}
