package io.rmiq.server.admission;

import io.rmiq.serial.AllowList;
import io.rmiq.serial.SerialLimits;

import static java.io.ObjectStreamConstants.*;
import static org.junit.jupiter.api.Assertions.*;

import io.rmiq.api.PayloadRejectedException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Externalizable;
import java.io.IOException;
import java.io.ObjectInput;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutput;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class StreamScannerTest {

    private static final AllowList ALLOW = AllowList.defaults().with(List.of("io.rmiq.server.admission.**"));
    private static final AllowList ALLOW_PROXY = ALLOW.with(List.of("java.lang.reflect.Proxy"));
    private static final SerialLimits LIMITS = SerialLimits.PAYLOAD;
    /** Lets hand-crafted streams reach the parser's own checks rather than the configured limits. */
    private static final SerialLimits LAX = new SerialLimits(64, Long.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE);
    private static final String P = StreamScannerTest.class.getName() + "$";

    static volatile boolean tripped;

    // ---- serializable test types ----

    enum Color { RED, GREEN { @Override public String toString() { return "green"; } } }

    record Point(int x, String label) implements Serializable { }

    static class Gadget implements Serializable { int armed = 1; }

    static class Parent implements Serializable { int p = 1; }

    static class Child extends Parent { String c = "child"; }

    static class Probe implements Serializable { long value = 7; String note = "probe"; }

    /** Never loaded by the tests; its initializer would tell if the scanner did. */
    static class Tripwire implements Serializable {
        static { tripped = true; }
    }

    static class Custom implements Serializable {
        int a = 3;
        String s = "s";

        private void writeObject(ObjectOutputStream out) throws IOException {
            out.defaultWriteObject();
            out.writeInt(42);
            out.writeObject(new ArrayList<>(List.of("x", 1)));
            out.writeUTF("tail");
            out.write(new byte[2000]); // forces TC_BLOCKDATALONG
            out.writeObject(new Point(1, "p"));
        }
    }

    public static class Ext implements Externalizable {
        public Ext() { }

        @Override
        public void writeExternal(ObjectOutput out) throws IOException {
            out.writeInt(7);
            out.writeObject("hello");
            out.writeObject(new ArrayList<>(List.of(1, 2)));
        }

        @Override
        public void readExternal(ObjectInput in) throws IOException, ClassNotFoundException {
            in.readInt();
            in.readObject();
            in.readObject();
        }
    }

    interface Greeter { String greet(); }

    static class Handler implements InvocationHandler, Serializable {
        @Override
        public Object invoke(Object proxy, Method method, Object[] args) {
            return "hi";
        }
    }

    // ---- helpers ----

    private static byte[] ser(Object o) {
        return ser(o, PROTOCOL_VERSION_2);
    }

    private static byte[] ser(Object o, int protocol) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.useProtocolVersion(protocol);
            out.writeObject(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void accepts(Object o, AllowList allow) {
        assertDoesNotThrow(() -> StreamScanner.check(ser(o), allow, LIMITS), () -> "rejected " + o.getClass());
    }

    private static void accepts(Object o) {
        accepts(o, ALLOW);
    }

    private static String rejects(byte[] stream, AllowList allow, SerialLimits limits) {
        return assertThrows(PayloadRejectedException.class, () -> StreamScanner.check(stream, allow, limits))
                .getMessage();
    }

    private static Greeter proxy() {
        return (Greeter) Proxy.newProxyInstance(Greeter.class.getClassLoader(), new Class<?>[] {Greeter.class},
                new Handler());
    }

    private static List<Object> nestedLists(int depth) {
        List<Object> list = new ArrayList<>();
        for (int i = 1; i < depth; i++) {
            List<Object> outer = new ArrayList<>();
            outer.add(list);
            list = outer;
        }
        return list;
    }

    /** A graph that exercises most of the grammar. */
    private static Object kitchenSink() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("ints", new int[] {1, 2, 3});
        map.put("grid", new int[][] {{1}, {2, 3}});
        map.put("strings", new String[] {"a", null, "a"});
        map.put("custom", new Custom());
        map.put("ext", new Ext());
        map.put("enum", Color.GREEN);
        map.put("enums", EnumSet.of(Color.RED));
        map.put("record", new Point(2, "q"));
        map.put("child", new Child());
        map.put("decimal", new BigDecimal("3.14159"));
        map.put("uuid", new UUID(1, 2));
        map.put("date", LocalDate.of(2024, 2, 29));
        map.put("instant", Instant.ofEpochSecond(1));
        map.put("immutable", List.of(1, "two", Map.of("k", 3)));
        map.put("proxy", proxy());
        map.put("class", String.class);
        map.put("self", map);
        return map;
    }

    /** Replaces a class name (its 2-byte length and modified UTF-8 bytes) wherever it occurs. */
    private static byte[] rename(byte[] stream, String from, String to) {
        byte[] f = from.getBytes(StandardCharsets.UTF_8);
        byte[] t = to.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        int replaced = 0;
        while (i < stream.length) {
            if (i + 2 + f.length <= stream.length && ((stream[i] & 0xFF) << 8 | stream[i + 1] & 0xFF) == f.length
                    && Arrays.equals(stream, i + 2, i + 2 + f.length, f, 0, f.length)) {
                out.write(t.length >> 8);
                out.write(t.length);
                out.write(t, 0, t.length);
                i += 2 + f.length;
                replaced++;
            } else {
                out.write(stream[i++]);
            }
        }
        assertTrue(replaced > 0, "name not found: " + from);
        return out.toByteArray();
    }

    /** Builds streams byte by byte, starting with the header. */
    private static final class Raw {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Raw() {
            s(0xACED).s(5);
        }

        Raw b(int... values) {
            for (int v : values) {
                out.write(v);
            }
            return this;
        }

        Raw s(int v) {
            return b(v >> 8, v);
        }

        Raw i(int v) {
            return s(v >>> 16).s(v);
        }

        Raw l(long v) {
            return i((int) (v >>> 32)).i((int) v);
        }

        Raw raw(byte[] bytes) {
            out.write(bytes, 0, bytes.length);
            return this;
        }

        Raw utf(String v) {
            byte[] bytes = v.getBytes(StandardCharsets.UTF_8);
            s(bytes.length);
            out.write(bytes, 0, bytes.length);
            return this;
        }

        /** A class descriptor with no fields and no annotation; the caller writes its super class desc. */
        Raw desc(String name, int flags) {
            return b(TC_CLASSDESC).utf(name).l(1).b(flags).s(0).b(TC_ENDBLOCKDATA);
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        byte[] body() {
            byte[] all = bytes();
            return Arrays.copyOfRange(all, 4, all.length);
        }
    }

    // ---- accepted streams ----

    @Test
    void check_acceptsBoxedAndStrings() {
        accepts(42);
        accepts("hello, wörld \u0000 \uD83D\uDE00");
        accepts(BigInteger.TEN.pow(100));
        accepts(new BigDecimal("12345.6789"));
        accepts(UUID.randomUUID());
        accepts(new Date(0));
    }

    @Test
    void check_acceptsLongString() {
        byte[] stream = ser("é".repeat(70_000));
        assertEquals(TC_LONGSTRING, stream[4]);
        StreamScanner.check(stream, ALLOW, LIMITS);
    }

    @Test
    void check_acceptsArrays() {
        accepts(new byte[] {1, 2});
        accepts(new boolean[3]);
        accepts(new char[] {'x'});
        accepts(new short[4]);
        accepts(new long[] {1L, 2L});
        accepts(new float[2]);
        accepts(new double[] {Math.PI});
        accepts(new String[] {"a", null, "b"});
        accepts(new int[][] {{1, 2}, {}, null});
        accepts(new Point[][] {{new Point(1, "a")}});
    }

    @Test
    void check_acceptsNestedCollections() {
        Map<String, Object> map = new HashMap<>();
        map.put("list", new ArrayList<>(List.of(1, 2L, "three")));
        map.put("set", new HashSet<>(List.of("a", "b")));
        map.put("linked", new LinkedHashMap<>(Map.of("k", List.of(1))));
        map.put("asList", Arrays.asList("x", "y"));
        map.put("unmodifiable", Collections.unmodifiableList(new ArrayList<>(List.of(1))));
        map.put("singleton", Collections.singletonMap("a", 1));
        map.put("empty", Collections.emptyList());
        accepts(map);
        accepts(List.of(1, 2, 3));
        accepts(Map.of("a", 1, "b", 2));
        accepts(Arrays.asList(1, 2));
    }

    /** A comparator of the user's own: it runs code on whoever deserializes the collection. */
    static final class Backwards implements java.util.Comparator<String>, java.io.Serializable {
        @Override
        public int compare(String a, String b) {
            return b.compareTo(a);
        }
    }

    @Test
    void check_acceptsSortedCollections_butNotAComparatorOffTheList() {
        TreeMap<String, Integer> tree = new TreeMap<>(Map.of("a", 1, "b", 2));
        accepts(tree, AllowList.defaults());
        TreeMap<String, Integer> reversed = new TreeMap<>(java.util.Collections.reverseOrder());
        reversed.putAll(tree);
        accepts(reversed, AllowList.defaults());
        TreeMap<String, Integer> custom = new TreeMap<>(new Backwards());
        custom.putAll(tree);
        assertTrue(rejects(ser(custom), AllowList.defaults(), LIMITS).contains("Backwards"));
        java.util.PriorityQueue<String> queue = new java.util.PriorityQueue<>(new Backwards());
        queue.add("x");
        assertTrue(rejects(ser(queue), AllowList.defaults(), LIMITS).contains("Backwards"));
    }

    @Test
    void check_acceptsEnumsAndRecords() {
        accepts(Color.RED);
        accepts(Color.GREEN); // constant with a body: written under its enum type
        accepts(EnumSet.allOf(Color.class));
        accepts(new Point(3, "label"));
    }

    @Test
    void check_acceptsCustomWriteObject() {
        accepts(new Custom());
    }

    @Test
    void check_acceptsExternalizable() {
        accepts(new Ext());
    }

    @Test
    void check_acceptsProxyOfAllowedInterface() {
        accepts(proxy(), ALLOW_PROXY);
    }

    @Test
    void check_acceptsCyclesAndSharedReferences() {
        List<Object> self = new ArrayList<>();
        self.add(self);
        accepts(self);
        Point shared = new Point(1, "shared");
        accepts(new ArrayList<>(List.of(shared, shared, shared)));
    }

    @Test
    void check_acceptsJavaTime() {
        accepts(Instant.now());
        accepts(LocalDate.of(2020, 1, 1));
    }

    @Test
    void check_acceptsKitchenSink() {
        accepts(kitchenSink(), ALLOW_PROXY);
    }

    @Test
    void check_acceptsNull() {
        StreamScanner.check(ser(null), ALLOW, LIMITS);
    }

    @Test
    void check_acceptsLargeList() {
        List<Integer> big = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            big.add(i);
        }
        accepts(big);
    }

    @Test
    void check_acceptsUnknownClassWithoutLoadingIt() {
        byte[] ghost = rename(ser(new Probe()), P + "Probe", "com.nowhere.Ghost");
        assertThrows(ClassNotFoundException.class, () -> Class.forName("com.nowhere.Ghost"));
        StreamScanner.check(ghost, ALLOW.with(List.of("com.nowhere.*")), LIMITS);
        assertTrue(rejects(ghost, ALLOW, LIMITS).contains("com.nowhere.Ghost"));

        byte[] trip = rename(ser(new Probe()), P + "Probe", P + "Tripwire");
        StreamScanner.check(trip, ALLOW, LIMITS);
        assertFalse(tripped, "the scanner initialized a class named in the stream");
    }

    @Test
    void check_rejectsNullArguments() {
        byte[] stream = ser(1);
        assertThrows(NullPointerException.class, () -> StreamScanner.check(null, ALLOW, LIMITS));
        assertThrows(NullPointerException.class, () -> StreamScanner.check(stream, null, LIMITS));
        assertThrows(NullPointerException.class, () -> StreamScanner.check(stream, ALLOW, null));
    }

    // ---- allow list ----

    @Test
    void check_rejectsDisallowedTopLevelClass() {
        String message = rejects(ser(new Gadget()), AllowList.defaults(), LIMITS);
        assertTrue(message.contains("class " + P + "Gadget is not on the allow list"), message);
    }

    @Test
    void check_rejectsDisallowedClassDeepInMap() {
        Map<String, Object> map = new HashMap<>();
        map.put("ok", 1);
        map.put("bad", new ArrayList<>(List.of("a", new LinkedHashMap<>(Map.of("x", new Gadget())))));
        String message = rejects(ser(map), AllowList.defaults(), LIMITS);
        assertTrue(message.contains(P + "Gadget"), message);
    }

    @Test
    void check_rejectsDisallowedSuperclass() {
        String message = rejects(ser(new Child()), AllowList.defaults().with(List.of(P + "Child")), LIMITS);
        assertTrue(message.contains(P + "Parent"), message);
    }

    @Test
    void check_rejectsDisallowedArrayElementClass() {
        String message = rejects(ser(new Gadget[0]), AllowList.defaults(), LIMITS);
        assertTrue(message.contains(P + "Gadget"), message);
    }

    @Test
    void check_acceptsObjectArrayWhenObjectAllowed() {
        accepts(new Object[] {1, "a", null}, ALLOW.with(List.of("java.lang.Object")));
    }

    @Test
    void check_rejectsDisallowedEnumClass() {
        String message = rejects(ser(Color.RED), AllowList.defaults(), LIMITS);
        assertTrue(message.contains(P + "Color"), message);
    }

    @Test
    void check_rejectsDisallowedProxyInterface() {
        AllowList noInterface = AllowList.defaults().with(List.of("java.lang.reflect.Proxy", P + "Handler"));
        String message = rejects(ser(proxy()), noInterface, LIMITS);
        assertTrue(message.contains(P + "Greeter"), message);
    }

    @Test
    void check_rejectsProxyUnlessProxyClassAllowed() {
        String message = rejects(ser(proxy()), ALLOW, LIMITS);
        assertTrue(message.contains("java.lang.reflect.Proxy"), message);
    }

    @Test
    void check_rejectsMalformedArrayName() {
        byte[] stream = new Raw().b(TC_ARRAY).desc("[Lcom.evil.Gadget", SC_SERIALIZABLE).b(TC_NULL).i(0).bytes();
        assertTrue(rejects(stream, ALLOW, LAX).contains("malformed class name"));
        byte[] bare = new Raw().b(TC_ARRAY).desc("[", SC_SERIALIZABLE).b(TC_NULL).i(0).bytes();
        assertTrue(rejects(bare, ALLOW, LAX).contains("malformed class name"));
    }

    @Test
    void check_rejectsClassHiddenBehindRecordWriteMethodFlag() {
        // ObjectInputStream ignores SC_WRITE_METHOD data of records, so from the END marker below it
        // is one level shallower than a grammar-only parser and reads the block data as field values.
        byte[] hidden = new Raw().b(0, 0, TC_OBJECT, TC_CLASSDESC).utf("com.evil.Gadget").l(1)
                .b(SC_SERIALIZABLE).s(0).b(TC_ENDBLOCKDATA, TC_NULL).body();
        byte[] stream = new Raw().b(TC_OBJECT, TC_CLASSDESC).utf("java.lang.Integer")
                .l(ObjectStreamClass.lookup(Integer.class).getSerialVersionUID()).b(SC_SERIALIZABLE | SC_WRITE_METHOD)
                .s(2).b('I').utf("value").b('L').utf("a").b(TC_STRING).utf("Ljava/lang/Object;").b(TC_ENDBLOCKDATA)
                .b(TC_CLASSDESC).utf("java.lang.Number").l(ObjectStreamClass.lookup(Number.class).getSerialVersionUID())
                .b(SC_SERIALIZABLE | SC_WRITE_METHOD).s(0).b(TC_ENDBLOCKDATA, TC_NULL)
                .b(TC_OBJECT, TC_CLASSDESC).utf(P + "Point").l(0).b(SC_SERIALIZABLE | SC_WRITE_METHOD).s(1)
                .b('I').utf("x").b(TC_ENDBLOCKDATA, TC_NULL).i(5)
                .b(TC_ENDBLOCKDATA) // here: end of the record's annotation; there: end of Number's
                .b(TC_BLOCKDATA, hidden.length).raw(hidden) // there: Integer.value, then field a
                .b(TC_ENDBLOCKDATA).i(7).b(TC_NULL, TC_ENDBLOCKDATA).bytes();

        List<String> resolved = classesResolvedByObjectInputStream(stream);
        assertTrue(resolved.contains("com.evil.Gadget"), "ObjectInputStream resolved " + resolved);

        String message = rejects(stream, ALLOW, LIMITS);
        assertTrue(message.contains("class com.evil.Gadget is not on the allow list"), message);
    }

    @Test
    void check_rejectsSerializedGadgetInsideByteArray() {
        String message = rejects(ser((Object) ser(new Gadget())), AllowList.defaults(), LIMITS);
        assertTrue(message.contains(P + "Gadget"), message);
    }

    @Test
    void check_acceptsRandomBinaryAndText() {
        byte[] noise = new byte[4 << 20];
        new Random(7).nextBytes(noise);
        StringBuilder text = new StringBuilder();
        Random random = new Random(8);
        while (text.length() < 1 << 20) {
            text.append((char) random.nextInt(0x3000));
        }
        accepts(new ArrayList<>(List.of(noise, text.toString(), "r\u0000\u0007abc.def")));
    }

    // ---- limits ----

    @Test
    void check_rejectsDepthLimit() {
        byte[] stream = ser(nestedLists(20));
        StreamScanner.check(stream, ALLOW, new SerialLimits(20, 1000, 100, 100_000));
        String message = rejects(stream, ALLOW, new SerialLimits(19, 1000, 100, 100_000));
        assertTrue(message.contains("maxDepth 19"), message);
        rejects(ser(nestedLists(200)), ALLOW, LIMITS);
    }

    @Test
    void check_countsDepthLikeObjectInputFilter() {
        List<Object> leaves = Arrays.asList(null, "s", 1, new int[1], Color.RED, new Child());
        for (Object leaf : leaves) {
            List<Object> nested = nestedLists(5);
            List<Object> innermost = nested;
            while (!innermost.isEmpty()) {
                @SuppressWarnings("unchecked")
                List<Object> next = (List<Object>) innermost.get(0);
                innermost = next;
            }
            innermost.add(leaf);
            byte[] stream = ser(nested);
            for (int maxDepth = 4; maxDepth <= 9; maxDepth++) {
                boolean jdk = readsWithFilter(stream, "maxdepth=" + maxDepth);
                boolean scanner = passes(stream, ALLOW, new SerialLimits(maxDepth, 1000, 100, 10_000));
                assertEquals(jdk, scanner, "leaf " + leaf + ", maxDepth " + maxDepth);
            }
        }
    }

    private static boolean readsWithFilter(byte[] stream, String filter) {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(stream))) {
            in.setObjectInputFilter(ObjectInputFilter.Config.createFilter(filter));
            in.readObject();
            return true;
        } catch (IOException | ClassNotFoundException e) {
            return false;
        }
    }

    private static boolean passes(byte[] stream, AllowList allow, SerialLimits limits) {
        try {
            StreamScanner.check(stream, allow, limits);
            return true;
        } catch (PayloadRejectedException e) {
            return false;
        }
    }

    @Test
    void check_rejectsRefsLimit() {
        List<Integer> list = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            list.add(i);
        }
        String message = rejects(ser(list), ALLOW, new SerialLimits(64, 500, 100, 1 << 20));
        assertTrue(message.contains("maxRefs 500"), message);
    }

    @Test
    void check_rejectsArrayLimit() {
        byte[] stream = ser(new int[100]);
        StreamScanner.check(stream, ALLOW, new SerialLimits(64, 100, 100, 10_000));
        String message = rejects(stream, ALLOW, new SerialLimits(64, 100, 99, 10_000));
        assertTrue(message.contains("array length 100"), message);
    }

    @Test
    void check_rejectsBytesLimit() {
        byte[] stream = ser(new ArrayList<>(List.of("a", "b")));
        StreamScanner.check(stream, ALLOW, new SerialLimits(64, 100, 100, stream.length));
        String message = rejects(stream, ALLOW, new SerialLimits(64, 100, 100, stream.length - 1));
        assertTrue(message.contains("maxBytes"), message);
    }

    @Test
    void check_rejectsHugeClaimedLengthsFast() {
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            byte[] ints = new Raw().b(TC_ARRAY).desc("[I", SC_SERIALIZABLE).b(TC_NULL).i(Integer.MAX_VALUE).bytes();
            assertTrue(rejects(ints, ALLOW, LAX).contains("truncated"));
            byte[] strings = new Raw().b(TC_ARRAY).desc("[Ljava.lang.String;", SC_SERIALIZABLE).b(TC_NULL)
                    .i(Integer.MAX_VALUE).bytes();
            assertTrue(rejects(strings, ALLOW, LAX).contains("truncated"));
            rejects(new Raw().b(TC_ARRAY).desc("[J", SC_SERIALIZABLE).b(TC_NULL).i(-1).bytes(), ALLOW, LAX);
            rejects(new Raw().b(TC_LONGSTRING).l(Integer.MAX_VALUE).b('a').bytes(), ALLOW, LAX);
            rejects(new Raw().b(TC_LONGSTRING).l(Long.MAX_VALUE).bytes(), ALLOW, LAX);
            rejects(new Raw().b(TC_LONGSTRING).l(-1).bytes(), ALLOW, LAX);
            rejects(new Raw().b(TC_STRING).s(0xFFFF).b('a').bytes(), ALLOW, LAX);
            rejects(new Raw().b(TC_OBJECT).b(TC_CLASSDESC).s(0xFFFF).bytes(), ALLOW, LAX);
            rejects(new Raw().b(TC_OBJECT, TC_PROXYCLASSDESC).i(Integer.MAX_VALUE).bytes(), ALLOW, LAX);
            rejects(new Raw().b(TC_OBJECT).desc("java.lang.Integer", SC_EXTERNALIZABLE | SC_BLOCK_DATA).b(TC_NULL)
                    .b(TC_BLOCKDATALONG).i(Integer.MAX_VALUE).bytes(), ALLOW, LAX);
        });
    }

    @Test
    void check_rejectsHostileNestingWithoutStackOverflow() {
        Raw arrays = new Raw().b(TC_ARRAY).desc("[Ljava.lang.String;", SC_SERIALIZABLE).b(TC_NULL).i(1);
        for (int i = 0; i < 100_000; i++) {
            arrays.b(TC_ARRAY, TC_REFERENCE).i(baseWireHandle).i(1);
        }
        assertTrue(rejects(arrays.bytes(), ALLOW, LAX).contains("maxDepth"));

        Raw supers = new Raw().b(TC_OBJECT);
        for (int i = 0; i < 100_000; i++) {
            supers.desc("java.lang.Integer", SC_SERIALIZABLE);
        }
        assertTrue(rejects(supers.bytes(), ALLOW, LAX).contains("maxDepth"));
    }

    @Test
    void check_rejectsOverlongHierarchyBuiltFromReferences() {
        Raw raw = new Raw().b(TC_ARRAY).desc("[Ljava.lang.String;", SC_SERIALIZABLE).b(TC_NULL).i(100);
        for (int i = 0; i < 100; i++) {
            raw.desc("io.rmiq.server.admission.Level", SC_SERIALIZABLE);
            if (i == 0) {
                raw.b(TC_NULL);
            } else {
                raw.b(TC_REFERENCE).i(baseWireHandle + 2 + i - 1); // the previous element's descriptor
            }
        }
        assertTrue(rejects(raw.bytes(), ALLOW, LAX).contains("hierarchy deeper"));
    }

    // ---- malformed streams ----

    @Test
    void check_rejectsBadHeader() {
        rejects(new byte[0], ALLOW, LIMITS);
        byte[] stream = ser(1);
        stream[1] = 0;
        assertTrue(rejects(stream, ALLOW, LIMITS).contains("magic"));
        byte[] version = ser(1);
        version[3] = 4;
        assertTrue(rejects(version, ALLOW, LIMITS).contains("magic or version"));
    }

    @Test
    void check_rejectsTypeCodesOutOfPlace() {
        assertTrue(rejects(new Raw().b(TC_EXCEPTION).bytes(), ALLOW, LAX).contains("TC_EXCEPTION"));
        assertTrue(rejects(new Raw().b(0x6F).bytes(), ALLOW, LAX).contains("unknown type code 0x6F"));
        assertTrue(rejects(new Raw().b(0x7F).bytes(), ALLOW, LAX).contains("unknown type code 0x7F"));
        rejects(new Raw().b(TC_BLOCKDATA, 1, 0).bytes(), ALLOW, LAX);
        rejects(new Raw().b(TC_ENDBLOCKDATA).bytes(), ALLOW, LAX);
        rejects(new Raw().b(TC_RESET).bytes(), ALLOW, LAX);
        rejects(new Raw().b(TC_OBJECT, TC_NULL).bytes(), ALLOW, LAX);
        rejects(new Raw().b(TC_OBJECT, TC_STRING).s(0).bytes(), ALLOW, LAX);
        byte[] nestedReset = new Raw().b(TC_ARRAY).desc("[Ljava.lang.String;", SC_SERIALIZABLE).b(TC_NULL).i(1)
                .b(TC_RESET, TC_NULL).bytes();
        assertTrue(rejects(nestedReset, ALLOW, LAX).contains("reset"));
        StreamScanner.check(new Raw().b(TC_RESET, TC_RESET).b(TC_STRING).utf("ok").bytes(), ALLOW, LAX);
    }

    @Test
    void check_rejectsBadReferences() {
        assertTrue(rejects(new Raw().b(TC_REFERENCE).i(baseWireHandle).bytes(), ALLOW, LAX).contains("unknown handle"));
        rejects(new Raw().b(TC_REFERENCE).i(Integer.MIN_VALUE).bytes(), ALLOW, LAX);
        byte[] wrongKind = new Raw().b(TC_ARRAY).desc("[Ljava.lang.String;", SC_SERIALIZABLE).b(TC_NULL).i(2)
                .b(TC_STRING).utf("x").b(TC_OBJECT, TC_REFERENCE).i(baseWireHandle + 2).bytes();
        assertTrue(rejects(wrongKind, ALLOW, LAX).contains("not to a finished class descriptor"));
        byte[] ownSuper = new Raw().b(TC_OBJECT).desc("java.lang.Integer", SC_SERIALIZABLE)
                .b(TC_REFERENCE).i(baseWireHandle).bytes();
        assertTrue(rejects(ownSuper, ALLOW, LAX).contains("not to a finished class descriptor"));
    }

    @Test
    void check_rejectsExternalizableProtocol1() {
        byte[] stream = ser(new Ext(), PROTOCOL_VERSION_1);
        String message = rejects(stream, ALLOW, LIMITS);
        assertTrue(message.contains("protocol 1") && message.contains(P + "Ext"), message);
    }

    @Test
    void check_rejectsEveryTruncation() {
        byte[] stream = ser(kitchenSink());
        StreamScanner.check(stream, ALLOW_PROXY, LIMITS);
        for (int n = 0; n < stream.length; n++) {
            byte[] prefix = Arrays.copyOf(stream, n);
            assertThrows(PayloadRejectedException.class, () -> StreamScanner.check(prefix, ALLOW_PROXY, LIMITS),
                    "prefix of length " + n);
        }
    }

    @Test
    void check_rejectsTrailingBytes() {
        byte[] stream = ser(new ArrayList<>(List.of(1, 2)));
        for (int extra : new int[] {TC_NULL, TC_RESET, 0}) {
            byte[] longer = Arrays.copyOf(stream, stream.length + 1);
            longer[stream.length] = (byte) extra;
            assertTrue(rejects(longer, ALLOW, LIMITS).contains("trailing"));
        }
    }

    @Test
    void check_survivesMutationFuzz() {
        List<byte[]> seeds = List.of(ser(kitchenSink()), ser(new Custom()), ser(new Ext()), ser(nestedLists(10)),
                ser(new int[][] {{1, 2}, {3}}), ser(List.of("a", Color.RED, new Point(1, "b"))), ser(proxy()));
        int[] outcome = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Random random = new Random(20240229);
            for (int n = 0; n < 20_000; n++) {
                byte[] mutant = mutate(seeds.get(random.nextInt(seeds.size())), random);
                try {
                    StreamScanner.check(mutant, ALLOW_PROXY, LIMITS);
                    outcome[0]++;
                } catch (PayloadRejectedException expected) {
                    outcome[1]++;
                    continue;
                }
                for (String name : classesResolvedByObjectInputStream(mutant)) {
                    assertTrue(ALLOW_PROXY.allows(name), () -> name + " reached ObjectInputStream in mutant "
                            + Arrays.toString(mutant));
                }
            }
        });
        assertTrue(outcome[1] > 10_000, "most mutants should be rejected: " + Arrays.toString(outcome));
        assertTrue(outcome[0] > 1_000, "some mutants should pass: " + Arrays.toString(outcome));
    }

    /** The names ObjectInputStream tries to resolve reading a stream; only test and JDK classes get loaded. */
    private static List<String> classesResolvedByObjectInputStream(byte[] stream) {
        List<String> names = new ArrayList<>();
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(stream)) {
            @Override
            protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
                names.add(desc.getName());
                return super.resolveClass(desc);
            }

            @Override
            protected Class<?> resolveProxyClass(String[] interfaces) throws IOException, ClassNotFoundException {
                names.addAll(List.of(interfaces));
                return super.resolveProxyClass(interfaces);
            }
        }) {
            // bounds what a mutated HashMap size or array length can make it allocate
            in.setObjectInputFilter(ObjectInputFilter.Config.createFilter("maxarray=100000;maxdepth=64"));
            in.readObject();
        } catch (IOException | ClassNotFoundException | RuntimeException ignored) {
            // a mutant may well be unreadable; only what it resolved on the way matters
        }
        return names;
    }

    private static byte[] mutate(byte[] seed, Random random) {
        byte[] b = seed.clone();
        for (int m = 1 + random.nextInt(3); m > 0; m--) {
            int at = random.nextInt(b.length);
            switch (random.nextInt(5)) {
                case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> b[at] = (byte) (TC_BASE + random.nextInt(TC_MAX - TC_BASE + 1));
                case 2 -> {
                    byte[] longer = new byte[b.length + 1];
                    System.arraycopy(b, 0, longer, 0, at);
                    longer[at] = (byte) random.nextInt(256);
                    System.arraycopy(b, at, longer, at + 1, b.length - at);
                    b = longer;
                }
                case 3 -> {
                    byte[] shorter = new byte[b.length - 1];
                    System.arraycopy(b, 0, shorter, 0, at);
                    System.arraycopy(b, at + 1, shorter, at, b.length - at - 1);
                    b = shorter;
                }
                default -> b[at] = (byte) (random.nextBoolean() ? 0xFF : 0x7E);
            }
            if (b.length == 0) {
                return b;
            }
        }
        return b;
    }

    @Test
    void check_acceptsKitchenSinkThatObjectInputStreamReads() throws Exception {
        // sanity: the accepted streams are real, readable serialization streams
        byte[] stream = ser(kitchenSink());
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(stream))) {
            assertNotNull(in.readObject());
        }
        StreamScanner.check(stream, ALLOW_PROXY, LIMITS);
    }
}
