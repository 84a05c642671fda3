package io.rmiq.serial;

import io.rmiq.api.PayloadRejectedException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compact encoding for the plain values most tasks are made of: {@code Integer}, {@code Long},
 * {@code Double}, {@code Boolean}, {@code String}, {@code byte[]}, and {@code ArrayList},
 * {@code List.of}, {@code HashMap}, {@code LinkedHashMap} and {@code Map.of} of those. Everything
 * else goes through Java serialization.
 *
 * <p>Why: a Java serialization stream spends most of its bytes and time on class descriptors (an
 * {@code Integer} takes 81 bytes; here 6), and the server must scan it for class names. A compact item
 * names no class at all, so checking it is a bounds check, and decoding it builds only the types
 * above: nothing to allow-list, nothing that runs code.
 *
 * <pre>
 * item  = 0xB7 value
 * value = 'i' int32 | 'l' int64 | 'd' float64 | 'T' | 'F' | 'N' (null, inside ArrayList and maps only)
 *       | 's' length utf8 | 'b' length bytes
 *       | 'A' count value* (ArrayList)  | 'I' count value* (List.of)
 *       | 'H' count (value value)* (HashMap) | 'K' ... (LinkedHashMap) | 'M' ... (Map.of)
 * length, count = int32, never negative
 * </pre>
 * A Java serialization stream starts with 0xAC, so the first byte tells the two apart.
 */
public final class CompactCodec {

    /** First byte of a compact item. */
    public static final byte MAGIC = (byte) 0xB7;
    private static final int MAX_DEPTH = 64;

    private CompactCodec() {
    }

    /** Whether these bytes are a compact item (as opposed to a Java serialization stream). */
    public static boolean isCompact(byte[] item) {
        return item.length > 0 && item[0] == MAGIC;
    }

    /** The compact form of {@code value}, or null if it holds anything the compact form does not cover. */
    public static byte[] tryEncode(Object value) {
        if (value == null) {
            return null;
        }
        Out out = new Out();
        out.write(MAGIC);
        return out.value(value, 0) ? out.toByteArray() : null;
    }

    /**
     * Decodes a compact item.
     *
     * @throws PayloadRejectedException if it is malformed or breaks the limits
     */
    public static Object decode(byte[] item, SerialLimits limits) {
        In in = new In(item, limits);
        Object v = in.value(0);
        in.end();
        return v;
    }

    /**
     * Checks a compact item without building it: what the server does before storing one.
     *
     * @throws PayloadRejectedException if it is malformed or breaks the limits
     */
    public static void check(byte[] item, SerialLimits limits) {
        In in = new In(item, limits);
        in.skip(0);
        in.end();
    }

    private static final class Out extends ByteArrayOutputStream {
        Out() {
            super(32);
        }

        void int32(int v) {
            write(v >>> 24);
            write(v >>> 16);
            write(v >>> 8);
            write(v);
        }

        void int64(long v) {
            int32((int) (v >>> 32));
            int32((int) v);
        }

