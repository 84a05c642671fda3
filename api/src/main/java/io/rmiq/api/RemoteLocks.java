package io.rmiq.api;

import java.rmi.Remote;
import java.rmi.RemoteException;

/**
 * The server's named locks, as exported over RMI; {@link RemoteQueueManager#locks()} hands it out.
 * Applications use {@link DistributedLock} instead.
 *
 * <p>A holder is a {@code (session, ticket)} pair: the session ties the lock to a live client, the
 * ticket (a random number the client picks per handle) tells two handles of one client apart and
 * makes a retried {@link #acquire} harmless.
 */
public interface RemoteLocks extends Remote {

    /**
     * Takes lock {@code name} for the holder, waiting up to {@code waitMillis} (the server caps a
     * single wait) for it to be free. Taking a lock this holder already holds returns its token again
     * and restarts its lease.
     *
     * @param leaseMillis how long the hold lasts without {@link #renew}; 0 for as long as the session
     * @return the hold's fencing token, greater than every token of this lock before it; 0 if the lock
     *         stayed held by another for the whole wait
     * @throws SessionExpiredException if the session has ended
     */
    long acquire(String name, long session, long ticket, long leaseMillis, long waitMillis) throws RemoteException;

    /**
     * Restarts the hold's lease, with the length it was taken with: it now ends that long from now. A
     * hold without a lease only checks that it is still held.
     *
     * @return the hold's fencing token
     * @throws LockNotHeldException if the holder does not hold the lock
     */
    long renew(String name, long session, long ticket) throws RemoteException;

    /** Whether the holder holds the lock now. */
    boolean holds(String name, long session, long ticket) throws RemoteException;

    /**
     * Frees the lock, waking one of those waiting for it.
     *
     * @throws LockNotHeldException if the holder does not hold the lock
     */
    void release(String name, long session, long ticket) throws RemoteException;
}
