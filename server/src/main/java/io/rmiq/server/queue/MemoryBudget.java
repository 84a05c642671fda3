package io.rmiq.server.queue;

import java.util.concurrent.atomic.AtomicLong;

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

    /** Takes room for new tasks if there is any; false means wait and try again. */
    boolean tryTake(long bytes) {
        while (true) {
            long now = used.get();
            if (now > 0 && now + bytes > limit) {
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Takes room unconditionally: for tasks that must never be refused (restored, dead letters). */
    void take(long bytes) {
        used.addAndGet(bytes);
    }

    void give(long bytes) {
        used.addAndGet(-bytes);
    }

    public long used() {
        return used.get();
    }

    public long limit() {
        return limit;
    }
}
