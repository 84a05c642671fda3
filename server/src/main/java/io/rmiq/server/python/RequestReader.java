package io.rmiq.server.python;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Unpickler;
import net.razorvine.pickle.objects.ClassDict;
import net.razorvine.pickle.objects.ClassDictConstructor;

/**
 * Unpickles one request with Pyrolite (which builds only plain data and its own types, never a class
 * named in the pickle) and remembers where each argument of the request lies in the bytes, so that
 * an item with no plain Java form can be stored as the producer's own pickle opcodes, untouched.
 *
 * <p>How the spans are found: every stack slot records the offset of the opcode that first filled it.
 * An opcode that combines slots (TUPLE, REDUCE, BUILD, APPEND ...) leaves its result in the lowest of
 * them, so that slot's offset is where the whole value starts. Tuple opcodes also keep their elements'
 * spans: a request is the tuple {@code (ident, method, args, kwds)} and args is a tuple too.
 *
 * <p>Also refuses lengths that exceed the bytes left before allocating them: a 20-byte pickle must
 * not be able to ask for a 2 GiB array.
 */
final class RequestReader extends Unpickler {

    private static final int FRAME = 0x95;
    private static final int MEMOIZE = 0x94;
    /** Longest decimal text read as a number: CPython's default int_max_str_digits. */
    static final int MAX_DIGITS = 4_300;

    /** Where one value lies: [start, end) in the request, and its elements if it is a tuple. */
    record Span(int start, int end, List<Span> elements) {
    }

    /** A request and the spans of its parts. */
    record Request(Object value, Span span, Fragments fragments) {
    }

    private static final class Input extends ByteArrayInputStream {
        Input(byte[] b) {
            super(b);
        }

        int position() {
            return pos;
        }

        int remaining() {
            return count - pos;
        }

        long littleEndian(int offset, int size) {
            long v = 0;
            for (int i = size - 1; i >= 0; i--) {
                v = (v << 8) | (buf[pos + offset + i] & 0xff);
            }
            return v;
        }
    }

    private final byte[] bytes;
    private final Input in;
    /** Per stack slot: the offset where its value starts, and its elements' spans for tuples. */
    private final List<int[]> starts = new ArrayList<>();
    private final List<List<Span>> elements = new ArrayList<>();
    private final List<Integer> frames = new ArrayList<>();
    private final Map<Integer, Integer> memoBornAt = new TreeMap<>();
    /** Memo values as they were made: Pyrolite clears its memo at STOP, before fragments are cut. */
    private final Map<Integer, Object> memoValues = new java.util.HashMap<>();
    /** Stack sizes at each MARK still open: where the marker lies. */
    private final java.util.ArrayDeque<Integer> marks = new java.util.ArrayDeque<>();
    /** Offsets of opcodes that name or build a class: a value made with one is not plain data. */
    private final List<Integer> classOps = new ArrayList<>();
    private Span root;

    /** What one value read here costs at most, in heap: the object, its slot, its span's bookkeeping. */
    static final int BYTES_PER_VALUE = 64;
    /** Values are charged to the budget this many at a time. */
    private static final int CHARGE_EVERY = 1_024;

    private final Frames.Budget budget;
    private long charged;
    private int uncharged;

    private RequestReader(byte[] bytes, Frames.Budget budget) {
        this.bytes = bytes;
        this.in = new Input(bytes);
        this.budget = budget;
    }

    static Request read(byte[] frame) throws IOException {
        return read(frame, new Frames.Budget(Long.MAX_VALUE));
    }

