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

    /**
     * The session a plain wait (a poll) runs under, so that an interrupt or {@code close()} can end it
     * on the server at once: the current one, opened first if that takes one try; 0 when there is
     * none, and the wait then ends by its slice alone.
     */
    default long forWaits() {
        return 0;
    }
}
