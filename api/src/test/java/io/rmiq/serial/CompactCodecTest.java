package io.rmiq.serial;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.PayloadRejectedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class CompactCodecTest {

    static final SerialLimits LIMITS = SerialLimits.PAYLOAD;

    static Object roundTrip(Object v) {
        byte[] b = CompactCodec.tryEncode(v);
        assertNotNull(b, "compact form expected for " + v);
        CompactCodec.check(b, LIMITS);
        return CompactCodec.decode(b, LIMITS);
    }

    @Test
    void plainValues_roundTrip_withTheirExactTypes() {
        assertEquals(42, roundTrip(42));
        assertEquals(Long.MIN_VALUE, roundTrip(Long.MIN_VALUE));
        assertEquals(Double.NaN, roundTrip(Double.NaN));
        assertEquals(-0.0, roundTrip(-0.0));
        assertEquals(true, roundTrip(true));
        assertEquals("héllo 😀", roundTrip("héllo 😀"));
        assertArrayEquals(new byte[] {1, 2, 3}, (byte[]) roundTrip(new byte[] {1, 2, 3}));

        ArrayList<Object> al = new ArrayList<>(List.of(1, "x", List.of(2L, 3L)));
        Object back = roundTrip(al);
        assertEquals(al, back);
        assertSame(ArrayList.class, back.getClass());
        Object imm = roundTrip(List.of(1L, 2L));
        assertEquals(List.of(1L, 2L), imm);
        assertThrows(UnsupportedOperationException.class, () -> ((List<Object>) imm).add(3L));

        LinkedHashMap<String, Object> lhm = new LinkedHashMap<>();
        lhm.put("z", 1);
        lhm.put("a", List.of("b"));
        Object lback = roundTrip(lhm);
        assertSame(LinkedHashMap.class, lback.getClass());
        assertEquals(List.of("z", "a"), new ArrayList<>(((Map<?, ?>) lback).keySet()));
        HashMap<Integer, Integer> hm = new HashMap<>(Map.of(1, 2, 3, 4));
        assertSame(HashMap.class, roundTrip(hm).getClass());
        assertEquals(Map.of("k", 1), roundTrip(Map.of("k", 1)));
    }

    @Test
    void nullInsideListsAndMaps_roundTrips_butNotAsAWholeItem() {
        List<Object> list = new ArrayList<>(java.util.Arrays.asList("a", null));
        Map<Object, Object> map = new HashMap<>();
        map.put(null, null);
        assertEquals(list, roundTrip(list));
        assertEquals(map, roundTrip(map));
        assertNull(CompactCodec.tryEncode(null));
        assertThrows(PayloadRejectedException.class, () -> CompactCodec.decode(new byte[] {CompactCodec.MAGIC, 'N'}, LIMITS));
        assertThrows(PayloadRejectedException.class,
                () -> CompactCodec.decode(new byte[] {CompactCodec.MAGIC, 'I', 0, 0, 0, 1, 'N'}, LIMITS));
    }

    @Test
    void pickledValues_keepTheirBytes_andTheirView() {
        PayloadCodec codec = new PayloadCodec(AllowList.defaults(), LIMITS);
        io.rmiq.api.PickledValue p = new io.rmiq.api.PickledValue(new byte[] {(byte) 0x80, 2, ')', '.'}, List.of());
        byte[] item = codec.encode(p);
        assertEquals(PickledCodec.MAGIC, item[0]);
        io.rmiq.api.PickledValue back = (io.rmiq.api.PickledValue) codec.decode(item);
        assertArrayEquals(p.bytes(), back.bytes());
        assertEquals(List.of(), back.view());
        assertThrows(PayloadRejectedException.class, () -> PickledCodec.check(new byte[] {PickledCodec.MAGIC, 0, 0, 0, 9}, LIMITS));
    }

    @Test
    void compactForm_isSmall() {
        assertEquals(6, CompactCodec.tryEncode(123_456).length);
    }

    @Test
    void everythingElse_isLeftToJavaSerialization() {
        assertNull(CompactCodec.tryEncode(new TreeMap<>(Map.of(1, 2))));
        assertNull(CompactCodec.tryEncode(Set.of(1)));
        assertNull(CompactCodec.tryEncode(List.of(1, new StringBuilder())));
        assertNull(CompactCodec.tryEncode("lone \ud800 surrogate"));
        assertNull(CompactCodec.tryEncode(java.math.BigDecimal.ONE));
        PayloadCodec codec = new PayloadCodec(AllowList.defaults().with(List.of("java.util.TreeMap")), LIMITS);
        byte[] viaJava = codec.encode(new TreeMap<>(Map.of(1, 2)));
        assertEquals((byte) 0xAC, viaJava[0]);
        assertEquals(new TreeMap<>(Map.of(1, 2)), codec.decode(viaJava));
        assertEquals("lone \ud800 surrogate", codec.decode(codec.encode("lone \ud800 surrogate")));
    }

    @Test
    void everyTruncation_isRejected() {
        byte[] b = CompactCodec.tryEncode(new ArrayList<>(List.of(1, "two", Map.of("k", List.of(3L)), new byte[] {4})));
        for (int n = 0; n < b.length; n++) {
            byte[] cut = java.util.Arrays.copyOf(b, n);
            assertThrows(PayloadRejectedException.class, () -> CompactCodec.check(cut, LIMITS), "prefix " + n);
            assertThrows(PayloadRejectedException.class, () -> CompactCodec.decode(cut, LIMITS), "prefix " + n);
        }
    }

    @Test
    void hostileCounts_depthAndTrailingBytes_areRejectedCheaply() {
        byte[] huge = {CompactCodec.MAGIC, 'A', 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThrows(PayloadRejectedException.class, () -> CompactCodec.decode(huge, LIMITS));
        byte[] negative = {CompactCodec.MAGIC, 's', (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThrows(PayloadRejectedException.class, () -> CompactCodec.check(negative, LIMITS));
        byte[] deep = new byte[1 + 5 * 200 + 5];
        deep[0] = CompactCodec.MAGIC;
        for (int i = 0; i < 200; i++) {
            deep[1 + 5 * i] = 'A';
            deep[5 + 5 * i] = 1;
        }
        assertThrows(PayloadRejectedException.class, () -> CompactCodec.check(deep, LIMITS));
        byte[] trailing = {CompactCodec.MAGIC, 'T', 0};
        assertThrows(PayloadRejectedException.class, () -> CompactCodec.decode(trailing, LIMITS));
    }

    @Test
    void mutatedItems_onlyEverPassOrAreRejected() {
        Random random = new Random(7);
        byte[] base = CompactCodec.tryEncode(new ArrayList<>(List.of(1, "two", Map.of("k", List.of(3L, 2.5)),
                new byte[] {4, 5}, true, Long.MAX_VALUE)));
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            for (int i = 0; i < 20_000; i++) {
                byte[] m = base.clone();
                for (int k = 0; k <= random.nextInt(3); k++) {
                    m[1 + random.nextInt(m.length - 1)] = (byte) random.nextInt(256);
                }
                try {
                    CompactCodec.check(m, LIMITS);
                    CompactCodec.decode(m, LIMITS);
                } catch (PayloadRejectedException expected) {
                    // fine: refused with our own error
                }
            }
        });
        assertTrue(true);
    }
}