    /**
     * Reads a request, charging what its values cost to {@code budget} while it reads: a few bytes
     * of pickle can make many objects (an empty dict is one byte), so the values a request makes
     * count, not its length.
     */
    static Request read(byte[] frame, Frames.Budget budget) throws IOException {
        RequestReader r = new RequestReader(frame, budget);
        Object value;
        try {
            value = r.load(r.in);
        } catch (PickleException e) {
            throw e;
        } catch (RuntimeException e) {
            // Pyrolite meets malformed input with whatever its stack access throws.
            throw new PickleException("malformed pickle (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        } finally {
            budget.give(r.charged);
        }
        if (r.in.remaining() != 0) {
            throw new PickleException(r.in.remaining() + " bytes after the end of the pickle");
        }
        return new Request(value, r.root, r.new Fragments());
    }

    @Override
    protected Object dispatch(short key) throws PickleException, IOException {
        int at = in.position() - 1;
        checkLength(key);
        if (key == FRAME) {
            frames.add(at);
        }
        if (key == '.' && stack.size() > 0) {
            root = span(stack.size() - 1, at);
        }
        String global = null;
        if (key == 'c') {
            String module = lineAt(at + 1);
            global = module + "." + lineAt(at + 1 + module.length() + 1);
        } else if (key == 0x93 && stack.size() >= 2) {
            Object name = stack.pop();
            Object module = stack.peek();
            stack.add(name);
            global = module + "." + name;
        }
        if ((key == 'I' || key == 'L') && lineAt(at + 1).length() > MAX_DIGITS) {
            // Java parses decimal text in quadratic time; CPython refuses the same (int_max_str_digits).
            throw new PickleException("an integer of " + lineAt(at + 1).length() + " digits; the limit is "
                    + MAX_DIGITS + " digits, as CPython's int_max_str_digits");
        }
        int before = stack.size();
        int memoBefore = memo.size();
        int markAt = marks.isEmpty() ? -1 : marks.peek();
        if (isClassOp(key)) {
            classOps.add(at);
        }
        Object result;
        try {
            if (key == 'R') {
                refuseLongNumberText();
            }
            result = key == 'u' ? setItems() : super.dispatch(key);
        } catch (RuntimeException e) {
            if (!standIn(key, before, markAt, e)) {
                throw e;
            }
            result = NO_RETURN_VALUE;
        }
        if (key == '(') {
            marks.push(before);
        } else if (consumesMark(key) && !marks.isEmpty()) {
            marks.pop();
        }
        if (key == '}' && stack.size() > 0) {
            // Pyrolite makes a HashMap; a dict keeps its order, and so must the Java view.
            stack.pop();
            stack.add(new java.util.LinkedHashMap<Object, Object>());
        }
        if (result != NO_RETURN_VALUE) {
            return result;
        }
        if (global != null && stack.peek() instanceof ClassDictConstructor) {
            stack.pop();
            stack.add(new UnknownClass(global));
        }
        int after = stack.size();
        if (memo.size() > memoBefore) {
            int k = memoKey(key, at);
            if (memoBornAt.putIfAbsent(k, at) == null) {
                memoValues.put(k, memo.get(k));
            }
        }
        if (after > before) {
            made(after - before);
            for (int i = before; i < after; i++) {
                starts.add(new int[] {at});
                elements.add(null);
            }
            return result;
        }
        List<Span> items = null;
        int first = switch (key) {
            case 0x85 -> before - 1;   // TUPLE1
            case 0x86 -> before - 2;   // TUPLE2
            case 0x87 -> before - 3;   // TUPLE3
            case 't' -> after;         // MARK ... TUPLE: the mark's slot holds the tuple
            default -> -1;
        };
        if (first >= 0 && after > 0) {
            items = new ArrayList<>();
            for (int i = first; i < before; i++) {
                items.add(span(i, i + 1 < before ? starts.get(i + 1)[0] : at));
            }
        }
        // A dict's keys and values, in order, as its elements: how put(item=x) finds its item's bytes.
        int pairsFrom = key == 'u' && markAt >= 1 ? markAt + 1 : key == 's' && before >= 3 ? before - 2 : -1;
        List<Span> pairs = null;
        if (pairsFrom >= 0 && starts.size() >= before) {
            pairs = new ArrayList<>();
            for (int i = pairsFrom; i < before; i++) {
                pairs.add(span(i, i + 1 < before ? starts.get(i + 1)[0] : at));
            }
        }
        while (starts.size() > after) {
            starts.remove(starts.size() - 1);
            elements.remove(elements.size() - 1);
        }
        if (items != null) {
            elements.set(after - 1, items);
        } else if (pairs != null && after > 0) {
            List<Span> all = new ArrayList<>(elements.get(after - 1) == null ? List.of() : elements.get(after - 1));
            all.addAll(pairs);
            elements.set(after - 1, all);
        } else if (after > 0 && after <= before && key != MEMOIZE && key != 'q' && key != 'r' && key != 'p'
                && key != FRAME && key != 0x80) {
            elements.set(after - 1, null); // changed by something other than a tuple opcode
        }
        return result;
    }

    /**
     * A class built from one long string (Decimal('1234...')) would take quadratic time to parse
     * here, though CPython reads it in linear time: its view becomes a stand-in, and the item keeps
     * the producer's bytes.
     */
    private void refuseLongNumberText() {
        if (stack.size() < 2) {
            return;
        }
        Object args = stack.peek();
        if (args instanceof Object[] a && a.length == 1 && a[0] instanceof String str && str.length() > MAX_DIGITS) {
            throw new IllegalArgumentException("a value built from " + str.length() + " characters of text");
        }
    }

    private void made(int values) {
        uncharged += values;
        if (uncharged < CHARGE_EVERY) {
            return;
        }
        long bytes = (long) uncharged * BYTES_PER_VALUE;
        if (!budget.take(bytes)) {
            throw new PickleException("the request makes more values than the server has memory for now ("
                    + (charged + bytes) / BYTES_PER_VALUE + " so far; requests being read share "
                    + budget.max() / (1024 * 1024) + " MiB, at " + BYTES_PER_VALUE + " bytes a value)");
        }
        charged += bytes;
        uncharged = 0;
    }

    /** SETITEMS in the pickle's order: Pyrolite's goes through a HashMap, and a dict keeps its order. */
    private Object setItems() throws IOException {
        List<Object> items = stack.pop_all_since_marker();
        Object target = stack.peek();
        if (!(target instanceof Map<?, ?>)) {
            stack.add_mark(); // not a dict: as Pyrolite does it
            for (Object o : items) {
                stack.add(o);
            }
            return super.dispatch((short) 'u');
        }
        @SuppressWarnings("unchecked")
        Map<Object, Object> map = (Map<Object, Object>) target;
        for (int i = 0; i + 1 < items.size(); i += 2) {
            map.put(items.get(i), items.get(i + 1));
        }
        return NO_RETURN_VALUE;
    }

    private static boolean isClassOp(short key) {
        return key == 'c' || key == 0x93 || key == 'R' || key == 'b' || key == 0x81 || key == 0x92 || key == 'o'
                || key == 'i';
    }

    private static boolean consumesMark(short key) {
        return key == 't' || key == 'l' || key == 'd' || key == 0x91 || key == 0x90 || key == 'e' || key == 'u'
                || key == 'o' || key == 'i' || key == '1';
    }

    /**
     * Pyrolite could not build something (a timezone-aware datetime, a deque, a list subclass, an
     * object with __slots__, Decimal('sNaN') ...): leave the stack as the opcode would have, with a
     * stand-in for what it would have made. Python consumers get the producer's bytes anyway; only
     * the Java view of that part is lost.
     *
     * @return false for an opcode whose effect is not known here: the request is then unreadable
     */
    private boolean standIn(short key, int before, int markAt, RuntimeException e) {
        int target;
        boolean makes;
        switch (key) {
            case 'R', 0x81 -> { // REDUCE, NEWOBJ: callable or class, and its arguments
                target = before - 2;
                makes = true;
            }
            case 0x92 -> { // NEWOBJ_EX: class, arguments, keyword arguments
                target = before - 3;
                makes = true;
            }
            case 'b', 'a' -> { // BUILD, APPEND: the target stays
                target = before - 1;
                makes = false;
            }
            case 's' -> { // SETITEM
                target = before - 2;
                makes = false;
            }
            case 'e', 'u', 0x90 -> { // APPENDS, SETITEMS, ADDITEMS: the target, below the mark, stays
                target = markAt;
                makes = false;
            }
            case 'o', 'i' -> { // OBJ, INST
                target = markAt;
                makes = true;
            }
            default -> {
                return false;
            }
        }
        if (target < 0) {
            return false;
        }
        while (stack.size() > target) {
            stack.pop();
        }
        while (stack.size() < target) {
            stack.add(unreadable(e));
        }
        if (makes) {
            stack.add(unreadable(e));
        }
        return true;
    }

    private static ClassDict unreadable(RuntimeException e) {
        ClassDict d = new ClassDict("rmiq", "unreadable");
        d.put("__error__", String.valueOf(e.getMessage()));
        return d;
    }

    /**
     * A class Pyrolite does not know. Its own stand-in refuses construction arguments, which
     * namedtuples and many classes have; this one keeps them, so the item still gets a view.
     */
    private static final class UnknownClass implements IObjectConstructor {
        private final String name;

        UnknownClass(String name) {
            this.name = name;
        }

        @Override
        public Object construct(Object[] args) {
            int dot = name.lastIndexOf('.');
            ClassDict d = new ClassDict(name.substring(0, Math.max(dot, 0)), name.substring(dot + 1));
            if (args.length > 0) {
                d.put("__args__", args);
            }
            return d;
        }

        @Override
        public String toString() {
            return "<class " + name + ">";
        }
    }

    private Span span(int slot, int end) {
        return new Span(starts.get(slot)[0], end, elements.get(slot));
    }

    private int memoKey(short key, int at) {
        return switch (key) {
            case 'q' -> bytes[at + 1] & 0xff;                                       // BINPUT
            case 'r' -> (int) littleEndianAt(at + 1, 4);                            // LONG_BINPUT
            case 'p' -> Integer.parseInt(lineAt(at + 1));                           // PUT
            default -> memo.size() - 1;                                             // MEMOIZE
        };
    }

    private long littleEndianAt(int offset, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = (v << 8) | (bytes[offset + i] & 0xff);
        }
        return v;
    }