        boolean value(Object v, int depth) {
            if (depth > MAX_DEPTH) {
                return false;
            }
            if (v == null) {
                // Python's None inside a list or dict; List.of and Map.of cannot hold it anyway.
                write('N');
                return true;
            }
            Class<?> c = v.getClass();
            if (c == Integer.class) {
                write('i');
                int32((Integer) v);
            } else if (c == Long.class) {
                write('l');
                int64((Long) v);
            } else if (c == Double.class) {
                write('d');
                int64(Double.doubleToRawLongBits((Double) v));
            } else if (c == Boolean.class) {
                write((Boolean) v ? 'T' : 'F');
            } else if (c == String.class) {
                String s = (String) v;
                if (!wellFormed(s)) {
                    return false; // UTF-8 cannot carry a lone surrogate; Java serialization can
                }
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                write('s');
                int32(b.length);
                write(b, 0, b.length);
            } else if (c == byte[].class) {
                byte[] b = (byte[]) v;
                write('b');
                int32(b.length);
                write(b, 0, b.length);
            } else if (v instanceof List<?> list && (c == ArrayList.class || isImmutable(c))) {
                write(c == ArrayList.class ? 'A' : 'I');
                int32(list.size());
                for (Object e : list) {
                    if (!value(e, depth + 1)) {
                        return false;
                    }
                }
            } else if (v instanceof Map<?, ?> map && (c == HashMap.class || c == LinkedHashMap.class || isImmutable(c))) {
                write(c == HashMap.class ? 'H' : c == LinkedHashMap.class ? 'K' : 'M');
                int32(map.size());
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!value(e.getKey(), depth + 1) || !value(e.getValue(), depth + 1)) {
                        return false;
                    }
                }
            } else {
                return false;
            }
            return true;
        }
    }

    /** List.of and Map.of: their classes are internal, so they are told by name. */
    private static boolean isImmutable(Class<?> c) {
        return c.getName().startsWith("java.util.ImmutableCollections$");
    }

    private static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (Character.isHighSurrogate(ch)) {
                if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(ch)) {
                return false;
            }
        }
        return true;
    }

    private static final class In {
        private final byte[] b;
        private final SerialLimits limits;
        private int pos;
        private long elements;

        In(byte[] b, SerialLimits limits) {
            this.b = b;
            this.limits = limits;
            if (b.length > limits.maxBytes()) {
                throw bad("item of " + b.length + " bytes exceeds the limit of " + limits.maxBytes());
            }
            if (b.length == 0 || b[0] != MAGIC) {
                throw bad("not a compact item");
            }
            pos = 1;
        }

        void end() {
            if (pos != b.length) {
                throw bad((b.length - pos) + " bytes after the value");
            }
        }

        private PayloadRejectedException bad(String why) {
            return new PayloadRejectedException("malformed compact item at offset " + pos + ": " + why);
        }

        private void need(long n) {
            if (n < 0 || n > b.length - pos) {
                throw bad("needs " + n + " more bytes, has " + (b.length - pos));
            }
        }

        int int32() {
            need(4);
            int v = ((b[pos] & 0xff) << 24) | ((b[pos + 1] & 0xff) << 16) | ((b[pos + 2] & 0xff) << 8) | (b[pos + 3] & 0xff);
            pos += 4;
            return v;
        }

        long int64() {
            return ((long) int32() << 32) | (int32() & 0xffffffffL);
        }

        /** A count or length: not negative, and no more than the bytes left could hold. */
        private int count(int minBytesEach) {
            int n = int32();
            if (n < 0 || (long) n * minBytesEach > b.length - pos) {
                throw bad("impossible count " + n);
            }
            if (minBytesEach > 0 && n > limits.maxArrayLength()) {
                throw bad(n + " elements exceed the limit of " + limits.maxArrayLength());
            }
            elements += n;
            if (elements > limits.maxRefs()) {
                throw bad("more than " + limits.maxRefs() + " elements");
            }
            return n;
        }

        private byte tag(int depth) {
            if (depth >= limits.maxDepth() || depth > MAX_DEPTH) {
                throw bad("nesting deeper than " + Math.min(limits.maxDepth(), MAX_DEPTH));
            }
            need(1);
            return b[pos++];
        }

        Object value(int depth) {
            byte t = tag(depth);
            switch (t) {
                case 'i':
                    return int32();
                case 'l':
                    return int64();
                case 'd':
                    return Double.longBitsToDouble(int64());
                case 'T':
                    return Boolean.TRUE;
                case 'F':
                    return Boolean.FALSE;
                case 'N':
                    if (depth == 0) {
                        throw bad("null as a whole item");
                    }
                    return null;
                case 's': {
                    int n = count(0);
                    need(n);
                    String s = new String(b, pos, n, StandardCharsets.UTF_8);
                    pos += n;
                    return s;
                }
                case 'b': {
                    int n = count(0);
                    need(n);
                    byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + n);
                    pos += n;
                    return out;
                }
                case 'A':
                case 'I': {
                    int n = count(1);
                    Object[] items = new Object[n];
                    for (int i = 0; i < n; i++) {
                        items[i] = value(depth + 1);
                    }
                    if (t == 'I' && java.util.Arrays.asList(items).contains(null)) {
                        throw bad("null in an immutable list");
                    }
                    return t == 'A' ? new ArrayList<>(java.util.Arrays.asList(items)) : List.of(items);
                }
                case 'H':
                case 'K':
                case 'M': {
                    int n = count(2);
                    Map<Object, Object> m = t == 'H' ? new HashMap<>(n * 2) : new LinkedHashMap<>(n * 2);
                    for (int i = 0; i < n; i++) {
                        Object k = value(depth + 1);
                        if (m.put(k, value(depth + 1)) != null && t == 'M') {
                            throw bad("duplicate key in an immutable map");
                        }
                    }
                    if (t == 'M' && (m.containsKey(null) || m.containsValue(null))) {
                        throw bad("null in an immutable map");
                    }
                    return t == 'M' ? Map.copyOf(m) : m;
                }
                default:
                    throw bad("unknown tag " + (t & 0xff));
            }
        }

        void skip(int depth) {
            byte t = tag(depth);
            switch (t) {
                case 'i' -> need(4);
                case 'l', 'd' -> need(8);
                case 'T', 'F' -> {
                    return;
                }
                case 'N' -> {
                    if (depth == 0) {
                        throw bad("null as a whole item");
                    }
                    return;
                }
                case 's', 'b' -> {
                    int n = count(0);
                    need(n);
                    pos += n;
                    return;
                }
                case 'A', 'I' -> {
                    int n = count(1);
                    for (int i = 0; i < n; i++) {
                        skip(depth + 1);
                    }
                    return;
                }
                case 'H', 'K', 'M' -> {
                    int n = count(2);
                    for (int i = 0; i < 2 * n; i++) {
                        skip(depth + 1);
                    }
                    return;
                }
                default -> throw bad("unknown tag " + (t & 0xff));
            }
            pos += (t == 'i') ? 4 : 8;
        }
    }
}
