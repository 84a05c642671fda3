package io.rmiq.serial;

/**
 * Bounds on one deserialized graph, in the sense of {@link java.io.ObjectInputFilter}: nesting depth,
 * object references, the length of any one array, and the bytes of the stream.
 *
 * @param maxDepth       deepest nesting of objects
 * @param maxRefs        most objects and back-references in one graph
 * @param maxArrayLength longest array
 * @param maxBytes       longest stream
 */
public record SerialLimits(int maxDepth, long maxRefs, int maxArrayLength, long maxBytes) {

    /** Limits for one queue item: generous for data, small enough that a hostile graph stays cheap. */
    public static final SerialLimits PAYLOAD = new SerialLimits(64, 1_000_000, 16 << 20, 16 << 20);

    /**
     * Limits for the arguments and results of one RMI call: a batch of items plus its envelope. Its
     * longest array is one item's bytes.
     */
    public static final SerialLimits CALL = new SerialLimits(16, 1_000_000, 16 << 20, 256L << 20);

    /** These limits with another byte bound (and array bound, since items cross as byte arrays). */
    public SerialLimits withMaxBytes(long bytes, int arrayLength) {
        return new SerialLimits(maxDepth, maxRefs, arrayLength, bytes);
    }
}
