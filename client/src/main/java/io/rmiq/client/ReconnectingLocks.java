package io.rmiq.client;

import io.rmiq.api.RemoteLocks;
import io.rmiq.api.RemoteQueueManager;
import java.rmi.RemoteException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The lock service of the server the client currently knows, as {@link ReconnectingQueue} is for a
 * queue: after the client has lost the server, the next call looks the service up again.
 */
final class ReconnectingLocks implements RemoteLocks {

    private final QueueClient client;
    private final ConcurrentMap<RemoteQueueManager, RemoteLocks> stubs = new ConcurrentHashMap<>();

    ReconnectingLocks(QueueClient client) {
        this.client = client;
    }

    private RemoteLocks stub() throws RemoteException {
        try {
            RemoteQueueManager manager = client.manager();
            RemoteLocks stub = stubs.get(manager);
            if (stub == null) {
                stubs.clear(); // a lost server's stub is no use
                stub = manager.locks();
                stubs.put(manager, stub);
            }
            return stub;
        } catch (RemoteException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new RemoteException("looking up the lock service failed", e);
        }
    }

    private interface Call<T> {
        T on(RemoteLocks l) throws RemoteException;
    }

    /** Calls the current stub; a failure to reach the server makes the client look it up again next time. */
    private <T> T via(Call<T> call) throws RemoteException {
        RemoteQueueManager used = client.currentManager();
        try {
            return call.on(stub());
        } catch (RemoteException e) {
            client.lost(used);
            throw e;
        }
    }

    @Override
    public long acquire(String name, long session, long ticket, long leaseMillis, long waitMillis) throws RemoteException {
        return via(l -> l.acquire(name, session, ticket, leaseMillis, waitMillis));
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
