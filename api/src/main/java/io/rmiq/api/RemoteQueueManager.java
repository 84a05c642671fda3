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

    /** One snapshot per queue, sorted by name. */
    List<QueueStats> stats() throws RemoteException;
}
