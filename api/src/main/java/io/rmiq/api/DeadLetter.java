package io.rmiq.api;

import java.io.Serializable;
import java.time.Instant;

/**
 * A task that failed too often, as it sits on the dead-letter queue {@code NAME.dead}.
 *
 * @param queue    the queue it came from
 * @param id       its task id there
 * @param attempts how many times it was delivered
 * @param reason   the last failure's reason
 * @param diedAt   when it was moved here, in epoch milliseconds
 * @param payload  the task, still serialized: decode it with the client's allow list
 */
public record DeadLetter(String queue, long id, int attempts, String reason, long diedAt, byte[] payload)
        implements Serializable {

    /** The dead-letter queue's name for a queue. */
    public static String queueFor(String queue) {
        return queue + ".dead";
    }

    @Override
    public String toString() {
        return "dead letter " + queue + "#" + id + " after " + attempts + " attempt" + (attempts == 1 ? "" : "s")
                + " at " + Instant.ofEpochMilli(diedAt) + ": " + reason;
    }
}
