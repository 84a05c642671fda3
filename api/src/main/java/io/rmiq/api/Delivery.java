package io.rmiq.api;

import java.time.Duration;
import java.time.Instant;

/**
 * One task received under a lease: it stays invisible to other consumers until the lease ends, and
 * comes back to the queue (attempt + 1) if it is neither acked nor extended by then, or if this
 * client's connection is lost. After the queue's maximum attempts it moves to the dead-letter queue
 * {@code NAME.dead} instead.
 *
 * <p>Thread-safe. Ack only once the task's result is safely stored (e.g. put on a results queue).
 *
 * @param <E> the payload type
 */
public interface Delivery<E> {

    /** The task's id, unique on its server. */
    long id();

    /** 1 on the first delivery, then one more each time the task comes back. */
    int attempt();

    /** When the lease ends unless extended. */
    Instant leaseDeadline();

    /** The task itself. */
    E payload();

    /**
     * Finishes the task: it is removed for good.
     *
     * @return false if the lease had already ended, so the task may have gone to another consumer
     */
    boolean ack();

    /** Gives the task back at once, recording why. */
    void nack(String reason);

    /** Gives the task back after {@code delay}, recording why. */
    void nack(String reason, Duration delay);

    /**
     * Renews the lease for the queue's lease time from now.
     *
     * @return false if the lease had already ended
     */
    boolean extend();
}