    private String lineAt(int offset) {
        int end = offset;
        while (end < bytes.length && bytes[end] != '\n') {
            end++;
        }
        return new String(bytes, offset, end - offset, java.nio.charset.StandardCharsets.US_ASCII).strip();
    }

    private void checkLength(short key) {
        int size = switch (key) {
            case 'B', 'X', 'T', 0x8b -> 4;       // BINBYTES, BINUNICODE, BINSTRING, LONG4
            case 0x8e, 0x8d, 0x96, FRAME -> 8;   // BINBYTES8, BINUNICODE8, BYTEARRAY8, FRAME
            default -> 0;
        };
        if (size == 0) {
            return;
        }
        if (in.remaining() < size) {
            throw new PickleException("pickle truncated");
        }
        long n = in.littleEndian(0, size);
        if (n < 0 || n > in.remaining() - size) {
            throw new PickleException("opcode " + key + " declares " + n + " bytes but only "
                    + (in.remaining() - size) + " follow");
        }
    }

    /** Cuts values out of the request as standalone pickles. */
    final class Fragments {

        /** Whether the value at {@code span} names or builds a class anywhere in its opcodes. */
        boolean usesClasses(Span span) {
            for (int at : classOps) {
                if (at >= span.start() && at < span.end()) {
                    return true;
                }
            }
            return false;
        }

