package io.rmiq.serial;

/**
 * Bounds on one deserialized graph, in the sense of {@link java.io.ObjectInputFilter}: nesting depth,
 * object references, the length of any one array, and the bytes of the stream.
 *
 * @param maxDepth           deepest nesting of objects
 * @param maxRefs            most objects and back-references in one graph
 * @param maxArrayLength     longest array, other than a {@code byte[]}
 * @param maxBytes           longest stream
 * @param maxByteArrayLength longest {@code byte[]}
 */
public record SerialLimits(int maxDepth, long maxRefs, int maxArrayLength, long maxBytes, int maxByteArrayLength) {

    /** The same limit for every kind of array. */
    public SerialLimits(int maxDepth, long maxRefs, int maxArrayLength, long maxBytes) {
        this(maxDepth, maxRefs, maxArrayLength, maxBytes, maxArrayLength);
    }

    /** Limits for one queue item: generous for data, small enough that a hostile graph stays cheap. */
    public static final SerialLimits PAYLOAD = new SerialLimits(64, 1_000_000, 16 << 20, 16 << 20);

    /**
     * Limits for the arguments and results of one RMI call: a batch of items plus its envelope. Each
     * item crosses as one {@code byte[]}, which may be as long as the largest item (a dead letter wraps
     * one in about 1 KiB more); other arrays are batches and stay short, since a reader allocates an
     * array at the length it is told, before the elements arrive.
     */
    public static final SerialLimits CALL = new SerialLimits(16, 1_000_000, 1 << 20, 256L << 20,
            (int) PAYLOAD.maxBytes() + (1 << 20));

    /**
     * These limits with another stream bound and another {@code byte[]} bound (items cross as byte
     * arrays); other arrays keep theirs.
     */
    public SerialLimits withMaxBytes(long bytes, int byteArrayLength) {
        return new SerialLimits(maxDepth, maxRefs, maxArrayLength, bytes, byteArrayLength);
    }
}
