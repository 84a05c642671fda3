package io.rmiq.api;

import java.time.Duration;
import java.util.Collection;
import java.util.List;

/**
 * A named FIFO queue held by an rmiq server, seen from a client or from the JVM that embeds the
 * server. Thread-safe: any number of threads may share one handle.
 *
 * <p>Two ways to consume: {@link #get}, {@link #poll} and {@link #take} remove items for good, as
 * Python's queue does (at-most-once: an item taken by a consumer that then dies is lost);
 * {@link #receive} leases them, and a task whose consumer dies or gives up comes back (at-least-once).
 *
 * <p>Items are any {@link java.io.Serializable} whose classes are on the allow list of both the
 * server and the consumer. Blocking methods wait in bounded slices underneath, so a server that
 * stops releases them with {@link ServerShutdownException}, and {@link Thread#interrupt()} ends the
 * wait within one slice.
 *
 * <p>Remote failures surface as {@link RmiqException} subclasses: {@link ServerUnavailableException}
 * when the server cannot be reached, {@link AuthenticationException} when it refuses the authkey,
 * {@link PayloadRejectedException} when an item's class is not allowed.
 *
 * @param <E> the item type
 */
public interface DistributedQueue<E> {

    /** The queue's name on the server. */
    String name();

    /** Appends an item, waiting as long as it takes for room in a bounded queue. */
    void put(E item) throws InterruptedException;

    /**
     * Appends an item, waiting up to {@code timeout} for room.
     *
     * @return false if the queue stayed full for the whole timeout
     */
    boolean offer(E item, Duration timeout) throws InterruptedException;

    /** Appends all items in order in as few calls as it can, waiting for room as {@link #put} does. */
    void putAll(Collection<? extends E> items) throws InterruptedException;

    /** Removes and returns the head, waiting as long as it takes for one. */
    E get() throws InterruptedException;

    /**
     * Removes and returns the head, waiting up to {@code timeout} for one.
     *
     * @return the item, or null if none arrived in time
     */
    E poll(Duration timeout) throws InterruptedException;

    /**
     * Removes up to {@code max} items in one call, waiting up to {@code timeout} for the first.
     *
     * @return the items in queue order; empty if none arrived in time
     */
    List<E> take(int max, Duration timeout) throws InterruptedException;

    /**
     * Leases up to {@code max} tasks, waiting up to {@code timeout} for the first: the at-least-once
     * way to consume. Each must be {@link Delivery#ack() acked} once handled, or it comes back.
     * A task this consumer cannot deserialize is given back with the reason and skipped.
     *
     * @return the deliveries in queue order; empty if none arrived in time
     */
    List<Delivery<E>> receive(int max, Duration timeout) throws InterruptedException;

    /**
     * Acks many deliveries of this queue in one call.
     *
     * @return how many were still leased to this client
     */
    int ack(Collection<? extends Delivery<E>> deliveries);

    /**
     * Renews the leases of many deliveries of this queue in one call.
     *
     * @return how many were still leased to this client
     */
    int extend(Collection<? extends Delivery<E>> deliveries);

    /** Up to {@code max} waiting items in queue order, left in the queue: for looking, not for work. */
    List<E> peek(int max);

    /** Items waiting to be taken (not counting those leased and not yet acked). */
    int size();
}
