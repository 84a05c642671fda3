package io.rmiq.client.executor;

import io.rmiq.api.Delivery;
import io.rmiq.api.DistributedQueue;
import io.rmiq.api.RmiqException;
import io.rmiq.api.ServerUnavailableException;
import io.rmiq.api.task.Envelope;
import io.rmiq.client.QueueClient;
import io.rmiq.client.internal.Backoff;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the results this client waits for out of a results queue that others may share, by task id.
 *
 * <p>Results it does not wait for belong to someone else: it puts each back on the queue (at the
 * tail) before acking its own delivery of it, so nothing is lost even if it dies in between (a
 * duplicate at worst), and their attempt count is not spent as a nack would spend it. A queue of its
 * own ({@code --queue NAME} on the server) spares that round trip. It receives only while it waits
 * for something, so an idle collector leaves the queue alone.
 *
 * @param <R> the result type
 */
public final class ResultCollector<R extends Envelope> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ResultCollector.class);

    private final DistributedQueue<Object> queue;
    private final Class<R> type;
    private final Map<String, CompletableFuture<R>> waiting = new ConcurrentHashMap<>();
    /**
     * Ids whose results nobody wants any more (cancelled, or already completed: a task redelivered
     * after its worker died is answered twice), dropped when they come. Bounded: a duplicate later
     * than 100,000 results goes round the queue as someone else's.
     */
    private final Set<String> dropped = Collections.synchronizedSet(Collections.newSetFromMap(
            new LinkedHashMap<String, Boolean>() {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > 100_000;
                }
            }));
    private final Thread thread;
    private final Object wake = new Object();
    private volatile boolean closed;

    public ResultCollector(QueueClient client, String queue, Class<R> type) {
        this.queue = client.queue(queue);
        this.type = type;
        this.thread = new Thread(this::loop, "rmiq-results " + queue);
        thread.setDaemon(true);
        thread.start();
    }

    /** The queue it reads. */
    public String queue() {
        return queue.name();
    }

    /** A future for the result with this id; call before the task is put, so none is missed. */
    public CompletableFuture<R> expect(String id) {
        CompletableFuture<R> f = new CompletableFuture<>();
        if (waiting.putIfAbsent(id, f) != null) {
            throw new IllegalStateException("already waiting for " + id);
        }
        synchronized (wake) {
            wake.notifyAll();
        }
        return f;
    }

    /** Stops waiting for {@code id}: its result is dropped when it arrives. */
    public void forget(String id) {
        if (waiting.remove(id) != null) {
            dropped.add(id);
        }
    }

    /** How many results it still waits for. */
    public int waitingFor() {
        return waiting.size();
    }

    /** Stops collecting; every result still awaited is cancelled. */
    @Override
    public void close() {
        closed = true;
        synchronized (wake) {
            wake.notifyAll();
        }
        if (Thread.currentThread() != thread) {
            // Let a receive in flight finish and its batch be sorted: results cut off mid-call would
            // stay leased to this client until its session ends, and come back with an attempt spent.
            try {
                thread.join(2_000);
                if (thread.isAlive()) {
                    thread.interrupt();
                    thread.join(3_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (String id : List.copyOf(waiting.keySet())) {
            CompletableFuture<R> f = waiting.remove(id);
            if (f != null) {
                f.cancel(false);
            }
        }
    }

    private void loop() {
        Backoff backoff = new Backoff(log, "collecting results from '" + queue.name() + "'");
        try {
            while (!closed) {
                if (waiting.isEmpty()) {
                    synchronized (wake) {
                        if (waiting.isEmpty()) {
                            wake.wait(200);
                        }
                    }
                    continue;
                }
                List<Delivery<Object>> got;
                try {
                    got = queue.receive(256, Duration.ofMillis(500));
                    backoff.succeeded();
                } catch (ServerUnavailableException e) {
                    backoff.failed(e);
                    continue;
                } catch (RmiqException e) {
                    log.warn("collecting results from '{}': {}", queue.name(), e.getMessage());
                    TimeUnit.SECONDS.sleep(1);
                    continue;
                }
                if (!got.isEmpty() && !sort(got)) {
                    // Only others' results: give their owners a moment to take them before looking again.
                    TimeUnit.MILLISECONDS.sleep(250);
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** Completes what is ours, puts back the rest; returns whether any was ours. */
    private boolean sort(List<Delivery<Object>> got) throws InterruptedException {
        List<R> mine = new ArrayList<>();
        List<Object> others = new ArrayList<>();
        for (Delivery<Object> d : got) {
            Object p = d.payload();
            String id = p instanceof Envelope e ? e.id() : null;
            if (id != null && type.isInstance(p) && waiting.containsKey(id)) {
                mine.add(type.cast(p));
            } else if (id == null || !dropped.contains(id)) {
                others.add(p);
            }
        }
        try {
            if (!others.isEmpty()) {
                queue.putAll(others);
            }
            queue.ack(got);
        } catch (RmiqException e) {
            // Unacked, they come back when the leases end: ours are then completed a second time, harmlessly.
            log.debug("could not settle {} results: {}", got.size(), e.getMessage());
        }
        for (R r : mine) {
            CompletableFuture<R> f = waiting.remove(r.id());
            dropped.add(r.id());
            if (f != null) {
                f.complete(r);
            }
        }
        return !mine.isEmpty();
    }
}
