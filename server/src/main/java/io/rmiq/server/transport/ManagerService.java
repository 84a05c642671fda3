package io.rmiq.server.transport;

import io.rmiq.api.NoSuchQueueException;
import io.rmiq.api.QueueStats;
import io.rmiq.api.RemoteQueue;
import io.rmiq.api.RemoteQueueManager;
import io.rmiq.server.queue.LocalQueue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The registry's entry point: hands out the exported queues by name. */
public final class ManagerService implements RemoteQueueManager {

    private final Map<String, LocalQueue> queues;
    private final Map<String, RemoteQueue> stubs;

    /**
     * @param queues the queues, sorted by name
     * @param stubs  their exported stubs, by name
     */
    public ManagerService(Map<String, LocalQueue> queues, Map<String, RemoteQueue> stubs) {
        this.queues = queues;
        this.stubs = stubs;
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
    public List<QueueStats> stats() {
        List<QueueStats> out = new ArrayList<>();
        for (LocalQueue q : queues.values()) {
            out.add(q.stats());
        }
        return out;
    }
}
