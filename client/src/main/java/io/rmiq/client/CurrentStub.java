package io.rmiq.client;

import io.rmiq.api.RemoteQueueManager;
import java.rmi.Remote;
import java.rmi.RemoteException;

/**
 * A remote object of the server the client currently knows: when a server restarts, its old stubs
 * point at objects that are gone, so after the client has lost the server the next call looks the
 * object up again through the new manager. One lookup is kept per manager.
 */
final class CurrentStub<R extends Remote> {

    /** How to find the object through a manager. */
    interface Lookup<R> {
        R in(RemoteQueueManager manager) throws RemoteException;
    }

    /** One call on the object. */
    interface Call<R, T> {
        T on(R stub) throws RemoteException;
    }

    private final QueueClient client;
    private final Lookup<R> lookup;
    private final String what;
    private RemoteQueueManager manager; // the manager the stub came from
    private R stub;

    /** @param what names the object in errors, e.g. "queue 'tasks'" */
    CurrentStub(QueueClient client, Lookup<R> lookup, String what) {
        this.client = client;
        this.lookup = lookup;
        this.what = what;
    }

    private R stub() throws RemoteException {
        RemoteQueueManager m;
        try {
            m = client.manager();
        } catch (RemoteException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new RemoteException("looking up " + what + " failed", e);
        }
        synchronized (this) {
            if (manager == m) {
                return stub;
            }
        }
        R found = lookup.in(m);
        synchronized (this) {
            manager = m;
            stub = found;
        }
        return found;
    }

    /**
     * Calls the current stub, riding through an outage (see {@link QueueClient#ride}): a failure to
     * reach the server makes the next try look the object up again.
     */
    <T> T via(Call<R, T> call) {
        return client.ride(() -> call.on(stub()), 0, null);
    }

    /**
     * As {@link #via(Call)}, for a call that waits up to {@code timeoutMillis} on the server: if the
     * outage outlasts that wait, the call returns {@code nothing}, as an ordinary wait would. The wait
     * runs under {@code session} (0: none), which an interrupt of the caller cancels.
     */
    <T> T waiting(long timeoutMillis, long session, T nothing, Call<R, T> call) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMillis));
        // A call that does not wait has nothing for an interrupt to end.
        return client.interruptibly(timeoutMillis <= 0 ? 0 : session,
                () -> client.ride(() -> call.on(stub()), deadline == 0 ? 1 : deadline, nothing));
    }
}
