package io.rmiq.client;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.collections.Transformer;
import org.apache.commons.collections.functors.ChainedTransformer;
import org.apache.commons.collections.functors.ConstantTransformer;
import org.apache.commons.collections.functors.InvokerTransformer;
import org.apache.commons.collections.keyvalue.TiedMapEntry;
import org.apache.commons.collections.map.LazyMap;

/** Hostile object graphs, as an attacker holding the key would send them. */
final class Gadgets {

    private Gadgets() {
    }

    /**
     * The commons-collections 3.1 chain known as CommonsCollections6, aimed at creating {@code marker}
     * instead of running a command: deserializing the set hashes a TiedMapEntry, whose LazyMap asks its
     * Transformer chain for the missing key, and InvokerTransformer calls {@code marker.createNewFile()}.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Object fileCreatingChain(File marker) throws ReflectiveOperationException {
        Transformer[] armed = {
            new ConstantTransformer(marker),
            new InvokerTransformer("createNewFile", new Class[0], new Object[0]),
        };
        // Harmless while the set is built here (adding the entry hashes it); armed only afterwards.
        ChainedTransformer chain = new ChainedTransformer(new Transformer[] {new ConstantTransformer(1)});
        Map lazy = LazyMap.decorate(new HashMap(), chain);
        TiedMapEntry entry = new TiedMapEntry(lazy, "rmiq");
        Set<Object> set = new HashSet<>();
        set.add(entry);
        lazy.remove("rmiq");
        Field transformers = ChainedTransformer.class.getDeclaredField("iTransformers");
        transformers.setAccessible(true);
        transformers.set(chain, armed);
        return set;
    }

    /** Lists inside lists, {@code depth} deep: allowed classes, too deep a graph. */
    static Object nestedLists(int depth) {
        List<Object> root = new ArrayList<>();
        List<Object> at = root;
        for (int i = 1; i < depth; i++) {
            List<Object> next = new ArrayList<>();
            at.add(next);
            at = next;
        }
        return root;
    }

    /**
     * Nested HashSets that cost 2^depth hash computations to deserialize, in a graph of only about
     * 3 * depth objects ("SerialDOS"): allowed classes, small, and still a denial of service.
     */
    static Object hashSetBomb(int depth) {
        Set<Object> root = new HashSet<>();
        Set<Object> s1 = root;
        Set<Object> s2 = new HashSet<>();
        for (int i = 0; i < depth; i++) {
            Set<Object> t1 = new HashSet<>();
            Set<Object> t2 = new HashSet<>();
            t1.add("x"); // keeps t1 and t2 unequal, so each set holds both
            s1.add(t1);
            s1.add(t2);
            s2.add(t1);
            s2.add(t2);
            s1 = t1;
            s2 = t2;
        }
        return root;
    }

    /** A list that contains itself, and a map that maps to itself. */
    static Object cycles() {
        List<Object> list = new ArrayList<>();
        list.add(list);
        Map<Object, Object> map = new HashMap<>();
        map.put("self", map);
        list.add(map);
        return list;
    }

    /**
     * A stream holding one {@code long[]} that claims {@code length} elements but carries none: what
     * makes a naive reader allocate {@code 8 * length} bytes for a few bytes sent.
     */
    static byte[] arrayClaim(int length) throws IOException {
        byte[] stream = serialize(new long[0]);
        // the array's length is the last field written, after its class descriptor
        int at = stream.length - 4;
        stream[at] = (byte) (length >>> 24);
        stream[at + 1] = (byte) (length >>> 16);
        stream[at + 2] = (byte) (length >>> 8);
        stream[at + 3] = (byte) length;
        return stream;
    }

    static byte[] serialize(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }
}
