package io.rmiq.client;

import io.rmiq.api.RemoteQueue;
import java.rmi.RemoteException;

/**
 * A queue's wire interface that always calls the server the client currently knows: when a server
 * restarts, its old stubs point at objects that are gone, so each call looks the queue up again
 * after the client has lost the server. Lookups are cached per manager.
 */
final class ReconnectingQueue implements RemoteQueue {

    private static final byte[] NO_ITEMS = io.rmiq.api.internal.ItemFrames.encode(java.util.List.of());
    private static final byte[] NO_LEASES = io.rmiq.api.internal.LeasedFrames.encode(new io.rmiq.api.LeasedItem[0]);
    private final String name;
    private final CurrentStub<RemoteQueue> current;

    ReconnectingQueue(QueueClient client, String name) {
        this.name = name;
        this.current = new CurrentStub<>(client, m -> m.queue(name), "queue '" + name + "'");
    }

    private <T> T via(CurrentStub.Call<RemoteQueue, T> call) throws RemoteException {
        return current.via(call);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int offer(byte[] items, long timeoutMillis, long producer, long sequence) throws RemoteException {
        return via(q -> q.offer(items, timeoutMillis, producer, sequence));
    }

    @Override
    public byte[] poll(int max, long timeoutMillis, long session) throws RemoteException {
        return current.waiting(timeoutMillis, session, NO_ITEMS, q -> q.poll(max, timeoutMillis, session));
    }

    @Override
    public void giveBack(byte[] items) throws RemoteException {
        via(q -> {
            q.giveBack(items);
            return null;
        });
    }

    @Override
    public byte[] receive(int max, long timeoutMillis, long session) throws RemoteException {
        return current.waiting(timeoutMillis, session, NO_LEASES, q -> q.receive(max, timeoutMillis, session));
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
    public void release(long id, int attempt, String reason, long delayMillis, long session) throws RemoteException {
        via(q -> {
            q.release(id, attempt, reason, delayMillis, session);
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
