package io.rmiq.client;

import io.rmiq.api.RemoteLocks;
import io.rmiq.api.RemoteQueueManager;
import java.rmi.RemoteException;

/**
 * The lock service of the server the client currently knows, as {@link ReconnectingQueue} is for a
 * queue: after the client has lost the server, the next call looks the service up again.
 */
final class ReconnectingLocks implements RemoteLocks {

    private final CurrentStub<RemoteLocks> current;

    ReconnectingLocks(QueueClient client) {
        this.current = new CurrentStub<>(client, RemoteQueueManager::locks, "the lock service");
    }

    private <T> T via(CurrentStub.Call<RemoteLocks, T> call) throws RemoteException {
        return current.via(call);
    }

    @Override
    public long acquire(String name, long session, long ticket, long leaseMillis, long waitMillis) throws RemoteException {
        // 0 is "not acquired in time"; the ticket makes the retry of an acquire that went through harmless.
        return current.waiting(waitMillis, session, 0L, l -> l.acquire(name, session, ticket, leaseMillis, waitMillis));
    }

    @Override
    public long renew(String name, long session, long ticket) throws RemoteException {
        return via(l -> l.renew(name, session, ticket));
    }

    @Override
    public boolean holds(String name, long session, long ticket) throws RemoteException {
        return via(l -> l.holds(name, session, ticket));
    }

    @Override
    public void release(String name, long session, long ticket) throws RemoteException {
        via(l -> {
            l.release(name, session, ticket);
            return null;
        });
    }
}
