package io.rmiq.api;

import java.rmi.Remote;
import java.rmi.RemoteException;

/**
 * The wire interface of one queue, as exported by the server. Applications use
 * {@link DistributedQueue}; this is what it is built on.
 *
 * <p>Items cross as serialized bytes: the client serializes the user's object, the server checks its
 * classes against the allow list without loading them and stores the bytes, and the consumer
 * deserializes them under its own allow list. Every wait is bounded by the server (a long-poll), so
 * no server thread blocks forever and the caller loops for longer waits.
 *
 * <p>Leases belong to a session ({@link RemoteQueueManager#openSession}): when the session ends or
 * stops sending heartbeats, its leases end and their tasks go back to the queue.
 */
public interface RemoteQueue extends Remote {

    /** The queue's name. */
    String name() throws RemoteException;

    /**
     * Appends items in order, waiting up to {@code timeoutMillis} (capped by the server) for room.
     * Items are in the journal before the call returns.
     *
     * <p>{@code (producer, sequence)} names the call, so that a retry of a call whose answer was lost is
     * stored once: if the server already stored a call with this pair (within its de-duplication
     * window, kept as durably as the items), it stores nothing and returns the count it accepted then.
     * Sequences need not arrive in order (a producer may call from several threads).
     *
     * @param items    the items framed as {@link io.rmiq.api.internal.ItemFrames} says: one array
     *                 crosses the wire, not one per item
     * @param producer a random non-zero id per producer (one per client), or 0 for no de-duplication
     * @param sequence this call's number among the producer's calls; ignored when {@code producer} is 0
     * @return how many of the leading items were accepted; fewer than all only when the queue stayed
     *         full until the timeout
     * @throws PayloadRejectedException if any item is refused; then none is accepted
     * @throws ServerShutdownException  if the server is stopping
     */
    int offer(byte[] items, long timeoutMillis, long producer, long sequence) throws RemoteException;

    /**
     * Removes up to {@code max} items for good (at-most-once), waiting up to {@code timeoutMillis}
     * (capped by the server) for the first one. A call returns fewer than {@code max} when they would
     * pass {@link io.rmiq.api.internal.ItemFrames#TARGET_BYTES}.
     *
     * <p>The wait ends at once, with no items, when {@link RemoteQueueManager#cancelWaits} or
     * {@link RemoteQueueManager#closeSession} is called for {@code session}.
     *
     * @param session the caller's session, so that its waits can be cancelled; 0 for none (an unknown
     *                session is taken as none)
     * @return the items in queue order, framed as {@link io.rmiq.api.internal.ItemFrames} says; no
     *         items when none arrived in time
     * @throws ServerShutdownException if the server is stopping
     */
    byte[] poll(int max, long timeoutMillis, long session) throws RemoteException;

    /**
     * Puts back, at the head of the queue and in their order, items that {@link #poll} returned but
     * the caller could not hand over (it could not deserialize them, or it was interrupted or closed
     * while the answer arrived). Ignores capacity; journaled like a put; not counted as puts, and
     * their next take not counted as a take.
     *
     * @param items framed as {@link io.rmiq.api.internal.ItemFrames} says, as {@link #poll} returned them
     */
    void giveBack(byte[] items) throws RemoteException;

    /**
     * Leases up to {@code max} items to {@code session}, waiting up to {@code timeoutMillis} (capped
     * by the server) for the first one. The wait ends early, with no items, as {@link #poll}'s does.
     *
     * @return the leased items in queue order, framed as {@link io.rmiq.api.internal.LeasedFrames}
     *         says (no items when none arrived in time): one array crosses the wire, not an object
     *         per item; fewer than {@code max} when they would pass
     *         {@link io.rmiq.api.internal.ItemFrames#TARGET_BYTES}
     */
    byte[] receive(int max, long timeoutMillis, long session) throws RemoteException;

    /**
     * Finishes leased tasks. A lease is named by task id and attempt, so that a consumer whose lease
     * ran out cannot finish the task's next delivery by mistake.
     *
     * @return for each lease, whether {@code session} still held it (false: the task may have been
     *         delivered again)
     */
    boolean[] ack(long[] ids, int[] attempts, long session) throws RemoteException;

    /** Gives a leased task back, at the head of the queue or after {@code delayMillis}. */
    void nack(long id, int attempt, String reason, long delayMillis, long session) throws RemoteException;

    /**
     * Gives a leased task back without spending an attempt: its attempt count goes back to what it was
     * before this delivery, and it stays invisible for {@code delayMillis} (so that a consumer that
     * cannot use it does not take it again at once, and others can). Ignored unless {@code session}
     * holds that lease.
     */
    void release(long id, int attempt, String reason, long delayMillis, long session) throws RemoteException;

    /**
     * Renews leases for the queue's lease time.
     *
     * @return for each lease, the new deadline in epoch milliseconds, or 0 if {@code session} no
     *         longer held it
     */
    long[] extend(long[] ids, int[] attempts, long session) throws RemoteException;

    /** Up to {@code max} waiting items, in queue order, left where they are. */
    byte[][] peek(int max) throws RemoteException;

    /** Items waiting to be taken. */
    int size() throws RemoteException;
}
