package io.rmiq.api;

import java.rmi.Remote;
import java.rmi.RemoteException;
import java.util.List;

/** The entry point the server binds in its registry under {@link #BINDING}. */
public interface RemoteQueueManager extends Remote {

    /** The registry name of the manager. */
    String BINDING = "rmiq";

    /**
     * The queue with this name.
     *
     * @throws NoSuchQueueException naming the queue and listing those that exist
     */
    RemoteQueue queue(String name) throws RemoteException;

    /** The server's named locks. */
    RemoteLocks locks() throws RemoteException;

    /** The {@code host:port} the server writes into its stubs: where clients' calls go. */
    String advertisedAddress() throws RemoteException;

    /**
     * Heap in use on the server, in bytes, for measuring what queued tasks cost.
     *
     * @param collectFirst run the garbage collector first, so that the figure counts live data only
     */
    long heapUsedBytes(boolean collectFirst) throws RemoteException;

    /** The live client sessions (in-process ones excluded), oldest first. */
    List<SessionInfo> sessions() throws RemoteException;

    /**
     * Removes every waiting item of {@code queue} for good; leased items stay with their holders.
     *
     * @return how many were removed
     */
    int purge(String queue) throws RemoteException;

    /** One snapshot per queue, sorted by name. */
    List<QueueStats> stats() throws RemoteException;

    /**
     * Starts a session, which leases belong to. It ends when closed, or when no heartbeat arrives
     * for {@link #sessionTimeoutMillis()}; its leased tasks then go back to their queues.
     *
     * @param description who is asking, for operators (e.g. "worker on host-3")
     */
    long openSession(String description) throws RemoteException;

    /** How long a session lives without a heartbeat. */
    long sessionTimeoutMillis() throws RemoteException;

    /**
     * Keeps a session alive.
     *
     * @return false if the server no longer knows it (it expired or the server restarted)
     */
    boolean heartbeat(long session) throws RemoteException;

    /**
     * Ends a session at once: its waits end as {@link #cancelWaits} ends them, then its leased tasks go
     * back to their queues and its locks are freed.
     */
    void closeSession(long session) throws RemoteException;

    /**
     * Ends at once every wait of {@code session} in progress, on every queue ({@link RemoteQueue#poll},
     * {@link RemoteQueue#receive}, which return no items) and on every lock ({@link RemoteLocks#acquire},
     * which returns 0). For a client whose thread was interrupted, or which is closing. Waits that
     * start afterwards are not affected.
     */
    void cancelWaits(long session) throws RemoteException;

    /**
     * Moves up to {@code max} dead letters of {@code queue} back onto it, as new tasks.
     *
     * @return how many moved
     */
    int requeueDead(String queue, int max) throws RemoteException;
}
