package io.rmiq.client.executor;

import io.rmiq.api.DistributedQueue;
import io.rmiq.api.task.CallResult;
import io.rmiq.api.task.CallTask;
import io.rmiq.api.task.MapCall;
import io.rmiq.api.task.RunCall;
import io.rmiq.client.QueueClient;
import io.rmiq.serial.PayloadCodec;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An {@link ExecutorService} whose tasks run on remote workers ({@code client.jar worker}, or any
 * {@code Worker} with a {@code TaskDispatcher}): the networked counterpart of a process pool.
 *
 * <pre>{@code
 * DistributedExecutor pool = DistributedExecutor.builder(client).build();
 * CompletableFuture<Long> f = pool.submit((RemoteCallable<Long>) () -> fib(40));
 * List<Integer> squares = pool.map((RemoteFunction<Integer, Integer>) n -> n * n, List.of(1, 2, 3));
 * pool.shutdown();
 * }</pre>
 *
 * <p>Tasks are serializable callables (or runnables) whose classes are on the workers' class path
 * and on the allow lists of this client, the workers and the server ({@code QueueClient.Builder.allow},
 * {@code --allow}); no code is downloaded. A lambda cast to {@link RemoteCallable} travels as a
 * {@code java.lang.invoke.SerializedLambda} naming the class that wrote it: the server must allow
 * that too (the executor and the workers allow it for their calls). Each travels as a {@link CallTask} on the tasks queue; its result comes back on the
 * results queue tagged with the task's id. A task that throws completes its future exceptionally
 * with a {@link RemoteTaskException} carrying the remote stack trace. Tasks are not retried once a
 * worker ran them; a worker that dies while running one passes it on to another worker.
 *
 * <p>Cancelling a future, and {@link #shutdownNow()}, stop waiting for the result; a task already
 * on the queue still runs. Thread-safe.
 */
public final class DistributedExecutor implements ExecutorService {

    private final DistributedQueue<CallTask> tasks;
    private final ResultCollector<CallResult> results;
    private final PayloadCodec codec;
    private final String idPrefix = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + "-";
    private final AtomicLong nextId = new AtomicLong();
    private final Object lock = new Object();
    private int running;
    private volatile boolean shutdown;

    private DistributedExecutor(Builder b) {
        this.tasks = b.client.queue(b.tasks);
        this.codec = Calls.codec(b.client);
        this.results = new ResultCollector<>(b.client, b.results, CallResult.class);
    }

    /** An executor on {@code client}'s server; the client stays the caller's to close. */
    public static Builder builder(QueueClient client) {
        return new Builder(client);
    }

    @Override
    public <T> CompletableFuture<T> submit(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        if (!(task instanceof Serializable)) {
            throw new IllegalArgumentException(task.getClass().getName()
                    + " is not Serializable: implement RemoteCallable (or cast a lambda to it)");
        }
        byte[] bytes = codec.encode(task); // a class off the allow list fails here, not on the worker
        String id = idPrefix + nextId.incrementAndGet();
        synchronized (lock) {
            if (shutdown) {
                throw new RejectedExecutionException("the executor is shut down");
            }
            running++;
        }
        CompletableFuture<T> future = new CompletableFuture<>();
        future.whenComplete((v, e) -> {
            if (future.isCancelled()) {
                results.forget(id);
            }
            finished();
        });
        results.expect(id).whenComplete((r, e) -> {
            if (e != null) {
                future.completeExceptionally(e);
            } else if (r.failed()) {
                future.completeExceptionally(new RemoteTaskException(r));
            } else {
                try {
                    @SuppressWarnings("unchecked")
                    T value = r.value() == null ? null : (T) codec.decode(r.value());
                    future.complete(value);
                } catch (RuntimeException decode) {
                    future.completeExceptionally(decode);
                }
            }
        });
        try {
            tasks.put(new CallTask(id, bytes, results.queue()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(false);
            throw new RejectedExecutionException("interrupted while queueing the task", e);
        } catch (RuntimeException e) {
            future.cancel(false);
            throw e;
        }
        return future;
    }

    @Override
    public <T> CompletableFuture<T> submit(Runnable task, T result) {
        if (!(task instanceof Serializable)) {
            throw new IllegalArgumentException(task.getClass().getName()
                    + " is not Serializable: implement RemoteRunnable (or cast a lambda to it)");
        }
        return submit(new RunCall<>(task, result));
    }

    @Override
    public CompletableFuture<?> submit(Runnable task) {
        return submit(task, null);
    }

    @Override
    public void execute(Runnable command) {
        submit(command);
    }

    /**
     * {@code f} applied to each item on the workers, in the items' order, as {@code Pool.map} does.
     *
     * @throws ExecutionException for the first item (in order) whose call failed; the others'
     *                            results are not waited for
     */
    public <A, R> List<R> map(RemoteFunction<A, R> f, List<A> items) throws InterruptedException, ExecutionException {
        List<CompletableFuture<R>> futures = new ArrayList<>(items.size());
        for (A item : items) {
            futures.add(submit(new MapCall<>(f, item)));
        }
        List<R> out = new ArrayList<>(items.size());
        try {
            for (CompletableFuture<R> fu : futures) {
                out.add(fu.get());
            }
        } finally {
            futures.forEach(fu -> fu.cancel(false)); // no-op for those done
        }
        return out;
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> calls) throws InterruptedException {
        List<Future<T>> futures = submitAll(calls);
        for (Future<T> f : futures) {
            try {
                f.get();
            } catch (ExecutionException | CancellationException e) {
                // reported by the future itself
            }
        }
        return futures;
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> calls, long timeout, TimeUnit unit)
            throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        List<Future<T>> futures = submitAll(calls);
        for (Future<T> f : futures) {
            try {
                f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException | CancellationException e) {
                // reported by the future itself
            } catch (TimeoutException e) {
                break;
            }
        }
        futures.forEach(f -> f.cancel(false));
        return futures;
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> calls) throws InterruptedException, ExecutionException {
        try {
            return invokeAny(calls, Long.MAX_VALUE / 2, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> calls, long timeout, TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (calls.isEmpty()) {
            throw new IllegalArgumentException("no tasks");
        }
        List<CompletableFuture<T>> futures = new ArrayList<>();
        for (Callable<T> c : calls) {
            futures.add(submit(c));
        }
        CompletableFuture<T> first = new CompletableFuture<>();
        AtomicLong failures = new AtomicLong();
        for (CompletableFuture<T> f : futures) {
            f.whenComplete((v, e) -> {
                if (e == null) {
                    first.complete(v);
                } else if (failures.incrementAndGet() == futures.size()) {
                    first.completeExceptionally(e);
                }
            });
        }
        try {
            return first.get(timeout, unit);
        } finally {
            futures.forEach(f -> f.cancel(false));
        }
    }

    private <T> List<Future<T>> submitAll(Collection<? extends Callable<T>> calls) {
        List<Future<T>> futures = new ArrayList<>(calls.size());
        try {
            for (Callable<T> c : calls) {
                futures.add(submit(c));
            }
        } catch (RuntimeException e) {
            futures.forEach(f -> f.cancel(false));
            throw e;
        }
        return futures;
    }

    /** No new tasks; those submitted still run and complete their futures. */
    @Override
    public void shutdown() {
        synchronized (lock) {
            shutdown = true;
        }
        checkTerminated();
    }

    /**
     * No new tasks, and no more waiting: every pending future is cancelled. Tasks already on the
     * queue cannot be recalled, so the list of those never started is always empty.
     */
    @Override
    public List<Runnable> shutdownNow() {
        shutdown();
        results.close(); // completes every pending future exceptionally
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        synchronized (lock) {
            return shutdown && running == 0;
        }
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (lock) {
            while (!(shutdown && running == 0)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    private void finished() {
        synchronized (lock) {
            running--;
        }
        checkTerminated();
    }

    private void checkTerminated() {
        synchronized (lock) {
            if (!(shutdown && running == 0)) {
                return;
            }
            lock.notifyAll();
        }
        results.close(); // outside the lock: its thread may be completing a future that takes it
    }

    /** Settings for an executor. Not thread-safe. */
    public static final class Builder {
        private final QueueClient client;
        private String tasks = "tasks";
        private String results = "results";

        private Builder(QueueClient client) {
            this.client = Objects.requireNonNull(client, "client");
        }

        /** Where tasks go; workers must take from it. Default {@code tasks}. */
        public Builder tasks(String queue) {
            this.tasks = queue;
            return this;
        }

        /**
         * Where results come back. Default {@code results}, which others may share (their results
         * are put back for them); a queue of the executor's own is faster.
         */
        public Builder results(String queue) {
            this.results = queue;
            return this;
        }

        public DistributedExecutor build() {
            return new DistributedExecutor(this);
        }
    }
}
