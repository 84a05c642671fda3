package io.rmiq.serial;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The classes rmiq lets a payload contain, by name. Immutable and thread-safe.
 *
 * <p>Patterns follow JEP 290's forms: {@code com.example.Point} (one class), {@code com.example.*}
 * (classes of one package), {@code com.example.**} (a package and its subpackages) and
 * {@code com.example.Event*} (names with that prefix). Arrays are allowed when their element class
 * is; primitive arrays always are.
 *
 * <p>Matching works on names only, so the server can check a payload without having its classes.
 */
public final class AllowList {

    /** JDK value types and collections whose deserialization runs no user-supplied code. */
    public static final List<String> JDK_VALUES = List.of(
            // Collections check the arrays they allocate against the filter as Object[] and Map.Entry[].
            "java.lang.Object", "java.util.Map$Entry",
            "java.lang.Boolean", "java.lang.Byte", "java.lang.Character", "java.lang.Short",
            "java.lang.Integer", "java.lang.Long", "java.lang.Float", "java.lang.Double",
            "java.lang.Number", "java.lang.String", "java.lang.Enum",
            "java.math.BigInteger", "java.math.BigDecimal",
            "java.util.ArrayList", "java.util.LinkedList", "java.util.ArrayDeque",
            "java.util.HashMap", "java.util.LinkedHashMap", "java.util.HashSet",
            "java.util.LinkedHashSet", "java.util.Date", "java.util.UUID", "java.util.BitSet",
            "java.util.CollSer", "java.util.ImmutableCollections$*",
            "java.util.Arrays$ArrayList", "java.util.AbstractMap$Simple*",
            "java.util.Collections$Empty*", "java.util.Collections$Singleton*",
            "java.util.Collections$Unmodifiable*",
            "java.util.EnumSet$SerializationProxy", "java.util.EnumMap",
            // Sorted and legacy collections; a comparator inside one runs code on the consumer, so
            // only the JDK's own comparators are allowed, never Comparator as such.
            "java.util.TreeMap", "java.util.TreeSet", "java.util.PriorityQueue", "java.util.Vector",
            "java.util.Stack", "java.util.Hashtable", "java.util.IdentityHashMap",
            "java.util.Collections$Synchronized*", "java.util.Collections$ReverseComparator*",
            "java.util.Comparators$NaturalOrderComparator", "java.lang.String$CaseInsensitiveComparator",
            "java.util.concurrent.ConcurrentHashMap", "java.util.concurrent.ConcurrentHashMap$Segment",
            "java.util.concurrent.ConcurrentSkipListMap", "java.util.concurrent.ConcurrentSkipListSet",
            "java.util.concurrent.CopyOnWriteArrayList", "java.util.concurrent.CopyOnWriteArraySet",
            "java.util.concurrent.ConcurrentLinkedQueue", "java.util.concurrent.ConcurrentLinkedDeque",
            "java.util.concurrent.LinkedBlockingQueue", "java.util.concurrent.LinkedBlockingDeque",
            "java.util.concurrent.ArrayBlockingQueue",
            // the locks those blocking queues carry in their serialized form
            "java.util.concurrent.locks.ReentrantLock", "java.util.concurrent.locks.ReentrantLock$*",
            "java.util.concurrent.locks.AbstractQueuedSynchronizer",
            "java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionObject",
            "java.util.concurrent.locks.AbstractOwnableSynchronizer",
            "java.util.concurrent.atomic.AtomicBoolean", "java.util.concurrent.atomic.AtomicInteger",
            "java.util.concurrent.atomic.AtomicLong", "java.util.concurrent.atomic.AtomicIntegerArray",
            "java.util.concurrent.atomic.AtomicLongArray", "java.util.concurrent.atomic.LongAdder",
            "java.util.concurrent.atomic.DoubleAdder", "java.util.concurrent.atomic.Striped64$SerializationProxy",
            "java.util.concurrent.atomic.LongAdder$SerializationProxy",
            "java.util.concurrent.atomic.DoubleAdder$SerializationProxy",
            "java.util.concurrent.TimeUnit", "java.math.RoundingMode", "java.net.URI", "java.util.Locale",
            "java.util.Currency", "java.lang.StringBuilder", "java.lang.StringBuffer",
            "java.time.Ser", "java.time.*", "java.time.temporal.*", "java.time.zone.*", "java.time.chrono.*");

    /** rmiq's own value types. */
    public static final List<String> RMIQ_VALUES = List.of("io.rmiq.api.**");

    private static final Pattern NAME =
            Pattern.compile("[\\p{javaJavaIdentifierPart}.$]*[\\p{javaJavaIdentifierPart}$](\\.\\*\\*|\\.\\*|\\*)?");

    private final List<String> patterns;

    private AllowList(List<String> patterns) {
        this.patterns = List.copyOf(patterns);
    }

    /** The JDK values and rmiq's own types. */
    public static AllowList defaults() {
        List<String> all = new ArrayList<>(JDK_VALUES);
        all.addAll(RMIQ_VALUES);
        return new AllowList(all);
    }

    /**
     * This list plus {@code extra} patterns.
     *
     * @throws IllegalArgumentException naming a pattern that is not of one of the four forms
     */
    public AllowList with(Collection<String> extra) {
        List<String> all = new ArrayList<>(patterns);
        for (String p : extra) {
            all.add(validate(p));
        }
        return new AllowList(all);
    }

    /** Checks one pattern's form and returns it trimmed. */
    public static String validate(String pattern) {
        String p = pattern == null ? "" : pattern.trim();
        if (p.equals("*") || p.equals("**") || !NAME.matcher(p).matches()) {
            throw new IllegalArgumentException("bad allow pattern '" + pattern
                    + "': use com.example.Class, com.example.*, com.example.** or com.example.Prefix*");
        }
        return p;
    }

    /** The patterns, defaults first. */
    public List<String> patterns() {
        return patterns;
    }

    /**
     * Whether a class of this name may be deserialized. Takes binary names as
     * {@link Class#getName()} gives them, including array names such as {@code [Ljava.lang.String;}.
     */
    public boolean allows(String className) {
        String name = elementName(className);
        if (name == null) {
            return true; // a primitive array
        }
        for (String p : patterns) {
            if (matches(p, name)) {
                return true;
            }
        }
        return false;
    }

    /** The element class name of an array name, the name itself otherwise, null for primitives. */
    static String elementName(String className) {
        int dims = 0;
        while (dims < className.length() && className.charAt(dims) == '[') {
            dims++;
        }
        if (dims == 0) {
            return className;
        }
        String element = className.substring(dims);
        if (element.length() == 1 && "ZBCSIJFD".contains(element)) {
            return null;
        }
        if (element.length() > 2 && element.charAt(0) == 'L' && element.endsWith(";")) {
            return element.substring(1, element.length() - 1);
        }
        // Malformed: returned whole, it starts with '[' and so matches no pattern.
        return className;
    }

    private static boolean matches(String pattern, String name) {
        if (pattern.endsWith(".**")) {
            String pkg = pattern.substring(0, pattern.length() - 2);
            return name.startsWith(pkg);
        }
        if (pattern.endsWith(".*")) {
            String pkg = pattern.substring(0, pattern.length() - 1);
            return name.startsWith(pkg) && name.indexOf('.', pkg.length()) < 0;
        }
        if (pattern.endsWith("*")) {
            return name.startsWith(pattern.substring(0, pattern.length() - 1));
        }
        return name.equals(pattern);
    }

    @Override
    public String toString() {
        return String.join(",", patterns);
    }
}
