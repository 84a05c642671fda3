package io.rmiq.api.internal;

import java.rmi.RemoteException;

/** The session a queue handle leases tasks under: kept alive by heartbeats, renewed if lost. */
@FunctionalInterface
public interface SessionSource {

    /** The current session id, opening one first if needed. */
    long id() throws RemoteException;

    /** The server said session {@code id} has ended: the next {@link #id()} opens a new one. */
    default void expired(long id) {
    }
}
