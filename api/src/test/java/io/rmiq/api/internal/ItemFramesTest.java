package io.rmiq.api.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.PayloadRejectedException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class ItemFramesTest {

    @Test
    void items_roundTrip() {
        byte[][] back = ItemFrames.decode(ItemFrames.of(new byte[] {1, 2}, new byte[0], new byte[] {3}), 10);
        assertEquals(3, back.length);
        assertArrayEquals(new byte[] {1, 2}, back[0]);
        assertArrayEquals(new byte[0], back[1]);
        assertArrayEquals(new byte[] {3}, back[2]);
        assertEquals(0, ItemFrames.decode(ItemFrames.of(), 10).length);
    }

    @Test
    void moreItemsThanTheReceiverTakes_areRefused() {
        PayloadRejectedException e = assertThrows(PayloadRejectedException.class,
                () -> ItemFrames.decode(ItemFrames.of(new byte[1], new byte[1], new byte[1]), 2));
        assertTrue(e.getMessage().contains("at most 2 items"), e.getMessage());
    }

    @Test
    void hugeCount_isRefusedBeforeAnArrayIsMade() {
        byte[] frame = ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array();
        PayloadRejectedException e = assertThrows(PayloadRejectedException.class,
                () -> ItemFrames.decode(frame, Integer.MAX_VALUE));
        assertTrue(e.getMessage().contains("malformed"), e.getMessage());
    }

    @Test
    void lengthBeyondTheFrame_orTrailingBytes_orATruncatedFrame_orNone_areRefused() {
        byte[] good = ItemFrames.of(new byte[10]);
        byte[] lying = good.clone();
        ByteBuffer.wrap(lying).putInt(4, 1 << 30);
        assertThrows(PayloadRejectedException.class, () -> ItemFrames.decode(lying, 10));
        assertThrows(PayloadRejectedException.class, () -> ItemFrames.decode(Arrays.copyOf(good, good.length + 1), 10));
        assertThrows(PayloadRejectedException.class, () -> ItemFrames.decode(Arrays.copyOf(good, 10), 10));
        assertThrows(PayloadRejectedException.class, () -> ItemFrames.decode(new byte[2], 10));
        assertThrows(PayloadRejectedException.class, () -> ItemFrames.decode(null, 10));
    }

    @Test
    void frames_endAtTheItemCount_orBeforeTheTargetBytes_butHoldAtLeastOneItem() {
        byte[] mib = new byte[1 << 20];
        List<byte[]> items = Collections.nCopies(10, mib);
        int perFrame = ItemFrames.TARGET_BYTES / mib.length;
        assertEquals(perFrame, ItemFrames.end(items, 0, 1_000));
        assertEquals(2, ItemFrames.end(items, 0, 2));
        assertEquals(10, ItemFrames.end(items, 10 - perFrame, 1_000));
        List<byte[]> huge = List.of(new byte[ItemFrames.TARGET_BYTES + 1], new byte[1]);
        assertEquals(1, ItemFrames.end(huge, 0, 1_000), "one item alone, however large");
        assertEquals(2, ItemFrames.end(huge, 1, 1_000));
    }
}
