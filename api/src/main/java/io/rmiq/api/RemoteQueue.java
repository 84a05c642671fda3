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
 */
public interface RemoteQueue extends Remote {

    /** The queue's name. */
    String name() throws RemoteException;

    /**
     * Appends items in order, waiting up to {@code timeoutMillis} (capped by the server) for room.
     *
     * @return how many of the leading items were accepted; fewer than {@code items.length} only when
     *         the queue stayed full until the timeout
     * @throws PayloadRejectedException if any item is refused; then none is accepted
     * @throws ServerShutdownException  if the server is stopping
     */
    int offer(byte[][] items, long timeoutMillis) throws RemoteException;

    /**
     * Removes up to {@code max} items, waiting up to {@code timeoutMillis} (capped by the server) for
     * the first one.
     *
     * @return the items in queue order; empty when none arrived in time
     * @throws ServerShutdownException if the server is stopping
     */
    byte[][] poll(int max, long timeoutMillis) throws RemoteException;

    /** Items waiting to be taken. */
    int size() throws RemoteException;
}
