package io.rmiq.server.store.embedded;

/**
 * One task inside a queue. Mutable, guarded by its queue's lock; it is in exactly one of the queue's
 * ready list, delayed set or lease table at a time.
 */
final class Task {
    final long id;
    final byte[] payload;
    /** Deliveries so far. */
    int attempt;
    /** When a delayed task may be delivered again, epoch millis. */
    long notBefore;
    /** The session holding the lease, while leased. */
    long session;
    /** When the lease ends, epoch millis, while leased. */
    long leaseDeadline;
    /** The journal segment holding this task's put. */
    int segment;
    /** Given back after a take for good: its next take is not counted again. */
    boolean givenBack;
    /** When it entered the queue (this run), epoch millis: for the oldest task's age. */
    final long enqueuedAt;

    Task(long id, byte[] payload, int attempt, int segment, long enqueuedAt) {
        this.id = id;
        this.payload = payload;
        this.attempt = attempt;
        this.segment = segment;
        this.enqueuedAt = enqueuedAt;
    }
}
