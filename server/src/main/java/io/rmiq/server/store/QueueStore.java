package io.rmiq.server.store;

import io.rmiq.api.LeasedItem;
import io.rmiq.api.QueueStats;
import io.rmiq.server.queue.QueueConfig;
import io.rmiq.server.queue.Sessions;
import java.io.IOException;
import java.util.Map;

/**
 * The store seam: everything one queue does, whatever keeps its items. Every front end (RMI, the
 * in-process handles, the Python port, HTTP) and the server's own upkeep (leases, sessions, dead
 * letters) reach a queue through this and nothing else. Thread-safe.
 *
 * <p>Items are opaque bytes that passed admission. Ids and attempts identify one delivery: a call
 * that names a delivery the session no longer holds (its lease ran out, it was acked) is ignored,
 * never an error, because the caller cannot know it lost the race.
 */
public interface QueueStore extends AutoCloseable {

    String name();

    QueueConfig config();

    /** Where tasks go after {@link QueueConfig#maxAttempts()} deliveries; null for a dead-letter queue. */
    QueueStore deadLetters();

    /** As {@link #offer(byte[][], long, long, long)} with no producer: stored again if retried. */
    default int offer(byte[][] batch, long timeoutMillis) throws InterruptedException, IOException {
        return offer(batch, timeoutMillis, 0, 0);
    }

    /**
     * Stores the leading items that fit, waiting up to {@code timeoutMillis} for room while any are
     * left; returns once they are durable, with how many went in. Put {@code sequence} of
     * {@code producer} (0: none) is stored once: a retry returns the first attempt's count.
     */
    int offer(byte[][] batch, long timeoutMillis, long producer, long sequence) throws InterruptedException, IOException;

    default byte[][] poll(int max, long timeoutMillis) throws InterruptedException, IOException {
        return poll(max, timeoutMillis, null);
    }

    /**
     * Removes up to {@code max} items for good, waiting up to {@code timeoutMillis} for the first; the
     * wait also ends, with none, when {@code waiter}'s waits are cancelled and {@link #wakeWaiters} runs.
     */
    byte[][] poll(int max, long timeoutMillis, Sessions.Session waiter) throws InterruptedException, IOException;

    default LeasedItem[] receive(int max, long timeoutMillis, long session) throws InterruptedException {
        return receive(max, timeoutMillis, session, null);
    }

    /** Leases up to {@code max} items to {@code session}, each with its attempt number; waits as {@link #poll}. */
    LeasedItem[] receive(int max, long timeoutMillis, long session, Sessions.Session waiter) throws InterruptedException;

    /** Finishes leased tasks; for each, whether {@code session} still held it. */
    boolean[] ack(long[] ids, int[] attempts, long session) throws IOException;

    /** Gives a leased task back now or after {@code delayMillis}, spending the attempt: past the maximum it is a dead letter. */
    void nack(long id, int attempt, String reason, long delayMillis, long session) throws IOException;

    /** Gives a leased task back without spending its attempt. */
    void release(long id, int attempt, long delayMillis, long session) throws IOException;

    /** Puts items taken for good back at the head, in order, ignoring capacity: they were held a moment ago. */
    void giveBack(byte[][] items) throws IOException;

    /** Renews leases; for each, the new deadline, or 0 if {@code session} no longer held it. */
    long[] extend(long[] ids, int[] attempts, long session);

    /** Gives back every task whose lease ran out by {@code now}. */
    void expireLeases(long now) throws IOException;

    /** Gives back every task leased to {@code session}, which has ended. */
    void releaseSession(long session) throws IOException;

    /** Wakes every wait on this queue, so that those whose session's waits were cancelled end. */
    void wakeWaiters();

    /** Up to {@code max} waiting items, ready ones first, without taking them. */
    byte[][] peek(int max);

    /** Tasks waiting: ready and delayed, not leased. */
    int size();

    /** Counts, capacity, dead letters and the oldest waiting task's age. */
    QueueStats stats();

    /** Leased tasks per session. */
    Map<Long, Integer> leasesBySession();

    /** Removes every waiting task for good; leased ones stay. Returns how many went. */
    int purge() throws IOException;

    /** Refuses further calls and releases every waiter with {@link io.rmiq.api.ServerShutdownException}. */
    @Override
    void close();
}
