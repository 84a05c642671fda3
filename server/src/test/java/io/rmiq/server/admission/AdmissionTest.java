package io.rmiq.server.admission;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.PayloadRejectedException;
import io.rmiq.serial.AllowList;
import io.rmiq.serial.CompactCodec;
import io.rmiq.serial.SerialLimits;
import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdmissionTest {

    private final Admission admission = new Admission(AllowList.defaults(), SerialLimits.PAYLOAD.withMaxBytes(1_000, 1_000));

    @Test
    void plainValuesPass_inEveryForm() throws Exception {
        admission.check("tasks", new byte[][] {CompactCodec.tryEncode(List.of(1, "two")), serialized(42L)});
    }

    @Test
    void anItemOverTheLimit_isRefused_namingTheQueueItemAndLimit() {
        byte[] big = CompactCodec.tryEncode("x".repeat(2_000));
        PayloadRejectedException e = assertThrows(PayloadRejectedException.class,
                () -> admission.check("tasks", new byte[][] {serialized(1), big}));
        assertTrue(e.getMessage().contains("queue 'tasks' refused item 1"), e.getMessage());
        assertTrue(e.getMessage().contains("--max-item-bytes of 1000"), e.getMessage());
        assertThrows(PayloadRejectedException.class, () -> admission.checkSize("tasks", 0, 1_001));
        admission.checkSize("tasks", 0, 1_000);
    }

    @Test
    void aClassOutsideTheAllowList_isRefused_beforeAnyStoreSeesIt() throws Exception {
        PayloadRejectedException e = assertThrows(PayloadRejectedException.class,
                () -> admission.check("tasks", new byte[][] {serialized(new java.util.concurrent.Semaphore(1))}));
        assertTrue(e.getMessage().contains("--allow PATTERN"), e.getMessage());
    }

    @Test
    void garbageIsRefused() {
        assertThrows(PayloadRejectedException.class,
                () -> admission.check("tasks", new byte[][] {{(byte) 0xac, (byte) 0xed, 0, 5, 1, 2, 3}}));
    }

    private static byte[] serialized(Object o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }
}
