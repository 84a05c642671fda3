package io.rmiq.server.admission;

import io.rmiq.api.PayloadRejectedException;
import io.rmiq.serial.AllowList;
import io.rmiq.serial.CompactCodec;
import io.rmiq.serial.PickledCodec;
import io.rmiq.serial.SerialLimits;

/**
 * The one check every item passes before any store sees it, whichever front end brought it: the
 * size limit, then its form (rmiq's compact codec, a pickle with its view, or Java serialization
 * scanned against the allow list). Stateless and thread-safe.
 */
public final class Admission {

    private final AllowList allow;
    private final SerialLimits limits;

    public Admission(AllowList allow, SerialLimits limits) {
        this.allow = allow;
        this.limits = limits;
    }

    /** The item limits: what front ends decode with and bound their frames by. */
    public SerialLimits limits() {
        return limits;
    }

    /**
     * Checks items whose bytes a client made, whatever it says they are.
     *
     * @throws PayloadRejectedException naming the queue and the first refused item
     */
    public void check(String queue, byte[][] items) {
        for (int i = 0; i < items.length; i++) {
            checkSize(queue, i, items[i].length);
            try {
                if (CompactCodec.isCompact(items[i])) {
                    CompactCodec.check(items[i], limits);
                } else if (PickledCodec.isPickled(items[i])) {
                    PickledCodec.check(items[i], limits);
                } else {
                    StreamScanner.check(items[i], allow, limits);
                }
            } catch (PayloadRejectedException e) {
                throw new PayloadRejectedException("queue '" + queue + "' refused item " + i + ": " + e.getMessage()
                        + " (start the server with --allow PATTERN to allow more classes)");
            }
        }
    }

    /**
     * Checks the size of an item that this server built itself from a value it parsed (the Python
     * port): its form is known good, so only the limit applies.
     */
    public void checkSize(String queue, int index, int bytes) {
        if (bytes > limits.maxBytes()) {
            throw new PayloadRejectedException("queue '" + queue + "' refused item " + index + ": " + bytes
                    + " bytes, more than the server's --max-item-bytes of " + limits.maxBytes());
        }
    }
}
