package io.rmiq.server.transport;

import io.rmiq.api.LeasedItem;
import io.rmiq.api.internal.ItemFrames;
import io.rmiq.api.internal.LeasedFrames;
import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.RemoteQueue;
import io.rmiq.api.RmiqException;
import io.rmiq.api.ServerShutdownException;
import io.rmiq.api.SessionExpiredException;
import io.rmiq.server.store.QueueStore;
import io.rmiq.server.admission.Admission;
import io.rmiq.server.queue.Sessions;
import java.io.IOException;
import java.util.Arrays;

/**
 * The exported face of one {@link QueueStore}. Checks every item against the allow list before it
 * is stored, checks sessions, and caps each wait so no RMI thread blocks longer than a long-poll slice.
 *
 * <p>Also what the embedding JVM calls directly: its queue handles skip RMI but not the checks.
 */
public final class QueueService implements RemoteQueue {

    /** The longest a single call may wait on the server. */
    static final long MAX_WAIT_MILLIS = 10_000;
    private static final int MAX_BATCH = 100_000;

    private final QueueStore queue;
    private final Admission admission;
    private final Sessions sessions;

    public QueueService(QueueStore queue, Admission admission, Sessions sessions) {
        this.queue = queue;
        this.admission = admission;
        this.sessions = sessions;
    }

    @Override
    public String name() {
        return queue.name();
    }

    /** Stores the items, once per {@code (producer, sequence)}: see {@link io.rmiq.server.store.embedded.IdempotentPuts}. */
    @Override
    public int offer(byte[] frame, long timeoutMillis, long producer, long sequence) {
        byte[][] items = admit(frame);
        return run(() -> queue.offer(items, cap(timeoutMillis), producer, sequence));
    }

    @Override
    public void giveBack(byte[] frame) {
        // Checked as a put is: the bytes come from the client, whatever it says they are.
        byte[][] items = admit(frame);
        run(() -> {
            queue.giveBack(items);
            return null;
        });
    }

    /** The items of a frame, each through admission. */
    private byte[][] admit(byte[] frame) {
        byte[][] items = ItemFrames.decode(frame, MAX_BATCH);
        if (items.length == 0) {
            throw new PayloadRejectedException("a batch holds 1 to " + MAX_BATCH + " items");
        }
        admission.check(queue.name(), items);
        return items;
    }

    @Override
    public byte[] poll(int max, long timeoutMillis, long session) {
        checkMax(max);
        Sessions.Session waiter = session == 0 ? null : sessions.get(session);
        return ItemFrames.encode(Arrays.asList(run(() -> queue.poll(max, cap(timeoutMillis), waiter))));
    }

    @Override
    public byte[] receive(int max, long timeoutMillis, long session) {
        checkMax(max);
        Sessions.Session waiter = sessions.get(session);
        if (waiter == null) {
            throw new SessionExpiredException(session);
        }
        LeasedItem[] got = run(() -> queue.receive(max, cap(timeoutMillis), session, waiter));
        if (got.length > 0 && !sessions.isLive(session)) {
            // The session ended while we waited: its leases would only come back at lease expiry.
            run(() -> {
                queue.releaseSession(session);
                return null;
            });
            throw new SessionExpiredException(session);
        }
        return LeasedFrames.encode(got);
    }

    @Override
    public boolean[] ack(long[] ids, int[] attempts, long session) {
        checkLeases(ids, attempts);
        return run(() -> queue.ack(ids, attempts, session));
    }

    @Override
    public void nack(long id, int attempt, String reason, long delayMillis, long session) {
        String why = reason == null ? "nacked" : reason.length() > 2_000 ? reason.substring(0, 2_000) + "…" : reason;
        run(() -> {
            queue.nack(id, attempt, why, delayMillis, session);
            return null;
        });
    }

    @Override
    public void release(long id, int attempt, String reason, long delayMillis, long session) {
        run(() -> {
            queue.release(id, attempt, Math.max(0, delayMillis), session);
            return null;
        });
    }

    @Override
    public long[] extend(long[] ids, int[] attempts, long session) {
        checkLeases(ids, attempts);
        return queue.extend(ids, attempts, session);
    }

    private static void checkLeases(long[] ids, int[] attempts) {
        if (ids == null || attempts == null || ids.length != attempts.length || ids.length > MAX_BATCH) {
            throw new IllegalArgumentException("ids and attempts must be arrays of the same length, at most " + MAX_BATCH);
        }
    }

    @Override
    public byte[][] peek(int max) {
        checkMax(max);
        return queue.peek(max);
    }

    @Override
    public int size() {
        return queue.size();
    }

    private static long cap(long timeoutMillis) {
        return Math.min(timeoutMillis, MAX_WAIT_MILLIS);
    }

    private static void checkMax(int max) {
        if (max < 1 || max > MAX_BATCH) {
            throw new IllegalArgumentException("max must be 1.." + MAX_BATCH + ", got " + max);
        }
    }

    private interface Call<T> {
        T run() throws InterruptedException, IOException;
    }

    private <T> T run(Call<T> call) {
        try {
            return call.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerShutdownException("rmiq server interrupted the call");
        } catch (IOException e) {
            throw new RmiqException("rmiq server could not write its journal: " + e.getMessage());
        }
    }
}
