package io.rmiq.server.journal;

/**
 * What the journal records: enough to rebuild every queue's unfinished tasks after a restart.
 *
 * <p>Records that end or move a task name the segment its live copy was in, so the journal can tell
 * when a segment holds nothing live any more and can be deleted. That number is bookkeeping only;
 * it is not written.
 */
public sealed interface JournalRecord {

    /** The queue the record is about. */
    String queue();

    /** The task id the record is about. */
    long id();

    /**
     * A task entered a queue; or, with {@code movedFrom} &ge; 0, compaction copied a live task forward
     * out of that segment, with its attempts so far.
     */
    record Put(String queue, long id, int attempt, byte[] payload, int movedFrom) implements JournalRecord {
        public Put(String queue, long id, int attempt, byte[] payload) {
            this(queue, id, attempt, payload, -1);
        }
    }

    /** A task is finished (acked, taken for good, moved to a dead-letter queue); it lived in {@code segment}. */
    record Ack(String queue, long id, int segment) implements JournalRecord {
    }

    /** A task came back to its queue after {@code attempt} deliveries. */
    record Requeue(String queue, long id, int attempt) implements JournalRecord {
    }

    /**
     * Puts of producer {@code id} were stored: its put number {@code sequences[i]} stored
     * {@code counts[i]} items, as of {@code atMillis} (wall clock). Written with the items it counts,
     * in the same write, so a retried put is recognised after a restart; see {@link ProducerWindow}.
     */
    record Produced(long id, long atMillis, long[] sequences, int[] counts) implements JournalRecord {
        public Produced(long producer, long atMillis, long sequence, int count) {
            this(producer, atMillis, new long[] {sequence}, new int[] {count});
        }

        @Override
        public String queue() {
            return "";
        }
    }
}
