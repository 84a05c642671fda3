package io.rmiq.server.python;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.PickledValue;
import io.rmiq.serial.CompactCodec;
import io.rmiq.serial.PickledCodec;
import io.rmiq.serial.SerialLimits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.razorvine.pickle.PickleException;
import org.junit.jupiter.api.Test;

/** Hostile and edge-case pickles; the real CPython clients are in client's PythonProcessIT. */
class PythonValuesTest {

    @Test
    void aTinyPickleDeclaringTwoGigabytes_isRefusedBeforeAllocating() {
        byte[] bomb = {(byte) 0x80, 4, 'B', (byte) 0xf0, (byte) 0xff, (byte) 0xff, 0x7f, 'x', '.'};
        PickleException e = assertThrows(PickleException.class, () -> RequestReader.read(bomb));
        assertTrue(e.getMessage().contains("declares"), e.getMessage());
    }

    @Test
    void garbage_isAPickleException_notACrash() {
        byte[] garbage = "\u0080\u0004this is not a pickle".getBytes(StandardCharsets.ISO_8859_1);
        assertThrows(PickleException.class, () -> RequestReader.read(garbage));
    }

    @Test
    void aValueSharedOverAndOver_isNeitherWalkedNorCopiedExponentially() {
        // What memo GETs make of 60 bytes of pickle: 2^40 paths to one string.
        Object v = "x".repeat(1000);
        for (int i = 0; i < 40; i++) {
            List<Object> l = new ArrayList<>();
            l.add(v);
            l.add(v);
            v = l;
        }
        Object dag = v;
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            assertNull(PythonValues.plain(dag));
            byte[] item = PythonValues.kept(new byte[] {(byte) 0x80, 2, 'N', '.'}, dag, SerialLimits.PAYLOAD);
            assertNull(PickledCodec.decode(item, SerialLimits.PAYLOAD).view());
        });
    }

    @Test
    void aPickleOfManyTinyValues_isChargedByWhatItMakes_andRefusedBeyondTheBudget() throws Exception {
        // 4 MB of EMPTY_DICT: one byte each, a map each; it once took 413 MB of heap.
        byte[] dicts = new byte[4_000_003];
        dicts[0] = (byte) 0x80;
        dicts[1] = 4;
        java.util.Arrays.fill(dicts, 2, dicts.length - 1, (byte) '}');
        dicts[dicts.length - 1] = '.';
        Frames.Budget budget = new Frames.Budget(64L << 20);
        PickleException e = assertThrows(PickleException.class, () -> RequestReader.read(dicts, budget));
        assertTrue(e.getMessage().contains("more values than the server has memory for"), e.getMessage());
        assertEquals(0, budget.used(), "given back");
        // A list of 100,000 ints (as CPython pickles it: MARK, 1,000 items, APPENDS) is well within it.
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) 0x80, 4, ']'});
        for (int batch = 0; batch < 100; batch++) {
            b.write('(');
            for (int i = 0; i < 1_000; i++) {
                b.writeBytes(new byte[] {'J', (byte) i, (byte) batch, 1, 0});
            }
            b.write('e');
        }
        b.write('.');
        assertEquals(100_000, ((List<?>) RequestReader.read(b.toByteArray(), budget).value()).size());
        assertEquals(0, budget.used());
    }

    @Test
    void integerTextBeyondCPythonsDigitLimit_isRefusedAtOnce() {
        // Protocol 0: L400000 digits. BigInteger would take seconds of CPU on it.
        byte[] p = ("L" + "7".repeat(400_000) + "L\n.").getBytes(StandardCharsets.US_ASCII);
        PickleException e = assertTimeoutPreemptively(Duration.ofSeconds(2),
                () -> assertThrows(PickleException.class, () -> RequestReader.read(p)));
        assertTrue(e.getMessage().contains("400001 digits") && e.getMessage().contains("4300"), e.getMessage());
        // 4,300 digits still read, as CPython does.
        byte[] ok = ("L" + "7".repeat(4_299) + "L\n.").getBytes(StandardCharsets.US_ASCII);
        assertDoesNotThrow(() -> RequestReader.read(ok));
    }

    @Test
    void aDecimalOfHugeText_isKeptWithAStandInView_quickly() {
        // decimal.Decimal('7' * 400000), protocol 2: c decimal Decimal, X <len> text, TUPLE1, REDUCE.
        String digits = "7".repeat(400_000);
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) 0x80, 2});
        b.writeBytes("cdecimal\nDecimal\nX".getBytes(StandardCharsets.US_ASCII));
        int n = digits.length();
        b.writeBytes(new byte[] {(byte) n, (byte) (n >>> 8), (byte) (n >>> 16), (byte) (n >>> 24)});
        b.writeBytes(digits.getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(new byte[] {(byte) 0x85, 'R', '.'});
        byte[] p = b.toByteArray();
        Object v = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> RequestReader.read(p).value());
        assertTrue(v instanceof net.razorvine.pickle.objects.ClassDict d && "rmiq.unreadable".equals(d.getClassName()),
                () -> String.valueOf(v).substring(0, Math.min(100, String.valueOf(v).length())));
    }

    @Test
    void aHugeInt_getsAShortView_quickly() {
        java.math.BigInteger huge = java.math.BigInteger.ONE.shiftLeft(40_000_000);
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertEquals("<int of 40000001 bits>",
                PickledCodec.decode(PythonValues.kept(new byte[] {'N', '.'}, huge, SerialLimits.PAYLOAD),
                        SerialLimits.PAYLOAD).view()));
    }

    @Test
    void plainValues_becomeCompactItems_othersKeepTheirPickle() {
        List<Object> list = new ArrayList<>();
        list.add(1);
        list.add(null);
        assertTrue(CompactCodec.isCompact(PythonValues.plain(list)));
        assertNull(PythonValues.plain(null), "None as a whole item is kept as a pickle");
        assertNull(PythonValues.plain(new Object[] {1, "a"}), "a tuple is kept as a pickle");
        byte[] pickle = {(byte) 0x80, 2, 'N', '.'};
        PickledValue p = PickledCodec.decode(PythonValues.kept(pickle, new Object[] {1, "a"}, SerialLimits.PAYLOAD), SerialLimits.PAYLOAD);
        assertArrayEquals(pickle, p.bytes());
        assertEquals(List.of(1, "a"), p.view());
    }
}
