package io.rmiq.serial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rmiq.api.PayloadRejectedException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PayloadCodecTest {

    final PayloadCodec codec = new PayloadCodec(AllowList.defaults(), SerialLimits.PAYLOAD);

    /** Not Serializable. */
    static final class Plain {
    }

    @Test
    void aValueThatIsNotSerializable_isNamed_notTheStreamsOwnException() {
        List<Object> inside = new ArrayList<>(List.of("a", new Plain()));
        PayloadRejectedException e = assertThrows(PayloadRejectedException.class, () -> codec.encode(inside));
        assertEquals("class " + Plain.class.getName() + " is not Serializable", e.getMessage());
        e = assertThrows(PayloadRejectedException.class, () -> codec.encode(new Plain()));
        assertEquals("class " + Plain.class.getName() + " is not Serializable", e.getMessage());
    }
}
