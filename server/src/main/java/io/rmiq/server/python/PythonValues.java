package io.rmiq.server.python;

import io.rmiq.api.PayloadRejectedException;
import io.rmiq.serial.CompactCodec;
import io.rmiq.serial.PickledCodec;
import io.rmiq.serial.SerialLimits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.razorvine.pickle.Pickler;

/**
 * Between Python values and stored items.
 *
 * <p>Python to rmiq: plain data (None inside containers, bool, int up to 64 bits, float, str, list,
 * dict) becomes a compact item, so Java consumers get Integer, Long, Double, String, ArrayList and
 * HashMap as from a Java producer. Everything else is kept as the producer's own pickle with a view
 * for Java ({@link io.rmiq.api.PickledValue}). A tuple stays a pickle, so a Python consumer gets a
 * tuple back and not a list.
 *
 * <p>rmiq to Python: a compact item is pickled from its Java values; a kept pickle is sent as it
 * was received, wrapped in {@code pickle.loads(bytes)} so that the consumer's own unpickler reads
 * the producer's exact bytes; a Java-serialized item cannot be converted without deserializing it,
 * which the server never does.
 */
final class PythonValues {

    /** {@code _queue.Empty()}: what a Python get raises when it times out. */
    static final Object EMPTY = new Object();
    /** {@code queue.Full()}: what a Python put raises on a full bounded queue. */
    static final Object FULL = new Object();
    private static final int MAX_DEPTH = 32;
    private static final int MAX_VIEW_ELEMENTS = 100_000;

    private PythonValues() {
    }

    /**
     * The compact form of a plain value (numbers, text, lists and dicts of those) whose Java form is
     * exact, or null: a string Pyrolite had to repair (a lone surrogate became U+FFFD), a list or dict
     * that appears twice (Python shares it, Java would copy it), or anything else, is not.
     */
    static byte[] plain(Object value) {
        if (value == null || !isPlain(value, 0, new long[2], new java.util.IdentityHashMap<>())) {
            return null;
        }
        return CompactCodec.tryEncode(value);
    }

    /**
     * A pickle may refer to one list or string many times over (memo GETs), so a small request could
     * stand for an enormous value: the walk counts elements and bytes as the compact form would.
     */
    private static boolean overBudget(long[] budget, long bytes) {
        budget[0]++;
        budget[1] += bytes;
        return budget[0] > SerialLimits.PAYLOAD.maxRefs() || budget[1] > SerialLimits.PAYLOAD.maxBytes();
    }

