package io.rmiq.server.admission;

import io.rmiq.serial.AllowList;
import io.rmiq.serial.SerialLimits;

import static java.io.ObjectStreamConstants.*;

import io.rmiq.api.PayloadRejectedException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Checks a Java serialization stream against an {@link AllowList} and {@link SerialLimits} by
 * parsing the wire format (Object Serialization Specification, chapter 6) without loading,
 * initializing or instantiating any class. Stateless; one private instance per call.
 */
final class StreamScanner {

    /** Real serializable hierarchies are a handful of levels; this bounds the work per object. */
    private static final int MAX_HIERARCHY = 64;
    /** Far longer than any real class name; keeps the backstop scan linear (see {@link #backstop}). */
    private static final int MAX_HIDDEN_NAME = 1024;
    /** Handle kinds other than class descriptors, which are {@link Desc} instances. */
    private static final Object STRING = "string";
    private static final Object OTHER = "other";

    /** What the scanner remembers of a class descriptor: enough to skip its instances' data. */
    private static final class Desc {
        final String name; // null for a proxy class
        int flags;
        long primBytes;
        int objFields;
        Desc sup;
        int chainLength;
        boolean done; // a descriptor may only be referenced as one once fully read: rules out cycles

        Desc(String name) {
            this.name = name;
        }

        String describe() {
            return name == null ? "proxy class" : "class " + name;
        }
    }

    private final byte[] in;
    private final AllowList allow;
    private final SerialLimits limits;
    private final List<Object> handles = new ArrayList<>();
    private int pos;
    private long refs;
    private int depth;

    private StreamScanner(byte[] in, AllowList allow, SerialLimits limits) {
        this.in = in;
        this.allow = allow;
        this.limits = limits;
    }

    /**
     * Parses one serialized object, as {@code ObjectOutputStream.writeObject} writes it after the
     * stream header, and checks it. Every class the stream names (superclasses, array element
     * classes, enum types and proxy interfaces included) must be allowed, and the stream must keep
     * within {@code limits}: nesting depth (counted as {@link java.io.ObjectInputFilter} sees it,
     * the top object at depth 1), new handles plus back-references, array length and total bytes.
     *
     * <p>Work and memory are linear in the stream's length, and recursion depth is bounded by
     * {@code limits.maxDepth()}.
     *
     * @param stream the bytes: the 0xACED0005 header, then exactly one top-level object
     * @param allow  the classes the stream may name
     * @param limits the bounds the stream must keep within
     * @throws PayloadRejectedException naming the class, limit or malformation, with its offset,
     *                                  if the stream is not acceptable
     * @throws NullPointerException     if an argument is null
     */
    static void check(byte[] stream, AllowList allow, SerialLimits limits) {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(allow, "allow");
        Objects.requireNonNull(limits, "limits");
        if (stream.length > limits.maxBytes()) {
            throw reject("stream of " + stream.length + " bytes exceeds maxBytes " + limits.maxBytes());
        }
        new StreamScanner(stream, allow, limits).scan();
    }

    private void scan() {
        if (in.length < 4 || u2() != (STREAM_MAGIC & 0xFFFF) || u2() != STREAM_VERSION) {
            throw reject("not a Java serialization stream: bad magic or version");
        }
        while (peek() == TC_RESET) { // ObjectInputStream accepts resets only between top-level objects
            pos++;
            handles.clear();
        }
        content();
        if (pos != in.length) {
            throw reject((in.length - pos) + " trailing bytes after the object at offset " + pos);
        }
        backstop();
    }

