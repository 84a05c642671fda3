package io.rmiq.client.worker;

import io.rmiq.client.internal.Backoff;
import io.rmiq.api.Delivery;
import io.rmiq.api.DistributedQueue;
import io.rmiq.api.NoSuchQueueException;
import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.RmiqException;
import io.rmiq.api.ServerUnavailableException;
import io.rmiq.client.QueueClient;
import io.rmiq.api.internal.RateLimitedLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker runtime: takes tasks from one queue under leases, runs a handler on each, puts the
 * results on another queue and only then acks the tasks. Nothing is lost to a worker that dies: its
 * unacked tasks come back to the queue.
 *
 * <pre>{@code
 * Worker<Integer, Long> worker = Worker.<Integer, Long>builder(client)
 *         .from("tasks").to("results").handler(n -> (long) n * n).build();
 * worker.run();  // until stop(), or idle for idleExit
 * }</pre>
 *
 * <p>Underneath: one thread prefetches batches of tasks, {@code threads} threads run the handler,
 * one thread puts results and acks in batches, and the leases of everything held are extended while
 * tasks run, however long they take. A handler that throws gives its task back with the exception as
 * the reason, to be tried again after {@link Builder#retryDelay} (growing per attempt), and logs a
 * WARN line (at most one per 10 s); after the queue's maximum attempts it lands in {@code NAME.dead}. While a handler runs,
 * {@link TaskContext#current()} on its thread describes the task.
 *
 * @param <T> the task type
 * @param <R> the result type
 */
public final class Worker<T, R> {

    private static final Logger log = LoggerFactory.getLogger(Worker.class);

    private final QueueClient client;
    private final DistributedQueue<T> tasks;
    private final DistributedQueue<Object> results;
    /** Queues named by {@link Reply} results, looked up once each. */
    private final Map<String, DistributedQueue<Object>> replyQueues = new ConcurrentHashMap<>();
    private final Function<? super T, ? extends R> handler;
    private final int threads;
    private final int prefetch;
    private final Duration idleExit;
    private final Duration retryDelay;
    private final RateLimitedLog failures = new RateLimitedLog(Duration.ofSeconds(10));
    static final Duration LONGEST_RETRY_DELAY = Duration.ofMinutes(5);

    private final BlockingQueue<Delivery<T>> ready;
    private final BlockingQueue<Done<T, R>> done = new LinkedBlockingQueue<>();
    private final Set<Delivery<T>> held = ConcurrentHashMap.newKeySet();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    /** One permit per task the worker may hold: the window. Resized as the window moves. */
    private final Slots slots;
    private final int maxPrefetch;
    private int window;

    private static final class Slots extends Semaphore {
        private static final long serialVersionUID = 1L;

        Slots(int permits) {
            super(permits);
        }

        void shrink(int n) {
            reducePermits(n);
        }
    }
    private volatile boolean stopping;
    private volatile boolean handlersDone;
    private volatile boolean fetchDone;
    private volatile long lastTaskNanos = System.nanoTime();
    private final CountDownLatch stopped = new CountDownLatch(1);

    private record Done<T, R>(Delivery<T> delivery, R result, Throwable error) {
    }

    private Worker(Builder<T, R> b) {
        this.client = b.client;
        this.tasks = b.client.queue(b.from);
        this.results = b.to == null ? null : b.client.queue(b.to);
        this.handler = b.handler;
        this.threads = b.threads;
        this.prefetch = b.prefetch;
        this.idleExit = b.idleExit;
        this.retryDelay = b.retryDelay;
        this.ready = new LinkedBlockingQueue<>();
        this.maxPrefetch = Math.max(prefetch, b.maxPrefetch);
        this.window = prefetch;
        this.slots = new Slots(prefetch);
    }

    /** Settings for a worker on {@code client}'s queues. */
    public static <T, R> Builder<T, R> builder(QueueClient client) {
        return new Builder<>(client);
    }

    /** Tasks finished and acked so far. */
    public long completed() {
        return completed.get();
    }

    /** Handler failures so far (each gave its task back). */
    public long failed() {
        return failed.get();
    }

    /** Asks the worker to finish what it holds and return from {@link #run()}. */
    public void stop() {
        stopping = true;
    }

    /** Whether {@link #stop()} was called or the worker is on its way out. */
    public boolean isStopping() {
        return stopping;
    }

    /** Waits up to {@code timeout} for {@link #run()} to return after {@link #stop()}. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Works until {@link #stop()}, an interrupt, or {@code idleExit} without a task. Tasks held when it
     * stops are finished first; those it could not finish are given back.
     *
     * @throws RmiqException if the server fails in a way retrying cannot mend (wrong key, no queue)
     */
    public void run() throws InterruptedException {
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            workers.add(start("rmiq-worker-" + i, this::handleLoop));
        }
        Thread committer = start("rmiq-worker-commit", this::commitLoop);
        Thread extender = start("rmiq-worker-extend", this::extendLoop);
        try {
            fetchLoop();
        } finally {
            stopping = true;
            fetchDone = true;
            boolean interrupted = false;
            try {
                for (Thread t : workers) {
                    interrupted |= joinUninterruptibly(t, Long.MAX_VALUE);
                }
                handlersDone = true;
                // A commit stuck on a full results queue is given a grace period, then cut off; what it
                // could not store is given back below.
                interrupted |= joinUninterruptibly(committer, 10_000);
                if (committer.isAlive()) {
                    committer.interrupt();
                    interrupted |= joinUninterruptibly(committer, Long.MAX_VALUE);
                }
            } finally {
                extender.interrupt();
                joinUninterruptibly(extender, 5_000);
                giveBack(new ArrayList<>(held), "worker stopped before handling it", Duration.ZERO);
                stopped.countDown();
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Joins, carrying on through interrupts; returns whether one arrived. */
    private static boolean joinUninterruptibly(Thread t, long millis) {
        boolean interrupted = false;
        long deadline = System.currentTimeMillis() + Math.min(millis, Long.MAX_VALUE / 2);
        while (t.isAlive()) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                break;
            }
            try {
                t.join(left);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        return interrupted;
    }

    private static Thread start(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void fetchLoop() throws InterruptedException {
        Backoff fetching = new Backoff(log, "worker on '" + tasks.name() + "'");
        while (!stopping) {
            if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                continue; // every slot is busy until a task finishes
            }
            int room = 1 + Math.max(0, slots.drainPermits());
            List<Delivery<T>> got;
            try {
                got = tasks.receive(room, Duration.ofMillis(500));
                fetching.succeeded();
            } catch (ServerUnavailableException e) {
                slots.release(room);
                fetching.failed(e);
                if (idle()) {
                    return; // a server gone for good must not keep an idle worker alive
                }
                continue;
            } catch (RuntimeException e) {
                slots.release(room);
                throw e;
            }
            slots.release(room - got.size());
            adjustWindow(got.size(), room);
            if (got.isEmpty()) {
                if (idle()) {
                    return;
                }
                continue;
            }
            lastTaskNanos = System.nanoTime();
            held.addAll(got);
            ready.addAll(got);
        }
    }

    private boolean idle() {
        return idleExit != null && held.isEmpty() && System.nanoTime() - lastTaskNanos > idleExit.toNanos();
    }

    private long rateAt = System.nanoTime();
    private long rateCompleted;
    private int workCap;

    /**
     * A full batch means a deep queue: fetch more at a time. A thin one means little work waits: fetch
     * less. Either way hold no more than about half a second of work, so that a worker with fast tasks
     * fetches in large batches while slow tasks stay spread over all workers.
     */
    private void adjustWindow(int got, int asked) {
        long now = System.nanoTime();
        if (now - rateAt > 1_000_000_000L) {
            long done = completed.get() + failed.get();
            double perSecond = (done - rateCompleted) / ((now - rateAt) / 1e9);
            workCap = (int) Math.min(maxPrefetch, Math.max(prefetch, perSecond / 2));
            rateAt = now;
            rateCompleted = done;
        }
        int cap = Math.max(prefetch, workCap);
        int next = window;
        if (got == asked && got > 0) {
            next = Math.min(cap, window * 2);
        } else if (got < asked / 2) {
            next = Math.max(prefetch, window / 2);
        }
        next = Math.min(next, cap);
        if (next > window) {
            slots.release(next - window);
        } else if (next < window) {
            slots.shrink(window - next); // may go below zero: fetching waits until enough tasks finish
        }
        window = next;
    }

    private void handleLoop() {
        while (true) {
            Delivery<T> d;
            try {
                d = ready.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                continue; // only a handler that left its flag set gets here: the worker decides when to stop
            }
            if (d == null) {
                if (fetchDone && ready.isEmpty()) {
                    return;
                }
                continue;
            }
            TaskContext.enter(new TaskContext(d, tasks.name(), this));
            try {
                done.add(new Done<>(d, handler.apply(d.payload()), null));
            } catch (Throwable e) {
                done.add(new Done<>(d, null, e));
            } finally {
                TaskContext.exit();
            }
            Thread.interrupted(); // a handler's interrupt must not end this thread
        }
    }

    /** Puts results, then acks their tasks, in batches: a crash between the two only duplicates. */
    private void commitLoop() {
        List<Done<T, R>> batch = new ArrayList<>();
        try {
            while (true) {
                Done<T, R> first = done.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (handlersDone && done.isEmpty()) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                done.drainTo(batch, 999);
                try {
                    commit(batch);
                } catch (InterruptedException e) {
                    throw e;
                } catch (Throwable e) {
                    log.warn("storing a batch of {} results failed: {}; giving the tasks back", batch.size(), e.toString());
                    for (Done<T, R> d : batch) {
                        giveBack(List.of(d.delivery()), "worker failed to store its result: " + e, Duration.ZERO);
                    }
                }
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void commit(List<Done<T, R>> batch) throws InterruptedException {
        // Results grouped by the queue they go to (a Reply names its own), in arrival order.
        Map<String, List<Object>> out = new LinkedHashMap<>();
        Map<String, List<Delivery<T>>> withResult = new LinkedHashMap<>();
        List<Delivery<T>> finished = new ArrayList<>(batch.size());
        for (Done<T, R> d : batch) {
            Object result = d.result();
            String to = results == null ? null : results.name();
            if (result instanceof Reply r) {
                to = r.queue();
                result = r.payload();
            }
            if (d.error() != null) {
                failed.incrementAndGet();
                Duration delay = retryDelay(d.delivery().attempt());
                failures.log("handler failures", suffix -> log.warn("task {} of queue '{}' failed on attempt {}; it goes back"
                        + " to the queue{}, or to '{}.dead' if that was its last attempt{}", d.delivery().id(), tasks.name(),
                        d.delivery().attempt(), delay.isZero() ? "" : " for " + seconds(delay), tasks.name(), suffix, d.error()));
                giveBack(List.of(d.delivery()), reason(d.error()), delay);
            } else if (to == null || result == null) {
                finished.add(d.delivery()); // nothing to store: a handler run for its side effects
            } else {
                out.computeIfAbsent(to, k -> new ArrayList<>()).add(result);
                withResult.computeIfAbsent(to, k -> new ArrayList<>()).add(d.delivery());
            }
        }
        try {
            for (Map.Entry<String, List<Object>> e : out.entrySet()) {
                List<Delivery<T>> mine = withResult.get(e.getKey());
                DistributedQueue<Object> queue;
                try {
                    queue = queue(e.getKey());
                } catch (NoSuchQueueException missing) {
                    failed.addAndGet(mine.size());
                    log.warn("{} result{} cannot be stored: {}", mine.size(), mine.size() == 1 ? "" : "s",
                            missing.getMessage());
                    giveBack(mine, "its result cannot be stored: " + missing.getMessage(), Duration.ZERO);
                    continue;
                }
                store(queue, e.getValue(), mine, finished);
            }
            if (!finished.isEmpty()) {
                int acked = tasks.ack(finished);
                completed.addAndGet(acked);
                if (acked < finished.size()) {
                    int lost = finished.size() - acked;
                    log.warn("lease lost for {} finished task{} (the server restarted, or the lease ran out); {} will be"
                            + " delivered again, and {} result{} may be stored twice", lost, lost == 1 ? "" : "s",
                            lost == 1 ? "it" : "they", lost == 1 ? "its" : "their", lost == 1 ? "" : "s");
                }
            }
        } catch (RmiqException e) {
            // Not acked: the leases run out and the tasks come back; results already put are duplicates.
            log.debug("could not store results of {} task{}: {}", finished.size(), finished.size() == 1 ? "" : "s",
                    e.getMessage());
        } finally {
            finished.forEach(this::release);
            withResult.values().forEach(l -> l.forEach(this::release));
        }
    }

    private DistributedQueue<Object> queue(String name) {
        if (results != null && results.name().equals(name)) {
            return results;
        }
        DistributedQueue<Object> q = replyQueues.get(name);
        if (q == null) {
            q = client.queue(name);
            replyQueues.put(name, q);
        }
        return q;
    }

    private void store(DistributedQueue<Object> queue, List<Object> out, List<Delivery<T>> withResult,
            List<Delivery<T>> finished) throws InterruptedException {
        try {
            queue.putAll(out);
            finished.addAll(withResult);
        } catch (PayloadRejectedException e) {
            // One bad result must not take the batch down: store them one by one.
            for (int i = 0; i < out.size(); i++) {
                try {
                    queue.put(out.get(i));
                    finished.add(withResult.get(i));
                } catch (PayloadRejectedException one) {
                    failed.incrementAndGet();
                    log.warn("result of task {} cannot be stored: {}", withResult.get(i).id(), one.getMessage());
                    giveBack(List.of(withResult.get(i)), "its result cannot be stored: " + one.getMessage(), Duration.ZERO);
                }
            }
        }
    }

    private void release(Delivery<T> d) {
        if (held.remove(d)) {
            slots.release();
        }
    }

    /** Keeps every held lease alive while its task waits or runs. */
    private void extendLoop() {
        try {
            while (true) {
                Thread.sleep(1_000);
                List<Delivery<T>> now = new ArrayList<>(held);
                if (now.isEmpty()) {
                    continue;
                }
                long soonest = Long.MAX_VALUE;
                for (Delivery<T> d : now) {
                    soonest = Math.min(soonest, d.leaseDeadline().toEpochMilli());
                }
                // Renew when a third of the shortest remaining lease is gone, well before it ends.
                if (soonest - System.currentTimeMillis() < 2 * leaseMillisEstimate(now) / 3) {
                    try {
                        tasks.extend(now);
                    } catch (RmiqException e) {
                        log.debug("could not extend leases: {}", e.getMessage());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private volatile long leaseMillis;

    private long leaseMillisEstimate(List<Delivery<T>> now) {
        if (leaseMillis == 0) {
            long longest = 0;
            for (Delivery<T> d : now) {
                longest = Math.max(longest, d.leaseDeadline().toEpochMilli() - System.currentTimeMillis());
            }
            leaseMillis = Math.max(1_500, longest);
        }
        return leaseMillis;
    }

    private void giveBack(List<Delivery<T>> deliveries, String reason, Duration delay) {
        for (Delivery<T> d : deliveries) {
            try {
                d.nack(reason, delay);
            } catch (RmiqException e) {
                log.debug("could not give back task {}: {}", d.id(), e.getMessage());
            }
            release(d);
        }
    }

    /** The pause before the next try of a task that failed on {@code attempt}: doubling, capped. */
    private Duration retryDelay(int attempt) {
        if (retryDelay.isZero()) {
            return Duration.ZERO;
        }
        Duration d = retryDelay;
        for (int i = 1; i < attempt && d.compareTo(LONGEST_RETRY_DELAY) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(LONGEST_RETRY_DELAY) < 0 ? d : LONGEST_RETRY_DELAY;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1_000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static String reason(Throwable e) {
        String s = e.toString();
        return s.length() > 1_000 ? s.substring(0, 1_000) + "…" : s;
    }

    /** Collects a worker's settings. Not thread-safe. */
    public static final class Builder<T, R> {
        private final QueueClient client;
        private String from = "tasks";
        private String to;
        private Function<? super T, ? extends R> handler;
        private int threads = Runtime.getRuntime().availableProcessors();
        private Duration retryDelay = Duration.ofSeconds(1);
        private int prefetch = -1;
        private int maxPrefetch = 1_024;
        private Duration idleExit;

        private Builder(QueueClient client) {
            this.client = Objects.requireNonNull(client, "client");
        }

        /** The queue to take tasks from. Default {@code tasks}. */
        public Builder<T, R> from(String queue) {
            this.from = queue;
            return this;
        }

        /** The queue to put results on; none if not set (the handler's result is dropped). */
        public Builder<T, R> to(String queue) {
            this.to = queue;
            return this;
        }

        /**
         * What to do with each task. Required. A handler that returns a {@link Reply} sends that
         * result to the queue the reply names instead of the {@link #to} queue.
         */
        public Builder<T, R> handler(Function<? super T, ? extends R> handler) {
            this.handler = handler;
            return this;
        }

        /** Handler threads. Default: the number of cores. */
        public Builder<T, R> threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1");
            }
            this.threads = threads;
            return this;
        }

        /**
         * Tasks held at once (running or waiting to run) to begin with. Default: 16 per thread, few
         * enough that workers side by side share a small job. While the queue stays deep the worker
         * doubles it, up to {@link #maxPrefetch}, so that one round trip carries many tasks.
         */
        public Builder<T, R> prefetch(int prefetch) {
            if (prefetch < 1) {
                throw new IllegalArgumentException("prefetch must be at least 1");
            }
            this.prefetch = prefetch;
            return this;
        }

        /** The most tasks held at once when the queue stays deep. Default 1,024. */
        public Builder<T, R> maxPrefetch(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("max prefetch must be at least 1");
            }
            this.maxPrefetch = max;
            return this;
        }

        /**
         * How long a task whose handler threw waits before it is tried again: this after its first
         * attempt, twice as long after each further one, at most 5 minutes; so a passing fault does not
         * burn every attempt in a moment. Default 1 second; zero tries it again at once.
         */
        public Builder<T, R> retryDelay(Duration delay) {
            if (delay == null || delay.isNegative()) {
                throw new IllegalArgumentException("retry delay must be zero or more");
            }
            this.retryDelay = delay;
            return this;
        }

        /** Return from {@link Worker#run()} after this long without a task. Default: never. */
        public Builder<T, R> idleExit(Duration idle) {
            this.idleExit = idle;
            return this;
        }

        public Worker<T, R> build() {
            if (handler == null) {
                throw new IllegalStateException("a handler is required");
            }
            if (prefetch < 0) {
                prefetch = 16 * threads;
            }
            return new Worker<>(this);
        }
    }
}
