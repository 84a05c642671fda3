package io.rmiq.server.store.nats;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.Subscription;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StreamInfo;
import io.nats.client.impl.Headers;
import io.rmiq.api.DeadLetter;
import io.rmiq.api.LeasedItem;
import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.QueueStats;
import io.rmiq.api.ServerShutdownException;
import io.rmiq.api.internal.ItemFrames;
import io.rmiq.server.queue.QueueConfig;
import io.rmiq.server.queue.Sessions;
import io.rmiq.server.store.QueueStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One queue on a JetStream work-queue stream with one durable pull consumer, shared by every rmiq
 * server in front of the cluster. JetStream keeps the items, the redelivery after the lease time
 * (AckWait) and the delivery counts; this server keeps only the leases its own clients hold, because
 * a delivery can be acked only through the reply subject it came with.
 *
 * <p>Pull requests are sent by hand on a private inbox rather than through jnats' pull subscription,
 * so that a wait ends as soon as the first item arrives, and so that every request is read to its end
 * (its last item or the server's closing status): a delivery is never left in a buffer nobody reads.
 */
final class NatsQueue implements QueueStore {

    private static final Logger log = LoggerFactory.getLogger(NatsQueue.class);
    static final String CONSUMER = "rmiq";
    /** Attempts spent before the item was published again by {@link #release}: JetStream's count restarts. */
    static final String SPENT_HEADER = "Rmiq-Attempts-Spent";
    private static final byte[][] NO_ITEMS = new byte[0][];
    private static final LeasedItem[] NO_LEASES = new LeasedItem[0];
    private static final byte[] ACK = "+ACK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NAK = "-NAK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROGRESS = "+WPI".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WAKE = new byte[0];
    /** How long past its own expiry a pull request may stay unanswered (a leader election) before it is given up. */
    private static final long GRACE_MILLIS = 5_000;
    /**
     * A no-wait request ends with a 404 once nothing is left, but nats-server 2.9 sometimes leaves one
     * that was partly served open while producers publish; an expiry bounds that.
     */
    private static final long NO_WAIT_EXPIRES_MILLIS = 200;
    /** How long an item may take from JetStream to this server; leases are counted from before it. */
    private static final long DELIVERY_SLACK_MILLIS = 50;
    /** The longest one pull request waits; longer waits send another. */
    private static final long MAX_PULL_MILLIS = 30_000;
    /** Waiting for room re-checks at least this often: room made by a purge or by a stream limit change sends no ack. */
    private static final long ROOM_RECHECK_MILLIS = 1_000;
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(5);
    /** Room for the headers rmiq and JetStream add to an item, within NATS's max_payload. */
    static final int HEADER_ROOM = 512;

    private final QueueConfig config;
    private final Connection nc;
    private final JetStream js;
    private final JetStreamManagement jsm;
    private final String stream;
    private final String subject;
    private final String nextSubject;
    private final NatsQueue dead;
    private final Function<DeadLetter, byte[]> deadLetterCodec;
    private final LongSupplier clock;
    private final Map<Long, Lease> leases = new ConcurrentHashMap<>();
    private final Set<String> waitingInboxes = ConcurrentHashMap.newKeySet();
    private final Signal room = new Signal();
    private final LongAdder puts = new LongAdder();
    private final LongAdder takes = new LongAdder();
    private final LongAdder acks = new LongAdder();
    private volatile boolean closed;

    /** A delivery held by one of this server's sessions. */
    private record Lease(Message msg, int attempt, long session, long deadline) {
    }

    NatsQueue(QueueConfig config, Connection nc, String stream, String subject, NatsQueue dead,
            Function<DeadLetter, byte[]> deadLetterCodec, LongSupplier clock) throws IOException {
        this.config = config;
        this.nc = nc;
        this.js = nc.jetStream();
        this.jsm = nc.jetStreamManagement();
        this.stream = stream;
        this.subject = subject;
        this.nextSubject = "$JS.API.CONSUMER.MSG.NEXT." + stream + "." + CONSUMER;
        this.dead = dead;
        this.deadLetterCodec = deadLetterCodec;
        this.clock = clock;
    }

    /** Room may have opened whenever any server acks a delivery of this stream. */
    String ackSubjects() {
        return "$JS.ACK." + stream + "." + CONSUMER + ".>";
    }

    void roomMayHaveOpened() {
        room.wake();
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public QueueConfig config() {
        return config;
    }

    @Override
    public QueueStore deadLetters() {
        return dead;
    }

    // ---- puts -------------------------------------------------------------------------------------

    @Override
    public int offer(byte[][] batch, long timeoutMillis, long producer, long sequence)
            throws InterruptedException, IOException {
        checkOpen();
        if (batch.length == 0) {
            return 0;
        }
        long limit = nc.getServerInfo().getMaxPayload() - HEADER_ROOM;
        for (int i = 0; i < batch.length; i++) {
            if (batch[i].length > limit) {
                throw new PayloadRejectedException("queue '" + name() + "' refused item " + i + ": " + batch[i].length
                        + " bytes, more than NATS takes in one message (max_payload " + (limit + HEADER_ROOM)
                        + " bytes); raise max_payload in the nats-server configuration, up to 64MB");
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMillis));
        if (config.capacity() == Integer.MAX_VALUE) {
            publishAll(batch, producer, sequence);
            return batch.length;
        }
        // A bounded stream refuses an item when full; one at a time, so that a refused item is
        // never overtaken by a later one of the same batch.
        int done = 0;
        while (done < batch.length) {
            long seen = room.version();
            if (publish(batch[done], messageId(producer, sequence, done), null)) {
                done++;
                puts.increment();
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            room.await(seen, Math.min(left, TimeUnit.MILLISECONDS.toNanos(ROOM_RECHECK_MILLIS)));
            checkOpen();
        }
        return done;
    }

    /** A retried put of the same producer and sequence carries the same ids, so JetStream stores it once. */
    private static String messageId(long producer, long sequence, int index) {
        return producer == 0 ? null : producer + "-" + sequence + "-" + index;
    }

    private void publishAll(byte[][] batch, long producer, long sequence) throws IOException, InterruptedException {
        List<CompletableFuture<io.nats.client.api.PublishAck>> pending = new ArrayList<>(batch.length);
        for (int i = 0; i < batch.length; i++) {
            pending.add(js.publishAsync(subject, null, batch[i], options(messageId(producer, sequence, i))));
        }
        for (CompletableFuture<io.nats.client.api.PublishAck> f : pending) {
            try {
                f.get(REPLY_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw storeFailed("put to", e.getCause());
            } catch (TimeoutException e) {
                throw storeFailed("put to", e);
            }
        }
        puts.add(batch.length);
    }

    /** Publishes one item and waits for JetStream's ack; false when the stream is full. */
    private boolean publish(byte[] item, String messageId, Headers headers) throws IOException {
        try {
            js.publish(subject, headers, item, options(messageId));
            return true;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == 10077 || String.valueOf(e.getErrorDescription()).contains("maximum messages")) {
                return false;
            }
            throw storeFailed("put to", e);
        } catch (IOException e) {
            throw storeFailed("put to", e);
        }
    }

    private PublishOptions options(String messageId) {
        PublishOptions.Builder b = PublishOptions.builder().expectedStream(stream);
        if (messageId != null) {
            b.messageId(messageId);
        }
        return b.build();
    }

    // ---- takes and leases -------------------------------------------------------------------------

    @Override
    public byte[][] poll(int max, long timeoutMillis, Sessions.Session waiter) throws InterruptedException, IOException {
        List<Delivery> got = fetch(max, timeoutMillis, waiter);
        if (got.isEmpty()) {
            return NO_ITEMS;
        }
        boolean[] done = reply(got.stream().map(Delivery::msg).toList(), ACK);
        List<byte[]> out = new ArrayList<>(got.size());
        for (int i = 0; i < done.length; i++) {
            if (done[i]) {
                out.add(got.get(i).msg.getData());
            } else {
                // Not finished in JetStream: it comes back after its lease, so it is not handed out twice.
                log.warn("take from '{}': JetStream did not confirm the ack of item {}; it stays queued", name(),
                        got.get(i).id());
            }
        }
        takes.add(out.size());
        acks.add(out.size());
        return out.toArray(new byte[0][]);
    }

    @Override
    public LeasedItem[] receive(int max, long timeoutMillis, long session, Sessions.Session waiter)
            throws InterruptedException {
        List<Delivery> got;
        try {
            got = fetch(max, timeoutMillis, waiter);
        } catch (IOException e) {
            throw new io.rmiq.api.RmiqException("rmiq server's store failed: " + e.getMessage());
        }
        if (got.isEmpty()) {
            return NO_LEASES;
        }
        LeasedItem[] out = new LeasedItem[got.size()];
        for (int i = 0; i < out.length; i++) {
            Delivery d = got.get(i);
            long deadline = d.sentAt + config.leaseMillis();
            leases.put(d.id(), new Lease(d.msg, d.attempt, session, deadline));
            out[i] = new LeasedItem(d.id(), d.attempt, deadline, d.msg.getData());
        }
        takes.add(out.length);
        return out;
    }

    /**
     * One delivery; {@code sentAt} is no later than when JetStream sent it, so a lease counted from it
     * ends no later than JetStream's AckWait.
     */
    private record Delivery(Message msg, long id, int attempt, long sentAt) {
    }

    /**
     * Up to {@code max} deliveries, waiting up to {@code timeoutMillis} for the first: what is there at
     * once, else one request that waits for one item, then what came with it.
     */
    private List<Delivery> fetch(int max, long timeoutMillis, Sessions.Session waiter)
            throws InterruptedException, IOException {
        checkOpen();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMillis));
        int mark = waiter == null ? 0 : waiter.waitMark();
        String inbox = nc.createInbox();
        Subscription sub;
        try {
            sub = nc.subscribe(inbox);
        } catch (IllegalStateException e) {
            throw closedOr(e);
        }
        waitingInboxes.add(inbox);
        try {
            List<Delivery> got = new ArrayList<>();
            while (true) {
                checkOpen();
                pull(sub, inbox, max - got.size(), 0, got);
                long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
                if (!got.isEmpty() || left <= 0 || (waiter != null && waiter.cancelledSince(mark))) {
                    return got;
                }
                if (!pull(sub, inbox, 1, Math.min(left, MAX_PULL_MILLIS), got)) {
                    checkOpen();
                    if (waiter != null && waiter.cancelledSince(mark)) {
                        return got;
                    }
                }
                if (got.size() == max) {
                    return got;
                }
            }
        } catch (IllegalStateException e) {
            throw closedOr(e);
        } finally {
            waitingInboxes.remove(inbox);
            try {
                sub.unsubscribe();
            } catch (IllegalStateException e) {
                // the connection closed under the wait: nothing left to unsubscribe from
            }
        }
    }

    /** jnats refuses calls on a closed connection with IllegalStateException: a shutdown, or an outage. */
    private RuntimeException closedOr(IllegalStateException e) {
        if (closed) {
            return new ServerShutdownException("rmiq server is shutting down; queue '" + name() + "' is closed");
        }
        return new io.rmiq.api.RmiqException("rmiq server's store failed: the NATS connection is closed");
    }

    /**
     * Sends one pull request for {@code batch} items ({@code waitMillis} 0: only those there now) and
     * reads it to its end. Returns false if {@link #wakeWaiters} or {@link #close} woke it.
     */
    private boolean pull(Subscription sub, String inbox, int batch, long waitMillis, List<Delivery> out)
            throws InterruptedException, IOException {
        long requestedAt = clock.getAsLong();
        boolean limitBytes = batch > 1;
        String request = waitMillis > 0
                ? "{\"batch\":" + batch + ",\"expires\":" + TimeUnit.MILLISECONDS.toNanos(waitMillis) + "}"
                : "{\"batch\":" + batch + ",\"no_wait\":true,\"expires\":"
                        + TimeUnit.MILLISECONDS.toNanos(NO_WAIT_EXPIRES_MILLIS)
                        + (limitBytes ? ",\"max_bytes\":" + ItemFrames.TARGET_BYTES : "") + "}";
        nc.publish(nextSubject, inbox, request.getBytes(StandardCharsets.US_ASCII));
        long giveUp = System.nanoTime()
                + TimeUnit.MILLISECONDS.toNanos(Math.max(waitMillis, NO_WAIT_EXPIRES_MILLIS) + GRACE_MILLIS);
        int delivered = 0;
        while (delivered < batch) {
            long left = giveUp - System.nanoTime();
            Message m = left > 0 ? sub.nextMessage(Duration.ofNanos(left)) : null;
            if (m == null) {
                if (!nc.getStatus().equals(Connection.Status.CONNECTED)) {
                    throw new IOException("NATS is unreachable (" + nc.getStatus().name().toLowerCase() + ")");
                }
                if (closed) {
                    return false;
                }
                log.warn("a pull request on '{}' for {} item(s), waiting {} ms, went unanswered after {} item(s); "
                        + "sending another", name(), batch, waitMillis, delivered);
                return true;
            }
            if (m.isStatusMessage()) {
                int code = m.getStatus().getCode();
                if (code == 100) {
                    continue; // heartbeat
                }
                if (code == 409 && limitBytes && out.isEmpty()
                        && String.valueOf(m.getStatus().getMessage()).contains("MaxBytes")) {
                    // A single item bigger than a frame: it travels alone.
                    return pull(sub, inbox, 1, 0, out);
                }
                if (code == 409 || code >= 500) {
                    log.debug("pull on '{}' ended: {} {}", name(), code, m.getStatus().getMessage());
                }
                return true; // 404 nothing there, 408 expired, 409 a limit or a leader change
            }
            if (m.getReplyTo() == null) {
                return false; // our own wake-up
            }
            delivered++;
            // JetStream's AckWait started when it sent the item: no earlier than the request, and at
            // most a moment before it arrived here, however long the request waited.
            accept(m, Math.max(requestedAt, clock.getAsLong() - DELIVERY_SLACK_MILLIS), out);
        }
        return true;
    }

    private void accept(Message m, long sentAt, List<Delivery> out) throws IOException {
        long id = m.metaData().streamSequence();
        int attempt = spent(m) + (int) m.metaData().deliveredCount();
        if (dead != null && attempt > config.maxAttempts()) {
            // JetStream redelivered it after its last lease ran out (here or on another server).
            deadLetter(m, id, attempt - 1, "lease expired on attempt " + (attempt - 1));
            return;
        }
        out.add(new Delivery(m, id, attempt, sentAt));
    }

    private static int spent(Message m) {
        Headers h = m.getHeaders();
        String v = h == null ? null : h.getFirst(SPENT_HEADER);
        if (v == null) {
            return 0;
        }
        try {
            return Math.max(0, Integer.parseInt(v));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Sends {@code body} to each delivery's reply subject at once; for each, whether JetStream answered. */
    private boolean[] reply(List<Message> msgs, byte[] body) throws InterruptedException {
        List<CompletableFuture<Message>> answers = new ArrayList<>(msgs.size());
        for (Message m : msgs) {
            answers.add(nc.request(m.getReplyTo(), body));
        }
        boolean[] ok = new boolean[msgs.size()];
        long end = System.nanoTime() + REPLY_TIMEOUT.toNanos();
        for (int i = 0; i < ok.length; i++) {
            try {
                answers.get(i).get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                ok[i] = true;
            } catch (ExecutionException | TimeoutException e) {
                ok[i] = false;
            }
        }
        return ok;
    }

    private boolean replyOne(Message m, byte[] body) throws IOException {
        try {
            return reply(List.of(m), body)[0] || fail("JetStream did not answer for item " + m.metaData().streamSequence());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for JetStream", e);
        }
    }

    private static boolean fail(String why) throws IOException {
        throw new IOException(why);
    }

    /** The lease, taken out of the table, if {@code session} still holds delivery {@code attempt} of {@code id}. */
    private Lease take(long id, int attempt, long session) {
        Lease l = leases.get(id);
        if (l == null || l.attempt != attempt || l.session != session) {
            return null;
        }
        if (l.deadline <= clock.getAsLong()) {
            leases.remove(id, l);
            return null; // JetStream may have handed it to someone else already
        }
        return leases.remove(id, l) ? l : null;
    }

    @Override
    public boolean[] ack(long[] ids, int[] attempts, long session) throws IOException {
        boolean[] held = new boolean[ids.length];
        List<Message> msgs = new ArrayList<>(ids.length);
        List<Integer> at = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            Lease l = take(ids[i], attempts[i], session);
            if (l != null) {
                msgs.add(l.msg);
                at.add(i);
            }
        }
        if (msgs.isEmpty()) {
            return held;
        }
        boolean[] ok;
        try {
            ok = reply(msgs, ACK);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for JetStream to confirm acks", e);
        }
        int n = 0;
        for (int k = 0; k < ok.length; k++) {
            held[at.get(k)] = ok[k];
            n += ok[k] ? 1 : 0;
        }
        acks.add(n);
        if (n < ok.length) {
            throw new IOException((ok.length - n) + " of " + ok.length + " acks were not confirmed by JetStream;"
                    + " those tasks come back after their lease");
        }
        return held;
    }

    @Override
    public void nack(long id, int attempt, String reason, long delayMillis, long session) throws IOException {
        Lease l = take(id, attempt, session);
        if (l != null) {
            giveBack(l, reason, delayMillis);
        }
    }

    /** Back to JetStream for another delivery, or on to the dead letters after the last attempt. */
    private void giveBack(Lease l, String reason, long delayMillis) throws IOException {
        if (dead != null && l.attempt >= config.maxAttempts()) {
            deadLetter(l.msg, l.msg.metaData().streamSequence(), l.attempt, reason);
            return;
        }
        replyOne(l.msg, delayMillis > 0 ? nakWithDelay(delayMillis) : NAK);
    }

    private static byte[] nakWithDelay(long delayMillis) {
        return ("-NAK {\"delay\":" + TimeUnit.MILLISECONDS.toNanos(delayMillis) + "}").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Stores the dead letter, then finishes the original: a crash between the two leaves both, never
     * neither; the dead letter's message id makes a repeat store it once.
     */
    private void deadLetter(Message m, long id, int attempts, String reason) throws IOException {
        byte[] letter;
        try {
            letter = deadLetterCodec.apply(new DeadLetter(name(), id, attempts, reason, clock.getAsLong(), m.getData()));
        } catch (RuntimeException e) {
            log.error("could not make a dead letter of task {} of '{}' ({}); returning it to the queue", id, name(),
                    e.toString());
            replyOne(m, NAK);
            return;
        }
        dead.publishLetter(letter, "dead-" + stream + "-" + id);
        replyOne(m, ACK);
    }

    private void publishLetter(byte[] letter, String messageId) throws IOException {
        if (!publish(letter, messageId, null)) {
            throw new IOException("dead-letter queue '" + name() + "' is full");
        }
        puts.increment();
    }

    /**
     * JetStream cannot give back a delivery without counting it, so an undelayed release stores the item
     * again with the attempts spent so far and finishes the original: it keeps its attempts but goes to
     * the tail, under a new id. A delayed release is a delayed NAK, and spends the attempt.
     */
    @Override
    public void release(long id, int attempt, long delayMillis, long session) throws IOException {
        Lease l = take(id, attempt, session);
        if (l == null) {
            return;
        }
        if (delayMillis > 0) {
            replyOne(l.msg, nakWithDelay(delayMillis));
            return;
        }
        Headers h = new Headers().put(SPENT_HEADER, Integer.toString(attempt - 1));
        try {
            js.publish(subject, h, l.msg.getData(), options("release-" + stream + "-" + id + "-" + attempt));
        } catch (JetStreamApiException e) {
            // The stream is full: an ordinary NAK keeps the item, at the cost of the attempt.
            replyOne(l.msg, NAK);
            return;
        }
        replyOne(l.msg, ACK);
    }

    /** Publishes items taken for good again; JetStream has no head to put them at, so they go to the tail. */
    @Override
    public void giveBack(byte[][] items) throws IOException {
        for (byte[] item : items) {
            try {
                js.publish(subject, null, item, PublishOptions.builder().expectedStream(stream).build());
            } catch (JetStreamApiException e) {
                throw storeFailed("give back to", e);
            }
        }
    }

    @Override
    public long[] extend(long[] ids, int[] attempts, long session) {
        long[] out = new long[ids.length];
        List<Message> msgs = new ArrayList<>();
        List<Integer> at = new ArrayList<>();
        long now = clock.getAsLong();
        for (int i = 0; i < ids.length; i++) {
            Lease l = leases.get(ids[i]);
            if (l != null && l.attempt == attempts[i] && l.session == session && l.deadline > now) {
                msgs.add(l.msg);
                at.add(i);
            }
        }
        if (msgs.isEmpty()) {
            return out;
        }
        boolean[] ok;
        try {
            ok = reply(msgs, PROGRESS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return out;
        }
        long deadline = now + config.leaseMillis();
        for (int k = 0; k < ok.length; k++) {
            int i = at.get(k);
            Lease l = leases.get(ids[i]);
            if (ok[k] && l != null && l.msg == msgs.get(k)) {
                leases.put(ids[i], new Lease(l.msg, l.attempt, l.session, deadline));
                out[i] = deadline;
            }
        }
        return out;
    }

    /** JetStream redelivers by itself; this only forgets the leases that ran out. */
    @Override
    public void expireLeases(long now) {
        leases.values().removeIf(l -> l.deadline <= now);
    }

    @Override
    public void releaseSession(long session) throws IOException {
        for (Map.Entry<Long, Lease> e : leases.entrySet()) {
            Lease l = e.getValue();
            if (l.session == session && leases.remove(e.getKey(), l)) {
                giveBack(l, "its consumer went away (session ended) on attempt " + l.attempt, 0);
            }
        }
    }

    @Override
    public void wakeWaiters() {
        try {
            for (String inbox : waitingInboxes) {
                nc.publish(inbox, WAKE);
            }
        } catch (IllegalStateException e) {
            // the connection is closed, which ends every wait on it too
        }
        room.wake();
    }

    // ---- views ------------------------------------------------------------------------------------

    /** Items in stream order, skipping those leased through this server; leases held elsewhere show. */
    @Override
    public byte[][] peek(int max) {
        List<byte[]> out = new ArrayList<>();
        try {
            StreamInfo info = jsm.getStreamInfo(stream);
            long seq = info.getStreamState().getFirstSequence();
            long last = info.getStreamState().getLastSequence();
            while (out.size() < max && seq <= last && info.getStreamState().getMsgCount() > 0) {
                MessageInfo m = jsm.getNextMessage(stream, seq, subject);
                if (m == null) {
                    break;
                }
                if (!leases.containsKey(m.getSeq())) {
                    out.add(m.getData());
                }
                seq = m.getSeq() + 1;
            }
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != 10037) { // no message found: the end
                log.warn("peek at '{}' failed: {}", name(), e.toString());
            }
        } catch (IOException e) {
            log.warn("peek at '{}' failed: {}", name(), e.toString());
        }
        return out.toArray(new byte[0][]);
    }

    @Override
    public int size() {
        return counts()[0];
    }

    /** Waiting (stored, not leased) and in flight, across every server; both 0 when NATS cannot say. */
    private int[] counts() {
        try {
            long stored = jsm.getStreamInfo(stream).getStreamState().getMsgCount();
            long leased = jsm.getConsumerInfo(stream, CONSUMER).getNumAckPending();
            return new int[] {(int) Math.max(0, stored - leased), (int) leased};
        } catch (IOException | JetStreamApiException e) {
            log.warn("could not read the counts of '{}' from JetStream: {}", name(), e.toString());
            return new int[] {0, 0};
        }
    }

    @Override
    public QueueStats stats() {
        int deadLetters = dead == null ? 0 : dead.size();
        int[] counts = counts();
        long oldest = 0;
        if (counts[0] > 0) {
            try {
                ZonedDateTime first = jsm.getStreamInfo(stream).getStreamState().getFirstTime();
                oldest = first == null ? 0 : Math.max(0, clock.getAsLong() - first.toInstant().toEpochMilli());
            } catch (IOException | JetStreamApiException e) {
                oldest = 0;
            }
        }
        return new QueueStats(name(), counts[0], counts[1], config.capacity(), deadLetters, puts.sum(), takes.sum(),
                acks.sum(), oldest);
    }

    @Override
    public Map<Long, Integer> leasesBySession() {
        Map<Long, Integer> out = new HashMap<>();
        leases.values().forEach(l -> out.merge(l.session, 1, Integer::sum));
        return out;
    }

    /** Takes and finishes every item JetStream will deliver now; leased ones, anywhere, stay. */
    @Override
    public int purge() throws IOException {
        int n = 0;
        try {
            while (true) {
                byte[][] got = poll(1_000, 0, null);
                if (got.length == 0) {
                    return n;
                }
                n += got.length;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return n;
        }
    }

    @Override
    public void close() {
        closed = true;
        wakeWaiters();
    }

    private void checkOpen() {
        if (closed) {
            throw new ServerShutdownException("rmiq server is shutting down; queue '" + name() + "' is closed");
        }
    }

    private IOException storeFailed(String what, Throwable cause) {
        return new IOException("NATS JetStream refused or did not confirm a " + what + " '" + name() + "': "
                + cause.getMessage(), cause);
    }

    /** A version counter to wait on for a change, without a lost wake-up. */
    private static final class Signal {
        private long version;

        synchronized long version() {
            return version;
        }

        synchronized void wake() {
            version++;
            notifyAll();
        }

        synchronized void await(long seen, long nanos) throws InterruptedException {
            long end = System.nanoTime() + nanos;
            while (version == seen) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }
}
