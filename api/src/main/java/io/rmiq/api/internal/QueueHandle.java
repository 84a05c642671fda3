package io.rmiq.api.internal;

import io.rmiq.api.Delivery;
import io.rmiq.api.DistributedQueue;
import io.rmiq.api.LeasedItem;
import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.RemoteQueue;
import io.rmiq.api.RmiqException;
import io.rmiq.api.SessionExpiredException;
import io.rmiq.serial.ClassFilter;
import io.rmiq.serial.PayloadCodec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

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
    /**
     * How long an item this consumer cannot deserialize stays invisible before another consumer may
     * take it: long enough that the same consumer does not spin on it, short enough to keep it moving.
     */
    public static final long UNDECODABLE_DELAY_MILLIS = 2_000;

    private final String name;
    private final RemoteQueue remote;
    private final PayloadCodec codec;
    private final String peer;
    private final RemoteCalls calls;
    private final SessionSource session;
    private final Consumer<String> warnings;
    private final long producer;
    private final AtomicLong sequences;

    /**
     * @param resultFilter applied to what a remote server returns, or null for an in-JVM queue
     * @param session      the session leases belong to
     * @param warnings     told of items this consumer handed back because it could not deserialize them
     * @param producer     the id this client's puts carry, or 0 for none (see {@link RemoteQueue#offer})
     * @param sequences    numbers this client's puts, shared by all its handles; null when producer is 0
     */
    public QueueHandle(String name, RemoteQueue remote, PayloadCodec codec, String peer, ClassFilter resultFilter,
            SessionSource session, Consumer<String> warnings, long producer, AtomicLong sequences) {
        this.producer = producer;
        this.sequences = sequences;
        this.name = name;
        this.remote = remote;
        this.codec = codec;
        this.peer = peer;
        this.calls = new RemoteCalls(peer, resultFilter);
        this.session = session;
        this.warnings = warnings;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void put(E item) throws InterruptedException {
        offerUntil(List.of(codec.encode(item)), RemoteCalls.FOREVER);
    }

    @Override
    public boolean offer(E item, Duration timeout) throws InterruptedException {
        return offerUntil(List.of(codec.encode(item)), RemoteCalls.deadline(timeout)) == 1;
    }

    @Override
    public void putAll(Collection<? extends E> items) throws InterruptedException {
        List<byte[]> encoded = new ArrayList<>(items.size());
        for (E item : items) {
            encoded.add(codec.encode(item));
        }
        offerUntil(encoded, RemoteCalls.FOREVER);
    }

    @Override
    public E get() throws InterruptedException {
        return first(pollUntil(1, RemoteCalls.FOREVER));
    }

    @Override
    public E poll(Duration timeout) throws InterruptedException {
        return first(pollUntil(1, RemoteCalls.deadline(timeout)));
    }

    private E first(byte[][] got) {
        List<E> items = decodeOrGiveBack(got);
        return items.isEmpty() ? null : items.get(0);
    }

    @Override
    public List<E> take(int max, Duration timeout) throws InterruptedException {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, got " + max);
        }
        return decodeOrGiveBack(pollUntil(max, RemoteCalls.deadline(timeout)));
    }

    /**
     * Decodes items taken off the queue. If one of them cannot be deserialized here (this consumer's
     * allow list may lack a class the server allows), all of them go back to the head in their order:
     * a consumer never removes an item it cannot hand over.
     */
    private List<E> decodeOrGiveBack(byte[][] got) {
        List<E> out = new ArrayList<>(got.length);
        for (byte[] b : got) {
            try {
                out.add(decode(b));
            } catch (PayloadRejectedException e) {
                try {
                    byte[] frame = ItemFrames.encode(List.of(got));
                    calls.uninterruptibly(() -> {
                        remote.giveBack(frame);
                        return null;
                    });
                } catch (RmiqException giveBackFailed) {
                    e.addSuppressed(giveBackFailed);
                    throw new PayloadRejectedException("an item of queue '" + name
                            + "' cannot be deserialized by this client (" + e.getMessage()
                            + "), and handing it back failed: " + giveBackFailed.getMessage(), e);
                }
                throw new PayloadRejectedException("an item of queue '" + name
                        + "' cannot be deserialized by this client (" + e.getMessage()
                        + "); it stays at the head of queue '" + name + "'", e);
            }
        }
        return out;
    }

    @Override
    public List<Delivery<E>> receive(int max, Duration timeout) throws InterruptedException {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, got " + max);
        }
        long deadline = RemoteCalls.deadline(timeout);
        while (true) {
            RemoteCalls.checkInterrupt();
            long wait = RemoteCalls.slice(deadline);
            long sid = calls.uninterruptibly(session::id);
            LeasedItem[] got;
            try {
                got = LeasedFrames.decode(calls.call(() -> remote.receive(max, wait, sid)));
            } catch (SessionExpiredException e) {
                session.expired(sid);
                continue;
            }
            List<Delivery<E>> out = new ArrayList<>(got.length);
            for (LeasedItem item : got) {
                E payload;
                try {
                    payload = decode(item.payload());
                } catch (PayloadRejectedException e) {
                    // Not this consumer's to handle: another with a wider allow list may take it. The
                    // release spends no attempt, so a misconfigured consumer dead-letters nothing.
                    try {
                        calls.uninterruptibly(() -> {
                            remote.release(item.id(), item.attempt(),
                                    "consumer could not deserialize it: " + e.getMessage(), UNDECODABLE_DELAY_MILLIS, sid);
                            return null;
                        });
                    } catch (RmiqException releaseFailed) {
                        // its lease runs out and it comes back anyway
                    }
                    warnings.accept("handed task " + item.id() + " of queue '" + name + "' back: this client cannot"
                            + " deserialize it (" + e.getMessage() + "); allow its class with"
                            + " QueueClient.builder(...).allow(...) or --allow");
                    continue;
                }
                out.add(new LeasedDelivery(item, payload));
            }
            if (!out.isEmpty() || RemoteCalls.expired(deadline)) {
                return out;
            }
        }
    }

    @Override
    public int ack(Collection<? extends Delivery<E>> deliveries) {
        if (deliveries.isEmpty()) {
            return 0;
        }
        long[] ids = ids(deliveries);
        int[] attempts = attempts(deliveries);
        boolean[] held = calls.uninterruptibly(() -> remote.ack(ids, attempts, session.id()));
        int n = 0;
        for (boolean h : held) {
            n += h ? 1 : 0;
        }
        return n;
    }

    @Override
    public int extend(Collection<? extends Delivery<E>> deliveries) {
        if (deliveries.isEmpty()) {
            return 0;
        }
        long[] deadlines = calls.uninterruptibly(() -> remote.extend(ids(deliveries), attempts(deliveries), session.id()));
        int n = 0;
        int i = 0;
        for (Delivery<E> d : deliveries) {
            long deadline = deadlines[i++];
            if (d instanceof QueueHandle<?>.LeasedDelivery ld ? ld.renewed(deadline) : deadline != 0) {
                n++;
            }
        }
        return n;
    }

    private static int[] attempts(Collection<? extends Delivery<?>> deliveries) {
        int[] attempts = new int[deliveries.size()];
        int i = 0;
        for (Delivery<?> d : deliveries) {
            attempts[i++] = d.attempt();
        }
        return attempts;
    }

    private static long[] ids(Collection<? extends Delivery<?>> deliveries) {
        long[] ids = new long[deliveries.size()];
        int i = 0;
        for (Delivery<?> d : deliveries) {
            ids[i++] = d.id();
        }
        return ids;
    }

    @Override
    public List<E> peek(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, got " + max);
        }
        List<E> out = new ArrayList<>();
        for (byte[] b : calls.uninterruptibly(() -> remote.peek(max))) {
            out.add(decode(b));
        }
        return out;
    }

    @Override
    public int size() {
        return calls.uninterruptibly(remote::size);
    }

    /**
     * Offers the items, a frame of at most {@link #BATCH} at a time, until all are in or the deadline
     * passes with the queue still full; returns how many went in.
     */
    private int offerUntil(List<byte[]> items, long deadline) throws InterruptedException {
        int done = 0;
        while (done < items.size()) {
            RemoteCalls.checkInterrupt();
            int end = ItemFrames.end(items, done, BATCH);
            byte[] frame = ItemFrames.encode(items.subList(done, end));
            long wait = RemoteCalls.slice(deadline);
            // One number per call: a retry of this call below (through an outage) repeats it.
            long sequence = producer == 0 ? 0 : sequences.incrementAndGet();
            int accepted = calls.call(() -> remote.offer(frame, wait, producer, sequence));
            if (accepted < 0 || accepted > end - done) {
                throw new PayloadRejectedException("the server at " + peer + " says it accepted " + accepted
                        + " of " + (end - done) + " items; it is not an rmiq server");
            }
            done += accepted;
            if (done < end && RemoteCalls.expired(deadline)) {
                return done;
            }
        }
        return done;
    }

    private byte[][] pollUntil(int max, long deadline) throws InterruptedException {
        boolean first = true;
        while (true) {
            RemoteCalls.checkInterrupt();
            // Most polls find an item at once, and a call that does not wait needs no session (only a
            // wait does, so that an interrupt can end it): try without one first.
            long wait = first ? 0 : RemoteCalls.slice(deadline);
            long sid = wait == 0 ? 0 : session.forWaits();
            byte[][] got = ItemFrames.decode(calls.call(() -> remote.poll(max, wait, sid)), max);
            if (got.length > 0 || RemoteCalls.expired(deadline)) {
                return got;
            }
            first = false;
        }
    }

    @SuppressWarnings("unchecked")
    private E decode(byte[] b) {
        return (E) codec.decode(b);
    }

    private final class LeasedDelivery implements Delivery<E> {
        private final LeasedItem item;
        private final E payload;
        private volatile long deadline;

        LeasedDelivery(LeasedItem item, E payload) {
            this.item = item;
            this.payload = payload;
            this.deadline = item.leaseDeadlineMillis();
        }

        @Override
        public long id() {
            return item.id();
        }

        @Override
        public int attempt() {
            return item.attempt();
        }

        @Override
        public Instant leaseDeadline() {
            return Instant.ofEpochMilli(deadline);
        }

        @Override
        public E payload() {
            return payload;
        }

        @Override
        public boolean ack() {
            return calls.uninterruptibly(() -> remote.ack(new long[] {item.id()}, new int[] {item.attempt()}, session.id()))[0];
        }

        @Override
        public void nack(String reason) {
            nack(reason, Duration.ZERO);
        }

        @Override
        public void nack(String reason, Duration delay) {
            long delayMillis = Math.max(0, delay.toMillis());
            calls.uninterruptibly(() -> {
                remote.nack(item.id(), item.attempt(), reason == null ? "nacked" : reason, delayMillis, session.id());
                return null;
            });
        }

        @Override
        public boolean extend() {
            return renewed(calls.uninterruptibly(
                    () -> remote.extend(new long[] {item.id()}, new int[] {item.attempt()}, session.id()))[0]);
        }

        boolean renewed(long newDeadline) {
            if (newDeadline == 0) {
                return false;
            }
            deadline = newDeadline;
            return true;
        }

        @Override
        public String toString() {
            return "Delivery[" + name + "#" + item.id() + ", attempt " + item.attempt() + "]";
        }
    }
}
