package io.rmiq.client.worker;

import io.rmiq.api.Delivery;
import io.rmiq.api.task.Envelope;
import java.time.Instant;

/**
 * The task the current thread is running, for code deep inside a handler that was not handed it:
 * the JVM's counterpart of a {@code threading.local()} the worker fills in before each task.
 *
 * <pre>{@code
 * TaskContext task = TaskContext.current();
 * log.info("task {} attempt {}", task.taskId(), task.attempt());
 * task.extendLease();  // not needed for liveness (the worker extends leases), but renews at once
 * }</pre>
 */
public final class TaskContext {

    private static final ThreadLocal<TaskContext> CURRENT = new ThreadLocal<>();

    private final Delivery<?> delivery;
    private final String queue;
    private final Worker<?, ?> worker;

    TaskContext(Delivery<?> delivery, String queue, Worker<?, ?> worker) {
        this.delivery = delivery;
        this.queue = queue;
        this.worker = worker;
    }

    /**
     * The task this thread is running.
     *
     * @throws IllegalStateException outside a task run by a {@link Worker}
     */
    public static TaskContext current() {
        TaskContext c = CURRENT.get();
        if (c == null) {
            throw new IllegalStateException("no task is running on thread " + Thread.currentThread().getName());
        }
        return c;
    }

    /** Whether this thread is running a task now. */
    public static boolean active() {
        return CURRENT.get() != null;
    }

    static void enter(TaskContext c) {
        CURRENT.set(c);
    }

    static void exit() {
        CURRENT.remove();
    }

    /** The server's id of this delivery's task. */
    public long deliveryId() {
        return delivery.id();
    }

    /**
     * The submitter's id for an executor call or a command task; for other payloads the server's id
     * as a string.
     */
    public String taskId() {
        return delivery.payload() instanceof Envelope e ? e.id() : Long.toString(delivery.id());
    }

    /** 1 on the first delivery, more when the task came back after a failure or a dead worker. */
    public int attempt() {
        return delivery.attempt();
    }

    /** The queue the task came from. */
    public String queue() {
        return queue;
    }

    /** When the lease ends unless extended (the worker renews it in the background while tasks run). */
    public Instant leaseDeadline() {
        return delivery.leaseDeadline();
    }

    /**
     * Renews the lease now.
     *
     * @return false if it had already ended: the task may be running elsewhere too
     */
    public boolean extendLease() {
        return delivery.extend();
    }

    /** Whether the worker has been asked to stop: a long task may save its state and finish early. */
    public boolean stopping() {
        return worker.isStopping();
    }
}
