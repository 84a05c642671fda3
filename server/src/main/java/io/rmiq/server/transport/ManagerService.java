package io.rmiq.server.transport;

import io.rmiq.api.NoSuchQueueException;
import io.rmiq.api.QueueStats;
import io.rmiq.api.RemoteLocks;
import io.rmiq.api.RemoteQueue;
import io.rmiq.api.RemoteQueueManager;
import io.rmiq.api.SessionInfo;
import io.rmiq.server.lock.Locks;
import io.rmiq.server.store.QueueStore;
import io.rmiq.server.queue.Sessions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The registry's entry point: hands out the exported queues by name, and keeps sessions. */
public final class ManagerService implements RemoteQueueManager {

    private static final Logger log = LoggerFactory.getLogger(ManagerService.class);

    /** What the manager needs of the server: its queues, and a way to move dead letters back. */
    public interface Requeuer {
        int requeueDead(QueueStore queue, int max);
    }

    private final Map<String, QueueStore> queues;
    private final Map<String, RemoteQueue> stubs;
    private final Sessions sessions;
    private final LongSupplier clock;
    private final Requeuer requeuer;
    private final RemoteLocks locks;
    private final Locks lockState;
    private volatile String advertisedAddress = "";

    /**
     * @param queues the queues, sorted by name, dead-letter queues included
     * @param stubs  their exported stubs, by name
     * @param locks  the exported lock service
     * @param lockState the locks themselves, whose waits {@link #cancelWaits} ends
     */
    public ManagerService(Map<String, QueueStore> queues, Map<String, RemoteQueue> stubs, Sessions sessions,
            LongSupplier clock, Requeuer requeuer, RemoteLocks locks, Locks lockState) {
        this.lockState = lockState;
        this.queues = queues;
        this.stubs = stubs;
        this.sessions = sessions;
        this.clock = clock;
        this.requeuer = requeuer;
        this.locks = locks;
    }

    @Override
    public RemoteQueue queue(String name) {
        RemoteQueue stub = stubs.get(name);
        if (stub == null) {
            throw new NoSuchQueueException(name, new ArrayList<>(queues.keySet()));
        }
        return stub;
    }

    @Override
    public RemoteLocks locks() {
        return locks;
    }

    /** Set once the port is known. */
    public void advertisedAddress(String address) {
        this.advertisedAddress = address;
    }

    @Override
    public String advertisedAddress() {
        return advertisedAddress;
    }

    @Override
    public List<SessionInfo> sessions() {
        Map<Long, Map<String, Integer>> held = new java.util.HashMap<>();
        for (QueueStore q : queues.values()) {
            q.leasesBySession().forEach((session, n) -> held.computeIfAbsent(session, k -> new java.util.LinkedHashMap<>())
                    .put(q.name(), n));
        }
        List<SessionInfo> out = new ArrayList<>();
        for (Sessions.Session s : sessions.all()) {
            if (!s.local()) {
                out.add(new SessionInfo(s.id(), s.description(), s.openedAt(), s.lastSeen(),
                        held.getOrDefault(s.id(), Map.of())));
            }
        }
        out.sort(java.util.Comparator.comparingLong(SessionInfo::openedAt));
        return out;
    }

    @Override
    public int purge(String queue) {
        QueueStore q = queues.get(queue);
        if (q == null) {
            throw new NoSuchQueueException(queue, new ArrayList<>(queues.keySet()));
        }
        try {
            int n = q.purge();
            log.info("purged {} waiting item{} from '{}'", n, n == 1 ? "" : "s", queue);
            return n;
        } catch (java.io.IOException e) {
            throw new io.rmiq.api.RmiqException("rmiq server could not write its journal: " + e.getMessage());
        }
    }

    @Override
    public long heapUsedBytes(boolean collectFirst) {
        Runtime rt = Runtime.getRuntime();
        if (collectFirst) {
            // Twice: the first pass may only queue finalizable and weakly reachable garbage.
            System.gc();
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    @Override
    public List<QueueStats> stats() {
        List<QueueStats> out = new ArrayList<>();
        for (QueueStore q : queues.values()) {
            out.add(q.stats());
        }
        return out;
    }

    @Override
    public long openSession(String description) {
        // Shown in logs, `client.jar workers` and the status page: escaped once, here.
        String who = description == null ? "?" : io.rmiq.server.PeerText.escape(description);
        long id = sessions.open(who, clock.getAsLong());
        log.debug("session {} opened: {}", Long.toHexString(id), who);
        return id;
    }

    @Override
    public long sessionTimeoutMillis() {
        return sessions.timeoutMillis();
    }

    @Override
    public boolean heartbeat(long session) {
        return sessions.heartbeat(session, clock.getAsLong());
    }

    @Override
    public void closeSession(long session) {
        // The reaper returns the leases of closed sessions on its next round; the waits end now.
        Sessions.Session s = sessions.close(session);
        if (s != null) {
            wakeWaiters();
            log.debug("session {} closed: {}", Long.toHexString(session), s.description());
        }
    }

    @Override
    public void cancelWaits(long session) {
        if (sessions.cancelWaits(session)) {
            wakeWaiters();
        }
    }

    /** Wakes every queue and lock wait, so that the cancelled ones end; the others wait on. */
    private void wakeWaiters() {
        for (QueueStore q : queues.values()) {
            q.wakeWaiters();
        }
        lockState.wakeWaiters();
    }

    @Override
    public int requeueDead(String queue, int max) {
        QueueStore q = queues.get(queue);
        if (q == null || q.deadLetters() == null) {
            List<String> names = queues.values().stream().filter(l -> l.deadLetters() != null)
                    .map(QueueStore::name).toList();
            throw new NoSuchQueueException(queue, names);
        }
        return requeuer.requeueDead(q, max);
    }
}
