package io.rmiq.api;

import java.io.Serializable;

/**
 * A task as the server hands it out under a lease: the wire form behind {@link Delivery}.
 *
 * @param id                  the task id
 * @param attempt             which delivery this is, from 1
 * @param leaseDeadlineMillis when the lease ends, in epoch milliseconds of the server's clock
 * @param payload             the serialized task
 */
public record LeasedItem(long id, int attempt, long leaseDeadlineMillis, byte[] payload) implements Serializable {
}
