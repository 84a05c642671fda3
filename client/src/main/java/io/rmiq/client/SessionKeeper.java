package io.rmiq.client;

import io.rmiq.api.internal.SessionSource;
import java.rmi.RemoteException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's session on the server, opened at the first leased receive and kept alive by a
 * heartbeat thread. If this JVM dies or loses the network, the heartbeats stop and the server
 * returns its leased tasks within the session timeout.
 */
final class SessionKeeper implements SessionSource, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SessionKeeper.class);

    private final QueueClient client;
    private ScheduledExecutorService beat;
    private ScheduledFuture<?> beating;
    private long id;
    private boolean failing;
    private boolean closed;

    SessionKeeper(QueueClient client) {
        this.client = client;
    }

    @Override
    public synchronized long id() throws RemoteException {
        return open(true);
    }

    @Override
    public synchronized long forWaits() {
        if (id != 0 || closed) {
            return id;
        }
        try {
            return open(false);
        } catch (RuntimeException e) {
            return 0; // the wait itself rides through the outage, with its own deadline
        }
    }

    /** The session, opened first if needed; {@code ride} through an outage, or try once. */
    private long open(boolean ride) {
        if (closed) {
            throw new IllegalStateException("this QueueClient for " + client.address() + " is closed");
        }
        if (id == 0) {
            // The timeout first: a session opened without its heartbeat would expire with our leases.
            long timeout = beat == null ? call(ride, () -> client.manager().sessionTimeoutMillis()) : 0;
            id = call(ride, () -> client.manager().openSession(QueueClient.describeThisProcess()));
            if (beat == null) {
                long every = Math.max(100, timeout / 4);
                beat = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "rmiq-heartbeat");
                    t.setDaemon(true);
                    return t;
                });
                beating = beat.scheduleWithFixedDelay(this::heartbeat, every, every, TimeUnit.MILLISECONDS);
            }
        }
        return id;
    }

    private <T> T call(boolean ride, java.util.concurrent.Callable<T> c) {
        return ride ? client.call(c) : client.callOnce(c);
    }

    @Override
    public synchronized void expired(long stale) {
        if (id == stale) {
            id = 0;
        }
    }

    private void heartbeat() {
        long current;
        synchronized (this) {
            current = id;
        }
        if (current == 0) {
            return;
        }
        try {
            boolean known = client.callOnce(() -> client.manager().heartbeat(current));
            if (!known) {
                log.info("rmiq server at {} ended this client's session (it restarted, or did not hear from us in "
                        + "time); its leases were returned, and the next receive opens a new session", client.address());
                expired(current);
            }
            if (failing) {
                failing = false;
                log.info("rmiq server at {} answers heartbeats again", client.address());
            }
        } catch (Throwable e) {
            // Anything escaping would cancel the heartbeat for good, and every later session would expire.
            if (!failing) {
                failing = true;
                log.warn("heartbeat to rmiq server at {} failed: {}; if this lasts, the server returns this "
                        + "client's leased tasks to their queues", client.address(), e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        long current;
        synchronized (this) {
            closed = true;
            current = id;
            id = 0;
            if (beat != null) {
                beating.cancel(false);
                beat.shutdownNow();
            }
        }
        if (current != 0) {
            try {
                client.goodbye(() -> {
                    client.manager().closeSession(current);
                    return null;
                });
            } catch (RuntimeException e) {
                log.debug("closing session failed: {}", e.toString());
            }
        }
    }
}