    /**
     * ObjectInputStream lets the local class steer parts of the format that this parser can only
     * take from the stream: it ignores SC_WRITE_METHOD data of a record, and a readObject that
     * reads before calling defaultReadObject reads field bytes as objects. A crafted stream can so
     * make it read, as a class descriptor, bytes this parser skipped as opaque data. So every byte
     * run that ObjectInputStream could take for a descriptor of a javac-named class (or for a proxy
     * descriptor) must name allowed classes too. Linear: a name run cannot hold another candidate.
     */
    private void backstop() {
        for (int i = 0; i < in.length; i++) {
            if (in[i] == TC_CLASSDESC) {
                String name = hiddenDescriptor(i);
                if (name != null && !allow.allows(name)) {
                    throw notAllowed(name, "descriptor-like bytes at offset " + i);
                }
            } else if (in[i] == TC_PROXYCLASSDESC && i + 5 <= in.length) {
                int count = intAt(i + 1);
                String name;
                for (int k = 0, at = i + 5; count <= 65535 && k < count && (name = hiddenName(at)) != null; k++) {
                    if (!allow.allows(name)) {
                        throw notAllowed(name, "proxy-like bytes at offset " + i);
                    }
                    at += 2 + name.length();
                }
            }
        }
    }

    /** The class name if ObjectInputStream could read the bytes at {@code i} as far as resolving a class. */
    private String hiddenDescriptor(int i) {
        String name = hiddenName(i + 1);
        int flags = name == null ? 0 : i + 3 + name.length() + 8; // after the name and serialVersionUID
        int both = SC_SERIALIZABLE | SC_EXTERNALIZABLE;
        if (name == null || flags + 2 >= in.length || (in[flags] & both) == both) {
            return null;
        }
        if ((short) ((in[flags + 1] & 0xFF) << 8 | in[flags + 2] & 0xFF) <= 0) {
            return name; // it reads a negative field count as none
        }
        int type = flags + 3 < in.length ? in[flags + 3] : 0;
        return primSize(type) > 0 || type == 'L' || type == '[' ? name : null;
    }

    /**
     * The ASCII name (u2 length, bytes) at {@code at} if javac could have named a class so, else
     * null. Short names outside any package are ignored: random binary data holds too many.
     */
    private String hiddenName(int at) {
        int n = at + 2 <= in.length ? (in[at] & 0xFF) << 8 | in[at + 1] & 0xFF : 0;
        if (n < 3 || n > MAX_HIDDEN_NAME || n > in.length - at - 2) {
            return null;
        }
        boolean segmentStart = true;
        boolean dotted = false;
        for (int k = at + 2; k < at + 2 + n; k++) {
            int c = in[k];
            boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
            if (letter || (!segmentStart && c >= '0' && c <= '9')) {
                segmentStart = false;
            } else if (c != '.' || segmentStart) {
                return null;
            } else {
                segmentStart = dotted = true;
            }
        }
        if (segmentStart || (!dotted && n < 6)) {
            return null;
        }
        return new String(in, at + 2, n, StandardCharsets.ISO_8859_1);
    }

    /** One {@code object} of the grammar, in a place where block data is not allowed. */
    private void content() {
        int at = pos;
        int tc = u1();
        depth++;
        switch (tc) {
            case TC_NULL -> { }
            case TC_REFERENCE -> {
                checkDepth(at);
                handle(at);
            }
            case TC_STRING, TC_LONGSTRING, TC_CLASSDESC, TC_PROXYCLASSDESC -> {
                pos = at;
                if (!newString()) {
                    classDesc();
                }
            }
            case TC_CLASS -> {
                required(classDesc(), "class", at);
                newHandle(OTHER);
            }
            case TC_ARRAY -> array(at);
            case TC_OBJECT -> object(at);
            case TC_ENUM -> enumConstant(at);
            case TC_EXCEPTION -> throw reject("stream contains an exception (TC_EXCEPTION) at offset " + at);
            case TC_RESET -> throw reject("reset inside an object at offset " + at);
            case TC_BLOCKDATA, TC_BLOCKDATALONG, TC_ENDBLOCKDATA ->
                    throw reject("unexpected block data marker at offset " + at);
            default -> throw reject(String.format("unknown type code 0x%02X at offset %d", tc, at));
        }
        depth--;
    }

