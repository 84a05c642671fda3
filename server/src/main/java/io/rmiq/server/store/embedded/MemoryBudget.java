package io.rmiq.server.store.embedded;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The heap the server lets its queues hold, across all of them: payload bytes plus a fixed cost per
 * task. Producers wait for room as they do on a full queue, so a deep queue is bounded by
 * configuration rather than by the JVM running out of memory. Thread-safe.
 */
public final class MemoryBudget {

    /** What one task costs on the heap beyond its payload: its record, the array header, its slot. */
    public static final long TASK_OVERHEAD = 100;

    private final long limit;
    private final AtomicLong used = new AtomicLong();
    /** Producers waiting for room: while there are none, giving room back takes no lock. */
    private final AtomicInteger waiting = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();

    public MemoryBudget(long limit) {
        if (limit < 1 << 20) {
            throw new IllegalArgumentException("the memory limit must be at least 1 MiB, got " + limit);
        }
        this.limit = limit;
    }

    /** No limit beyond the JVM's own. */
    public static MemoryBudget unlimited() {
        return new MemoryBudget(Long.MAX_VALUE);
    }

    public static long cost(byte[] payload) {
        return payload.length + TASK_OVERHEAD;
    }

    /** Takes room for new tasks if there is any; false means {@link #awaitRoom} and try again. */
    boolean tryTake(long bytes) {
        while (true) {
            long now = used.get();
            if (!fits(now, bytes)) {
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** A batch larger than the whole budget still goes in alone, so that it cannot wait forever. */
    private boolean fits(long now, long bytes) {
        return now == 0 || now + bytes <= limit;
    }

    /**
     * Waits until {@code bytes} would fit, the time is up, or {@code closed} holds after a
     * {@link #wakeAll}; it takes nothing, since the caller takes its queue's capacity first and then
     * {@link #tryTake}s again (another producer may win).
     *
     * @return the nanoseconds left, at most 0 if the time ran out first
     */
    long awaitRoom(long bytes, long nanos, java.util.function.BooleanSupplier closed) throws InterruptedException {
        waiting.incrementAndGet();
        try {
            lock.lockInterruptibly();
            try {
                // Checked under the lock that give() signals under, so a wake-up cannot fall between.
                while (!fits(used.get(), bytes) && nanos > 0 && !closed.getAsBoolean()) {
                    nanos = freed.awaitNanos(nanos);
                }
                return nanos;
            } finally {
                lock.unlock();
            }
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** Takes room unconditionally: for tasks that must never be refused (restored, dead letters). */
    void take(long bytes) {
        used.addAndGet(bytes);
    }

    void give(long bytes) {
        used.addAndGet(-bytes);
        if (waiting.get() > 0) {
            wakeAll();
        }
    }

    /** Wakes every {@link #awaitRoom} to look again: after room was given back, or a queue closed. */
    void wakeAll() {
        lock.lock();
        try {
            freed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public long used() {
        return used.get();
    }

    public long limit() {
        return limit;
    }
}
