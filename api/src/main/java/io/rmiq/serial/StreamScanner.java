package io.rmiq.serial;

/** TEMPORARY placeholder until the real scanner lands. */
public final class StreamScanner {
    public static void check(byte[] stream, AllowList allow, SerialLimits limits) {
    }
}
