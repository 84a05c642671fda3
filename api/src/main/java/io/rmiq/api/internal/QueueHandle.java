package io.rmiq.api.internal;

import io.rmiq.api.DistributedQueue;
import io.rmiq.api.RemoteQueue;
import io.rmiq.serial.ClassFilter;
import io.rmiq.serial.PayloadCodec;
import io.rmiq.serial.RmiqFilterFactory;
import java.rmi.RemoteException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The one implementation of {@link DistributedQueue}, over a {@link RemoteQueue} that is either an RMI
 * stub (client) or the server's own queue object (embedded, no round trip).
 *
 * <p>Every wait is cut into slices of at most {@link #SLICE_MILLIS}: the server never holds a thread
 * longer than that for one call, a stopping server releases the caller within a slice, and an
 * interrupt is seen between slices.
 */
public final class QueueHandle<E> implements DistributedQueue<E> {

    /** Longest single wait on the server. Client read timeouts must be well above it. */
    public static final long SLICE_MILLIS = 5_000;
    /** Items per call when putting many: large enough to amortize the round trip. */
    static final int BATCH = 1_000;
    /** A deadline that never passes; nanoTime values are compared by difference, so it needs a flag. */
    private static final long FOREVER = Long.MIN_VALUE;

    private final String name;
    private final RemoteQueue remote;
    private final PayloadCodec codec;
    private final String peer;
    private final ClassFilter resultFilter;

    /**
     * @param resultFilter applied to what a remote server returns, or null for an in-JVM queue
     */
    public QueueHandle(String name, RemoteQueue remote, PayloadCodec codec, String peer, ClassFilter resultFilter) {
        this.name = name;
        this.remote = remote;
        this.codec = codec;
        this.peer = peer;
        this.resultFilter = resultFilter;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void put(E item) throws InterruptedException {
        offerUntil(new byte[][] {codec.encode(item)}, FOREVER);
    }

    @Override
    public boolean offer(E item, Duration timeout) throws InterruptedException {
        return offerUntil(new byte[][] {codec.encode(item)}, deadline(timeout)) == 1;
    }

    @Override
    public void putAll(Collection<? extends E> items) throws InterruptedException {
        List<byte[]> encoded = new ArrayList<>(items.size());
        for (E item : items) {
            encoded.add(codec.encode(item));
        }
        for (int from = 0; from < encoded.size(); from += BATCH) {
            byte[][] batch = encoded.subList(from, Math.min(encoded.size(), from + BATCH)).toArray(new byte[0][]);
            offerUntil(batch, FOREVER);
        }
    }

    @Override
    public E get() throws InterruptedException {
        return first(pollUntil(1, FOREVER));
    }

    @Override
    public E poll(Duration timeout) throws InterruptedException {
        return first(pollUntil(1, deadline(timeout)));
    }

    @Override
    public List<E> take(int max, Duration timeout) throws InterruptedException {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, got " + max);
        }
        byte[][] got = pollUntil(max, deadline(timeout));
        List<E> out = new ArrayList<>(got.length);
        for (byte[] b : got) {
            out.add(decode(b));
        }
        return out;
    }

    @Override
    public int size() {
        try {
            return call(remote::size);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Failures.translate(e, peer);
        }
    }

    /** Offers the items until all are in or the deadline passes; returns how many went in. */
    private int offerUntil(byte[][] items, long deadline) throws InterruptedException {
        int done = 0;
        while (true) {
            checkInterrupt();
            byte[][] rest = done == 0 ? items : Arrays.copyOfRange(items, done, items.length);
            long wait = slice(deadline);
            done += call(() -> remote.offer(rest, wait));
            if (done == items.length || expired(deadline)) {
                return done;
            }
        }
    }

    private byte[][] pollUntil(int max, long deadline) throws InterruptedException {
        while (true) {
            checkInterrupt();
            long wait = slice(deadline);
            byte[][] got = call(() -> remote.poll(max, wait));
            if (got.length > 0 || expired(deadline)) {
                return got;
            }
        }
    }

    private E first(byte[][] got) {
        return got.length == 0 ? null : decode(got[0]);
    }

    @SuppressWarnings("unchecked")
    private E decode(byte[] b) {
        return (E) codec.decode(b);
    }

    private static long deadline(Duration timeout) {
        long nanos = timeout.isNegative() ? 0 : Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
        long deadline = System.nanoTime() + nanos;
        return deadline == FOREVER ? deadline + 1 : deadline;
    }

    private static boolean expired(long deadline) {
        return deadline != FOREVER && System.nanoTime() - deadline >= 0;
    }

    private static long slice(long deadline) {
        if (deadline == FOREVER) {
            return SLICE_MILLIS;
        }
        long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
        return Math.min(left, SLICE_MILLIS);
    }

    private static void checkInterrupt() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    private <T> T call(Callable<T> c) throws InterruptedException {
        try {
            return resultFilter == null ? c.call() : RmiqFilterFactory.during(resultFilter, c);
        } catch (RemoteException | RuntimeException e) {
            if (Thread.interrupted()) {
                // In process, the queue engine saw this thread's own interrupt.
                throw new InterruptedException();
            }
            throw Failures.translate(e, peer, resultFilter);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