    /** {@code classAnnotation} or {@code objectAnnotation}: objects and raw blocks up to an end marker. */
    private void annotation() {
        for (int tc = peek(); tc != TC_ENDBLOCKDATA; tc = peek()) {
            if (tc == TC_BLOCKDATA) {
                pos++;
                skip(u1());
            } else if (tc == TC_BLOCKDATALONG) {
                pos++;
                skip(s4());
            } else {
                content();
            }
        }
        pos++;
    }

    /**
     * Nesting is counted as ObjectInputFilter sees it: each object one level below the one holding
     * it, and each superclass descriptor one level below its subclass's; strings and nulls are never
     * checked. Every recursion here goes one level deeper, so maxDepth also bounds the stack.
     */
    private void checkDepth(int at) {
        if (depth > limits.maxDepth()) {
            throw reject("nesting deeper than maxDepth " + limits.maxDepth() + " at offset " + at);
        }
    }

    /** A {@code classDesc}: a new descriptor, a reference to a finished one, or null. */
    private Desc classDesc() {
        int at = pos;
        int tc = u1();
        if (tc != TC_NULL) {
            checkDepth(at);
        }
        switch (tc) {
            case TC_NULL:
                return null;
            case TC_REFERENCE:
                if (handle(at) instanceof Desc d && d.done) {
                    return d;
                }
                throw reject("reference at offset " + at + " is not to a finished class descriptor");
            case TC_CLASSDESC:
            case TC_PROXYCLASSDESC:
                Desc d = tc == TC_CLASSDESC ? classDescInfo(at) : proxyClassDescInfo();
                annotation();
                depth++;
                d.sup = classDesc();
                depth--;
                d.chainLength = d.sup == null ? 1 : d.sup.chainLength + 1;
                if (d.chainLength > MAX_HIERARCHY) {
                    throw reject("class hierarchy deeper than " + MAX_HIERARCHY + " at offset " + at);
                }
                d.done = true;
                return d;
            default:
                throw reject(String.format("type code 0x%02X where a class descriptor belongs, offset %d", tc, at));
        }
    }

    /** Name, serialVersionUID, handle, flags and fields of a {@code TC_CLASSDESC}. */
    private Desc classDescInfo(int at) {
        Desc d = new Desc(allowedName(utf(u2(), true), at));
        long suid = s8();
        newHandle(d);
        d.flags = u1();
        int fields = (short) u2();
        int both = SC_SERIALIZABLE | SC_EXTERNALIZABLE;
        boolean badEnum = (d.flags & SC_ENUM) != 0 && (fields != 0 || suid != 0);
        if ((d.flags & both) == both || fields < 0 || badEnum) {
            throw reject("inconsistent descriptor for " + d.describe() + " at offset " + at);
        }
        for (int i = 0; i < fields; i++) {
            int fieldAt = pos;
            int type = u1();
            utf(u2(), false); // field name
            if (primSize(type) > 0) {
                d.primBytes += primSize(type);
            } else if (type == 'L' || type == '[') {
                typeString();
                d.objFields++;
            } else {
                throw reject(String.format("bad field type 0x%02X in %s at offset %d", type, d.describe(), fieldAt));
            }
        }
        return d;
    }

    /** Handle and interface names of a {@code TC_PROXYCLASSDESC}; proxies carry no fields of their own. */
    private Desc proxyClassDescInfo() {
        Desc d = new Desc(null);
        d.flags = SC_SERIALIZABLE;
        newHandle(d);
        int at = pos;
        int count = s4();
        // ObjectInputStream's own bound; each name takes at least its two length bytes
        if (count < 0 || count > 65535 || count * 2L > in.length - pos) {
            throw reject("bad proxy interface count " + count + " at offset " + at);
        }
        for (int i = 0; i < count; i++) {
            int nameAt = pos;
            allowedName(utf(u2(), true), nameAt);
        }
        return d;
    }

