package io.rmiq.server.transport;

import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.RemoteQueue;
import io.rmiq.api.ServerShutdownException;
import io.rmiq.serial.AllowList;
import io.rmiq.serial.SerialLimits;
import io.rmiq.serial.StreamScanner;
import io.rmiq.server.queue.LocalQueue;

/**
 * The exported face of one {@link LocalQueue}. Checks every item against the allow list before it
 * is stored, and caps each wait so no RMI thread blocks longer than a long-poll slice.
 *
 * <p>Also what the embedding JVM calls directly: its queue handles skip RMI but not the checks.
 */
public final class QueueService implements RemoteQueue {

    /** The longest a single call may wait on the server. */
    static final long MAX_WAIT_MILLIS = 10_000;

    private final LocalQueue queue;
    private final AllowList allow;
    private final SerialLimits limits;

    public QueueService(LocalQueue queue, AllowList allow, SerialLimits limits) {
        this.queue = queue;
        this.allow = allow;
        this.limits = limits;
    }

    @Override
    public String name() {
        return queue.name();
    }

    @Override
    public int offer(byte[][] items, long timeoutMillis) {
        if (items == null) {
            throw new PayloadRejectedException("no items");
        }
        for (int i = 0; i < items.length; i++) {
            if (items[i] == null) {
                throw new PayloadRejectedException("item " + i + " is null");
            }
            try {
                StreamScanner.check(items[i], allow, limits);
            } catch (PayloadRejectedException e) {
                throw new PayloadRejectedException("queue '" + queue.name() + "' refused item " + i + ": "
                        + e.getMessage() + " (start the server with --allow PATTERN to allow more classes)");
            }
        }
        try {
            return queue.offer(items, Math.min(timeoutMillis, MAX_WAIT_MILLIS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerShutdownException("rmiq server interrupted the call");
        }
    }

    @Override
    public byte[][] poll(int max, long timeoutMillis) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, got " + max);
        }
        try {
            return queue.poll(max, Math.min(timeoutMillis, MAX_WAIT_MILLIS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerShutdownException("rmiq server interrupted the call");
        }
    }

    @Override
    public int size() {
        return queue.size();
    }
}
