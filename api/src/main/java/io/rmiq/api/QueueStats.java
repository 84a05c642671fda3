package io.rmiq.api;

import java.io.Serializable;

/**
 * A snapshot of one queue.
 *
 * @param name     the queue's name
 * @param size     items waiting to be taken
 * @param inFlight items received under a lease and not yet acked
 * @param capacity the most items (waiting plus in flight) it holds before {@code put} blocks;
 *                 {@link Integer#MAX_VALUE} when unbounded
 */
public record QueueStats(String name, int size, int inFlight, int capacity) implements Serializable {
}