    /** A field's type signature: ObjectInputStream accepts a new string or a reference to one. */
    private void typeString() {
        int at = pos;
        if (!newString() && (u1() != TC_REFERENCE || handle(at) != STRING)) {
            throw reject("bad field type signature at offset " + at);
        }
    }

    private void object(int at) {
        Desc d = required(classDesc(), "object", at);
        if ((d.flags & SC_ENUM) != 0 || (d.name != null && d.name.startsWith("["))) {
            throw reject(d.describe() + " cannot be read as an ordinary object at offset " + at);
        }
        newHandle(OTHER);
        if ((d.flags & SC_EXTERNALIZABLE) != 0) {
            if ((d.flags & SC_BLOCK_DATA) == 0) {
                throw reject(d.describe() + " uses externalizable protocol 1, unreadable without the class");
            }
            annotation();
            return;
        }
        // Class data runs from the topmost serializable superclass down to the object's own class.
        Desc[] chain = new Desc[d.chainLength];
        int i = chain.length;
        for (Desc c = d; c != null; c = c.sup) {
            chain[--i] = c;
        }
        for (Desc c : chain) {
            if ((c.flags & SC_SERIALIZABLE) == 0 || (c.flags & SC_ENUM) != 0) {
                throw reject(c.describe() + " is not serializable, in object at offset " + at);
            }
            skip(c.primBytes);
            for (int f = 0; f < c.objFields; f++) {
                content();
            }
            if ((c.flags & SC_WRITE_METHOD) != 0) {
                annotation();
            }
        }
    }

    private void array(int at) {
        Desc d = required(classDesc(), "array", at);
        if (d.name == null || !d.name.startsWith("[")) {
            throw reject(d.describe() + " is not an array class, at offset " + at);
        }
        int len = s4();
        int max = d.name.equals("[B") ? limits.maxByteArrayLength() : limits.maxArrayLength();
        if (len < 0 || len > max) {
            throw reject("array length " + len + " of " + d.describe() + " outside 0.." + max + " at offset " + at);
        }
        newHandle(OTHER);
        int size = primSize(d.name.charAt(1));
        if (size > 0) {
            skip((long) len * size);
            return;
        }
        need(len); // every element takes at least one byte: refuse absurd lengths before looping
        for (int i = 0; i < len; i++) {
            content();
        }
    }

    private void enumConstant(int at) {
        Desc d = required(classDesc(), "enum constant", at);
        if ((d.flags & SC_ENUM) == 0) {
            throw reject(d.describe() + " is not an enum, at offset " + at);
        }
        newHandle(OTHER);
        if (!newString()) { // ObjectInputStream wants a new string here, never a reference
            throw reject("enum constant name expected at offset " + pos);
        }
    }

    private static int primSize(int typeCode) {
        return switch (typeCode) {
            case 'B', 'Z' -> 1;
            case 'C', 'S' -> 2;
            case 'I', 'F' -> 4;
            case 'J', 'D' -> 8;
            default -> 0;
        };
    }

    /** Reads a {@code newString} if one comes next. */
    private boolean newString() {
        int tc = peek();
        if (tc != TC_STRING && tc != TC_LONGSTRING) {
            return false;
        }
        pos++;
        utf(tc == TC_STRING ? u2() : s8(), false);
        newHandle(STRING);
        return true;
    }

    private static Desc required(Desc d, String what, int at) {
        if (d == null) {
            throw reject("null class descriptor for " + what + " at offset " + at);
        }
        return d;
    }

