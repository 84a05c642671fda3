package io.rmiq.client;

import io.rmiq.api.RemoteQueue;
import java.rmi.RemoteException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A queue's wire interface that always calls the server the client currently knows: when a server
 * restarts, its old stubs point at objects that are gone, so each call looks the queue up again
 * after the client has lost the server. Lookups are cached per manager.
 */
final class ReconnectingQueue implements RemoteQueue {

    private final QueueClient client;
    private final String name;
    private final ConcurrentMap<Object, RemoteQueue> stubs = new ConcurrentHashMap<>();

    ReconnectingQueue(QueueClient client, String name) {
        this.client = client;
        this.name = name;
    }

    private RemoteQueue stub() throws RemoteException {
        try {
            Object manager = client.manager();
            RemoteQueue stub = stubs.get(manager);
            if (stub == null) {
                stubs.clear(); // stubs of a lost server are no use
                stub = ((io.rmiq.api.RemoteQueueManager) manager).queue(name);
                stubs.put(manager, stub);
            }
            return stub;
        } catch (RemoteException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new RemoteException("looking up queue '" + name + "' failed", e);
        }
    }

    private interface Call<T> {
        T on(RemoteQueue q) throws RemoteException;
    }

    /** Calls the current stub; a failure to reach the server makes the client look it up again next time. */
    private <T> T via(Call<T> call) throws RemoteException {
        Object used = client.currentManager();
        try {
            return call.on(stub());
        } catch (RemoteException e) {
            client.lost((io.rmiq.api.RemoteQueueManager) used);
            throw e;
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int offer(byte[][] items, long timeoutMillis) throws RemoteException {
        return via(q -> q.offer(items, timeoutMillis));
    }

    @Override
    public byte[][] poll(int max, long timeoutMillis) throws RemoteException {
        return via(q -> q.poll(max, timeoutMillis));
    }

    @Override
    public byte[] receive(int max, long timeoutMillis, long session) throws RemoteException {
        return via(q -> q.receive(max, timeoutMillis, session));
    }

    @Override
    public boolean[] ack(long[] ids, int[] attempts, long session) throws RemoteException {
        return via(q -> q.ack(ids, attempts, session));
    }

    @Override
    public void nack(long id, int attempt, String reason, long delayMillis, long session) throws RemoteException {
        via(q -> {
            q.nack(id, attempt, reason, delayMillis, session);
            return null;
        });
    }

    @Override
    public long[] extend(long[] ids, int[] attempts, long session) throws RemoteException {
        return via(q -> q.extend(ids, attempts, session));
    }

    @Override
    public byte[][] peek(int max) throws RemoteException {
        return via(q -> q.peek(max));
    }

    @Override
    public int size() throws RemoteException {
        return via(RemoteQueue::size);
    }
}
