package io.rmiq.server.queue;

import io.rmiq.api.QueueStats;
import io.rmiq.api.ServerShutdownException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One bounded FIFO of serialized items: the queue engine. Thread-safe, with one lock per queue, so
 * queues never contend with each other.
 *
 * <p>Batches go in and out under a single lock acquisition. Waits are bounded by the caller's
 * timeout; {@link #close()} wakes every waiter with {@link ServerShutdownException}.
 */
public final class LocalQueue {

    private final String name;
    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final ArrayDeque<byte[]> items = new ArrayDeque<>();
    private boolean closed;

    public LocalQueue(String name, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity of queue '" + name + "' must be at least 1, got " + capacity);
        }
        this.name = name;
        this.capacity = capacity;
    }

    public String name() {
        return name;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Appends the leading items that fit, waiting up to {@code timeoutMillis} for room while any are
     * left.
     *
     * @return how many went in
     */
    public int offer(byte[][] batch, long timeoutMillis) throws InterruptedException {
        long nanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMillis));
        int done = 0;
        lock.lockInterruptibly();
        try {
            while (true) {
                checkOpen();
                int room = Math.min(capacity - items.size(), batch.length - done);
                for (int i = 0; i < room; i++) {
                    items.addLast(batch[done++]);
                }
                if (room > 0) {
                    notEmpty.signalAll();
                }
                if (done == batch.length || nanos <= 0) {
                    return done;
                }
                nanos = notFull.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes up to {@code max} items, waiting up to {@code timeoutMillis} for the first.
     *
     * @return the items in order, possibly none
     */
    public byte[][] poll(int max, long timeoutMillis) throws InterruptedException {
        long nanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMillis));
        lock.lockInterruptibly();
        try {
            while (items.isEmpty()) {
                checkOpen();
                if (nanos <= 0) {
                    return new byte[0][];
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
            checkOpen();
            byte[][] out = new byte[Math.min(max, items.size())][];
            for (int i = 0; i < out.length; i++) {
                out[i] = items.pollFirst();
            }
            notFull.signalAll();
            return out;
        } finally {
            lock.unlock();
        }
    }

    public int size() {
        lock.lock();
        try {
            return items.size();
        } finally {
            lock.unlock();
        }
    }

    public QueueStats stats() {
        return new QueueStats(name, size(), capacity);
    }

    /** Refuses further calls and releases every waiter with {@link ServerShutdownException}. */
    public void close() {
        lock.lock();
        try {
            closed = true;
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new ServerShutdownException("rmiq server is shutting down; queue '" + name + "' is closed");
        }
    }
}
