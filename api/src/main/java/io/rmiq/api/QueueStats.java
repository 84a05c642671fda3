package io.rmiq.api;

import java.io.Serializable;

/**
 * A snapshot of one queue.
 *
 * @param name            the queue's name
 * @param size            items waiting to be taken
 * @param inFlight        items received under a lease and not yet acked
 * @param capacity        the most items (waiting plus in flight) it holds before {@code put} blocks;
 *                        {@link Integer#MAX_VALUE} when unbounded
 * @param deadLetters     items in its dead-letter queue (0 for a dead-letter queue itself)
 * @param puts            items put since the server started
 * @param takes           items handed out since the server started (taken for good or leased)
 * @param acks            items finished since the server started (acked, or taken for good)
 * @param oldestAgeMillis how long the oldest waiting item has waited, 0 when none waits
 */
public record QueueStats(String name, int size, int inFlight, int capacity, int deadLetters, long puts, long takes,
        long acks, long oldestAgeMillis) implements Serializable {
}