        /**
         * A standalone pickle of the value at {@code span}: the request's protocol header, the memo
         * entries made before it (a value may refer back to, say, the method name's string),
         * its own opcodes without FRAME markers (a frame would extend past the cut), and STOP.
         */
        byte[] standalone(Span span, java.util.function.Function<Object, byte[]> opsOf) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(span.end() - span.start() + 32);
            if (bytes.length >= 2 && (bytes[0] & 0xff) == 0x80) {
                out.write(bytes, 0, 2);
            }
            for (Map.Entry<Integer, Integer> m : memoBornAt.entrySet()) {
                if (m.getValue() >= span.start()) {
                    continue;
                }
                byte[] ops = opsOf.apply(memoValues.get(m.getKey()));
                out.write(ops, 0, ops.length);
                int k = m.getKey();
                out.write('r'); // LONG_BINPUT k, then POP: the memo entry, nothing left on the stack
                out.write(k);
                out.write(k >>> 8);
                out.write(k >>> 16);
                out.write(k >>> 24);
                out.write('0');
            }
            int from = span.start();
            for (int f : frames) {
                if (f >= span.start() && f < span.end()) {
                    out.write(bytes, from, f - from);
                    from = f + 9;
                }
            }
            out.write(bytes, from, span.end() - from);
            out.write('.');
            return out.toByteArray();
        }
    }
}