    /** Rejects a malformed or disallowed name; {@link AllowList#allows} assumes a well-formed one. */
    private String allowedName(String name, int at) {
        int dims = 0;
        while (dims < name.length() && name.charAt(dims) == '[') {
            dims++;
        }
        String element = name.substring(dims);
        boolean wellFormed;
        if (dims == 0) {
            wellFormed = plainName(element);
        } else if (element.length() == 1) {
            wellFormed = dims <= 255 && "BCDFIJSZ".indexOf(element.charAt(0)) >= 0;
        } else {
            wellFormed = dims <= 255 && element.startsWith("L") && element.endsWith(";")
                    && plainName(element.substring(1, element.length() - 1));
        }
        if (!wellFormed) {
            throw reject("malformed class name '" + name + "' at offset " + at);
        }
        if (!allow.allows(name)) {
            throw notAllowed(name, "offset " + at);
        }
        return name;
    }

    private static PayloadRejectedException notAllowed(String name, String where) {
        return reject("class " + name + " is not on the allow list (" + where + ")");
    }

    private static boolean plainName(String s) {
        return !s.isEmpty() && s.indexOf('[') < 0 && s.indexOf(';') < 0 && s.indexOf('/') < 0;
    }

    private Object handle(int at) {
        long index = (long) s4() - baseWireHandle;
        countRef();
        if (index < 0 || index >= handles.size()) {
            throw reject("reference to unknown handle at offset " + at);
        }
        return handles.get((int) index);
    }

    private void newHandle(Object kind) {
        countRef();
        handles.add(kind);
    }

    private void countRef() {
        if (++refs > limits.maxRefs()) {
            throw reject("more than maxRefs " + limits.maxRefs() + " handles and references, at offset " + pos);
        }
    }

    /** Modified UTF-8 as DataInput.readUTF decodes it; builds the string only when asked. */
    private String utf(long length, boolean build) {
        need(length);
        int end = pos + (int) length;
        StringBuilder sb = build ? new StringBuilder((int) length) : null;
        while (pos < end) {
            int at = pos;
            int c = in[pos++] & 0xFF;
            int extra = switch (c >> 4) {
                case 0, 1, 2, 3, 4, 5, 6, 7 -> 0;
                case 12, 13 -> 1;
                case 14 -> 2;
                default -> -1;
            };
            if (extra < 0 || end - pos < extra) {
                throw reject("malformed modified UTF-8 at offset " + at);
            }
            int ch = extra == 0 ? c : c & (extra == 1 ? 0x1F : 0x0F);
            for (int k = 0; k < extra; k++) {
                int next = in[pos++] & 0xFF;
                if ((next & 0xC0) != 0x80) {
                    throw reject("malformed modified UTF-8 at offset " + at);
                }
                ch = (ch << 6) | (next & 0x3F);
            }
            if (build) {
                sb.append((char) ch);
            }
        }
        return build ? sb.toString() : null;
    }

    private void need(long n) {
        if (n < 0) {
            throw reject("negative length " + n + " before offset " + pos);
        }
        if (n > in.length - pos) {
            throw reject("truncated stream: " + n + " bytes needed at offset " + pos + ", "
                    + (in.length - pos) + " left");
        }
    }

    private void skip(long n) {
        need(n);
        pos += (int) n;
    }

    private int peek() {
        need(1);
        return in[pos] & 0xFF;
    }

    private int u1() {
        need(1);
        return in[pos++] & 0xFF;
    }

    private int u2() {
        need(2);
        int v = ((in[pos] & 0xFF) << 8) | (in[pos + 1] & 0xFF);
        pos += 2;
        return v;
    }

    private int s4() {
        need(4);
        pos += 4;
        return intAt(pos - 4);
    }

    private int intAt(int k) {
        return in[k] << 24 | (in[k + 1] & 0xFF) << 16 | (in[k + 2] & 0xFF) << 8 | in[k + 3] & 0xFF;
    }

    private long s8() {
        return ((long) s4() << 32) | (s4() & 0xFFFFFFFFL);
    }

    private static PayloadRejectedException reject(String message) {
        return new PayloadRejectedException(message);
    }
}
