package io.rmiq.api.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.LeasedItem;
import io.rmiq.api.PayloadRejectedException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LeasedFramesTest {

    @Test
    void items_roundTrip() {
        LeasedItem[] items = {new LeasedItem(1, 1, 1000, new byte[] {1, 2}), new LeasedItem(2, 3, 2000, new byte[0])};
        LeasedItem[] back = LeasedFrames.decode(LeasedFrames.encode(items));
        assertEquals(2, back.length);
        for (int i = 0; i < 2; i++) {
            assertEquals(items[i].id(), back[i].id());
            assertEquals(items[i].attempt(), back[i].attempt());
            assertEquals(items[i].leaseDeadlineMillis(), back[i].leaseDeadlineMillis());
            assertArrayEquals(items[i].payload(), back[i].payload());
        }
        assertEquals(0, LeasedFrames.decode(LeasedFrames.encode(new LeasedItem[0])).length);
    }

    @Test
    void hugeCount_isRefusedBeforeAnArrayIsMade() {
        byte[] frame = ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array();
        PayloadRejectedException e = assertThrows(PayloadRejectedException.class, () -> LeasedFrames.decode(frame));
        assertTrue(e.getMessage().contains("malformed"), e.getMessage());
    }

    @Test
    void lengthBeyondTheFrame_orTrailingBytes_orATruncatedFrame_areRefused() {
        byte[] good = LeasedFrames.encode(new LeasedItem[] {new LeasedItem(1, 1, 1, new byte[10])});
        byte[] lying = good.clone();
        ByteBuffer.wrap(lying).putInt(4 + 8 + 4 + 8, 1 << 30);
        assertThrows(PayloadRejectedException.class, () -> LeasedFrames.decode(lying));
        assertThrows(PayloadRejectedException.class, () -> LeasedFrames.decode(Arrays.copyOf(good, good.length + 1)));
        assertThrows(PayloadRejectedException.class, () -> LeasedFrames.decode(Arrays.copyOf(good, 10)));
        assertThrows(PayloadRejectedException.class, () -> LeasedFrames.decode(new byte[2]));
    }
}