    private static boolean isPlain(Object v, int depth, long[] budget, Map<Object, Boolean> containers) {
        if (depth > MAX_DEPTH || overBudget(budget, v instanceof String str ? 5L + 3L * str.length() : 9)) {
            return false;
        }
        if (v == null) {
            return depth > 0;
        }
        Class<?> c = v.getClass();
        if (c == Boolean.class || c == Integer.class || c == Long.class || c == Double.class) {
            return true;
        }
        if (c == String.class) {
            return ((String) v).indexOf('\uFFFD') < 0;
        }
        if (c == ArrayList.class) {
            if (containers.put(v, Boolean.TRUE) != null) {
                return false;
            }
            for (Object e : (List<?>) v) {
                if (!isPlain(e, depth + 1, budget, containers)) {
                    return false;
                }
            }
            return true;
        }
        if (c == LinkedHashMap.class || c == java.util.HashMap.class) { // not ClassDict, Pyrolite's stand-in for an instance
            if (containers.put(v, Boolean.TRUE) != null) {
                return false;
            }
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (e.getKey() == null || !isPlain(e.getKey(), depth + 1, budget, containers)
                        || !isPlain(e.getValue(), depth + 1, budget, containers)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    /** The stored item for a value that is not plain: its pickle and a best-effort view. */
    static byte[] kept(byte[] pickle, Object value, SerialLimits limits) {
        Object view;
        try {
            view = view(value, 0, new long[2]);
        } catch (RuntimeException e) {
            view = null; // too big or too deep: Java consumers get the bytes only
        }
        if (view != null && CompactCodec.tryEncode(view) == null) {
            view = null;
        }
        byte[] item = PickledCodec.encode(pickle, view);
        // The pickle is what must fit; the view is dropped before it could push an item over the limit.
        return item.length > limits.maxBytes() && view != null ? PickledCodec.encode(pickle, null) : item;
    }

    private static Object view(Object v, int depth, long[] count) {
        long bytes = v instanceof String str ? 5L + 3L * str.length() : v instanceof byte[] b ? 5L + b.length : 9;
        if (overBudget(count, bytes) || count[0] > MAX_VIEW_ELEMENTS || depth > MAX_DEPTH) {
            throw new IllegalArgumentException("too large for a view");
        }
        if (v == null || v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Double
                || v instanceof String || v instanceof byte[]) {
            return v;
        }
        // Printing a number of millions of digits takes minutes; a view does not need it.
        if (v instanceof BigInteger big) {
            return big.bitLength() <= 4096 ? big.toString() : "<int of " + big.bitLength() + " bits>";
        }
        if (v instanceof BigDecimal dec) {
            return dec.unscaledValue().bitLength() <= 4096 ? dec.toString() : "<Decimal of " + dec.precision() + " digits>";
        }
        if (v instanceof Object[] a) {
            List<Object> out = new ArrayList<>(a.length);
            for (Object e : a) {
                out.add(view(e, depth + 1, count));
            }
            return out;
        }
        if (v instanceof Collection<?> coll) {
            List<Object> out = new ArrayList<>(coll.size());
            for (Object e : coll) {
                out.add(view(e, depth + 1, count));
            }
            return out;
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            if (v instanceof net.razorvine.pickle.objects.ClassDict cd) {
                out.put("__class__", cd.getClassName());
            }
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.put(view(e.getKey(), depth + 1, count), view(e.getValue(), depth + 1, count));
            }
            return out;
        }
        return String.valueOf(v);
    }

    /** The pickle of {@code ('#RETURN', item)} for a stored item. */
    static byte[] returnItem(byte[] item, SerialLimits limits) {
        if (PickledCodec.isPickled(item)) {
            return returnPickle(PickledCodec.pickle(item));
        }
        if (CompactCodec.isCompact(item)) {
            return dumps(new Object[] {"#RETURN", CompactCodec.decode(item, limits)});
        }
        throw new PayloadRejectedException("it is a Java-serialized object, which only Java consumers can read");
    }

    /** {@code ('#RETURN', pickle.loads(b))}: the consumer unpickles the producer's bytes itself. */
    private static byte[] returnPickle(byte[] pickle) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(pickle.length + 48);
        out.write(0x80);
        out.write(2);
        unicode(out, "#RETURN");
        byte[] global = "cpickle\nloads\n".getBytes(StandardCharsets.US_ASCII);
        out.write(global, 0, global.length);
        out.write('B'); // BINBYTES
        int4(out, pickle.length);
        out.write(pickle, 0, pickle.length);
        out.write(0x85); // TUPLE1
        out.write('R');  // REDUCE
        out.write(0x86); // TUPLE2
        out.write('.');
        return out.toByteArray();
    }

    /** Pickles replies and plain values with protocol 2, which every Python 3 reads. */
    static byte[] dumps(Object value) {
        try {
            return new ReplyPickler().dumps(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The opcodes of a value without the protocol header and STOP, to splice into another pickle. */
    static byte[] opcodes(Object value) {
        byte[] p = dumps(value);
        return java.util.Arrays.copyOfRange(p, 2, p.length - 1);
    }

    private static void unicode(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('X');
        int4(out, b.length);
        out.write(b, 0, b.length);
    }

    private static void int4(ByteArrayOutputStream out, int n) {
        out.write(n);
        out.write(n >>> 8);
        out.write(n >>> 16);
        out.write(n >>> 24);
    }

    /**
     * Pyrolite's pickler, plus byte[] as Python bytes (it would write a bytearray) and the two queue
     * exceptions as instances (its deconstructor hook writes only the class); no global registration.
     */
    /** A Python builtin exception, e.g. {@code ValueError('...')}, for an {@code #ERROR} reply. */
    record BuiltinError(String type, String message) {
    }

    private static final class ReplyPickler extends Pickler {
        ReplyPickler() {
            super(false);
        }

        @Override
        public void save(Object o) throws IOException {
            if (o == EMPTY) {
                out.write("c_queue\nEmpty\n)R".getBytes(StandardCharsets.US_ASCII));
            } else if (o == FULL) {
                out.write("cqueue\nFull\n)R".getBytes(StandardCharsets.US_ASCII));
            } else if (o instanceof BuiltinError e) {
                out.write(("cbuiltins\n" + e.type() + "\n").getBytes(StandardCharsets.US_ASCII));
                super.save(new Object[] {e.message()});
                out.write('R');
            } else if (o instanceof byte[] b) {
                out.write('B');
                out.write(b.length);
                out.write(b.length >>> 8);
                out.write(b.length >>> 16);
                out.write(b.length >>> 24);
                out.write(b);
            } else {
                super.save(o);
            }
        }
    }
}
