package io.rmiq.server.queue;

import java.util.regex.Pattern;

/**
 * How one queue behaves.
 *
 * @param name        letters, digits, '.', '_' and '-'
 * @param capacity    most tasks held (waiting plus leased) before {@code put} waits
 * @param leaseMillis how long a received task stays invisible without an ack or an extension
 * @param maxAttempts deliveries before a task moves to {@code NAME.dead}
 */
public record QueueConfig(String name, int capacity, long leaseMillis, int maxAttempts) {

    public static final long DEFAULT_LEASE_MILLIS = 30_000;
    public static final int DEFAULT_MAX_ATTEMPTS = 5;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");

    public QueueConfig {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad queue name '" + name
                    + "': use letters, digits, '.', '_' and '-', starting with a letter or digit");
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity of queue '" + name + "' must be at least 1");
        }
        if (leaseMillis < 100) {
            throw new IllegalArgumentException("lease of queue '" + name + "' must be at least 100 ms");
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("max attempts of queue '" + name + "' must be at least 1");
        }
    }

    /** The dead-letter queue of {@code queue}: unbounded, so that no failed task is ever refused. */
    public static QueueConfig deadLettersOf(QueueConfig queue) {
        return new QueueConfig(io.rmiq.api.DeadLetter.queueFor(queue.name()), Integer.MAX_VALUE,
                queue.leaseMillis(), Integer.MAX_VALUE);
    }

    /** An unbounded queue with the default lease and attempts. */
    public static QueueConfig of(String name) {
        return new QueueConfig(name, Integer.MAX_VALUE, DEFAULT_LEASE_MILLIS, DEFAULT_MAX_ATTEMPTS);
    }
}
