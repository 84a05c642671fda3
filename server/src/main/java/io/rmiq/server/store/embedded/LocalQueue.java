package io.rmiq.server.store.embedded;

import io.rmiq.server.queue.Sessions;
import io.rmiq.server.store.QueueStore;
import io.rmiq.server.queue.QueueConfig;
import io.rmiq.api.DeadLetter;
import io.rmiq.api.LeasedItem;
import io.rmiq.api.QueueStats;
import io.rmiq.api.ServerShutdownException;
import io.rmiq.api.internal.ItemFrames;
import io.rmiq.server.journal.Journal;
import io.rmiq.server.journal.JournalRecord;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One queue: the engine. Thread-safe, with one lock per queue, so queues never contend.
 *
 * <p>A task is in exactly one place: {@code ready} (FIFO), {@code delayed} (nacked with a delay),
 * or {@code leased} (received and not yet acked). Leases that run out, and those of sessions that
 * end, put their task back at the head of {@code ready}; after {@code maxAttempts} deliveries it moves
 * to the dead-letter queue instead.
 *
 * <p>Durability rule: a task is written to the journal before anyone can see it, so that no ack can
 * ever precede its put in the journal. Journal writes happen outside the lock, so producers to one
 * queue share fsyncs (group commit) instead of queueing behind each other's.
 */
public final class LocalQueue implements QueueStore {

    private static final Logger log = LoggerFactory.getLogger(LocalQueue.class);
    private static final byte[][] NO_ITEMS = new byte[0][];
    private static final LeasedItem[] NO_LEASES = new LeasedItem[0];

    private final QueueConfig config;
    private final Journal journal;
    private final AtomicLong ids;
    private final LongSupplier clock;
    private final LocalQueue dead;
    private final Function<DeadLetter, byte[]> deadLetterCodec;
    private final MemoryBudget memory;
    private final IdempotentPuts idempotent;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final ArrayDeque<Task> ready = new ArrayDeque<>();
    private final PriorityQueue<Task> delayed = new PriorityQueue<>(Comparator.comparingLong(t -> t.notBefore));
    private final LeaseTable leased = new LeaseTable();
    private int reserved;
    private boolean closed;
    private final LongAdder puts = new LongAdder();
    private final LongAdder takes = new LongAdder();
    private final LongAdder acks = new LongAdder();

    /**
     * @param ids             the server-wide task id sequence
     * @param dead            where tasks go after too many attempts; null for a dead-letter queue itself
     * @param deadLetterCodec serializes a dead letter into the dead queue's item bytes
     */
    public LocalQueue(QueueConfig config, Journal journal, AtomicLong ids, LongSupplier clock, LocalQueue dead,
            Function<DeadLetter, byte[]> deadLetterCodec, MemoryBudget memory, IdempotentPuts idempotent) {
        this.memory = memory;
        this.idempotent = idempotent;
        this.config = config;
        this.journal = journal;
        this.ids = ids;
        this.clock = clock;
        this.dead = dead;
        this.deadLetterCodec = deadLetterCodec;
    }

    public String name() {
        return config.name();
    }

    public QueueConfig config() {
        return config;
    }

    /** The dead-letter queue, or null if this is one. */
    public LocalQueue deadLetters() {
        return dead;
    }

    /** Puts back tasks found in the journal at start, in order, before any client is served. */
    public void restore(long id, int attempt, byte[] payload, int segment) {
        memory.take(MemoryBudget.cost(payload));
        lock.lock();
        try {
            ready.addLast(new Task(id, payload, attempt, segment, clock.getAsLong()));
        } finally {
            lock.unlock();
        }
    }

    /**
     * As {@link #offer(byte[][], long)}, as put {@code sequence} of {@code producer} (0: none): a put
     * the server already stored is not stored again, and returns what it stored the first time.
     */
    public int offer(byte[][] batch, long timeoutMillis, long producer, long sequence)
            throws InterruptedException, IOException {
        return idempotent.once(producer, sequence, () -> store(batch, timeoutMillis, producer, sequence));
    }

    private int store(byte[][] batch, long timeoutMillis, long producer, long sequence)
            throws InterruptedException, IOException {
        long nanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMillis));
        int done = 0;
        while (done < batch.length) {
            int k;
            lock.lockInterruptibly();
            try {
                while (true) {
                    checkOpen();
                    k = Math.min(config.capacity() - held(), batch.length - done);
                    if (k > 0) {
                        reserved += k;
                        break;
                    }
                    if (nanos <= 0) {
                        return done;
                    }
                    nanos = notFull.awaitNanos(nanos);
                }
            } finally {
                lock.unlock();
            }
            long bytes = 0;
            for (int i = 0; i < k; i++) {
                bytes += MemoryBudget.cost(batch[done + i]);
            }
            if (!memory.tryTake(bytes)) {
                release(k);
                if (nanos <= 0) {
                    return done;
                }
                // The server-wide budget is spent: wait for any queue to free some, as on a full queue.
                nanos = memory.awaitRoom(bytes, nanos, () -> closed);
                continue;
            }
            List<JournalRecord> records = new ArrayList<>(k + 1);
            long first = ids.getAndAdd(k);
            for (int i = 0; i < k; i++) {
                records.add(new JournalRecord.Put(name(), first + i, 0, batch[done + i]));
            }
            // In the same write as the items: after a crash either both are in the journal or neither.
            JournalRecord.Produced produced = producer == 0 ? null : idempotent.produced(producer, sequence, done + k);
            if (produced != null) {
                records.add(produced);
            }
            int segment;
            boolean written = false;
            try {
                segment = journal.write(records);
                written = true;
            } finally {
                if (!written) {
                    release(k);
                    memory.give(bytes);
                }
            }
            lock.lock();
            try {
                reserved -= k;
                long now = clock.getAsLong();
                for (int i = 0; i < k; i++) {
                    ready.addLast(new Task(first + i, batch[done + i], 0, segment, now));
                }
                puts.add(k);
                notEmpty.signalAll();
            } finally {
                lock.unlock();
            }
            if (produced != null) {
                idempotent.stored(produced);
            }
            done += k;
        }
        return done;
    }

    /**
     * As {@link #poll(int, long)}; the wait also ends, with no items, when {@code waiter}'s waits are
     * cancelled ({@link Sessions#cancelWaits}, then {@link #wakeWaiters}).
     *
     * @param waiter the caller's session, or null
     */
    public byte[][] poll(int max, long timeoutMillis, Sessions.Session waiter) throws InterruptedException, IOException {
        List<Task> taken = take(max, timeoutMillis, 0, waiter);
        if (taken.isEmpty()) {
            return NO_ITEMS;
        }
        byte[][] out = new byte[taken.size()][];
        List<JournalRecord> acks = new ArrayList<>(taken.size());
        for (int i = 0; i < out.length; i++) {
            Task t = taken.get(i);
            out[i] = t.payload;
            acks.add(new JournalRecord.Ack(name(), t.id, t.segment));
            memory.give(MemoryBudget.cost(t.payload));
        }
        try {
            journal.write(acks);
        } catch (IOException e) {
            // The items are out of the queue: hand them over rather than lose them. At worst the acks
            // did not reach the journal and the items come back after a restart.
            log.error("journal write for items taken from '{}' failed: {}", name(), e.toString());
        }
        return out;
    }

    /** As {@link #receive(int, long, long)}; the wait also ends when {@code waiter}'s waits are cancelled. */
    public LeasedItem[] receive(int max, long timeoutMillis, long session, Sessions.Session waiter)
            throws InterruptedException {
        List<Task> taken = take(max, timeoutMillis, session, waiter);
        if (taken.isEmpty()) {
            return NO_LEASES;
        }
        LeasedItem[] out = new LeasedItem[taken.size()];
        for (int i = 0; i < out.length; i++) {
            Task t = taken.get(i);
            out[i] = new LeasedItem(t.id, t.attempt, t.leaseDeadline, t.payload);
        }
        return out;
    }

    /** Takes ready tasks: for good when {@code session} is 0, else under a lease to it. */
    private List<Task> take(int max, long timeoutMillis, long session, Sessions.Session waiter)
            throws InterruptedException {
        long nanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMillis));
        int mark = waiter == null ? 0 : waiter.waitMark();
        lock.lockInterruptibly();
        try {
            while (true) {
                checkOpen();
                long now = clock.getAsLong();
                promoteDue(now);
                if (!ready.isEmpty()) {
                    List<Task> out = new ArrayList<>(Math.min(max, ready.size()));
                    // A frame stays near ItemFrames.TARGET_BYTES, so it passes the caller's filter
                    long bytes = 0;
                    int counted = 0;
                    while (out.size() < max && !ready.isEmpty()) {
                        bytes += ready.peekFirst().payload.length;
                        if (!out.isEmpty() && bytes > ItemFrames.TARGET_BYTES) {
                            break;
                        }
                        Task t = ready.pollFirst();
                        if (t.givenBack) {
                            t.givenBack = false; // its first take was counted
                        } else {
                            counted++;
                        }
                        if (session != 0) {
                            t.attempt++;
                            t.session = session;
                            t.leaseDeadline = now + config.leaseMillis();
                            leased.put(t);
                        }
                        out.add(t);
                    }
                    if (session == 0) {
                        notFull.signalAll();
                        acks.add(counted);
                    }
                    takes.add(counted);
                    return out;
                }
                if (nanos <= 0 || (waiter != null && waiter.cancelledSince(mark))) {
                    return List.of();
                }
                long untilDue = delayed.isEmpty() ? Long.MAX_VALUE
                        : TimeUnit.MILLISECONDS.toNanos(Math.max(1, delayed.peek().notBefore - now));
                long waited = Math.min(nanos, untilDue);
                nanos -= waited - notEmpty.awaitNanos(waited);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Finishes leased tasks; for each id, whether {@code session} still held it. */
    public boolean[] ack(long[] ids, int[] attempts, long session) throws IOException {
        boolean[] held = new boolean[ids.length];
        List<JournalRecord> acks = new ArrayList<>(ids.length);
        lock.lock();
        try {
            for (int i = 0; i < ids.length; i++) {
                Task t = leased.get(ids[i]);
                if (holds(t, attempts[i], session)) {
                    leased.remove(ids[i]);
                    memory.give(MemoryBudget.cost(t.payload));
                    held[i] = true;
                    acks.add(new JournalRecord.Ack(name(), t.id, t.segment));
                }
            }
            if (!acks.isEmpty()) {
                notFull.signalAll();
                this.acks.add(acks.size());
            }
        } finally {
            lock.unlock();
        }
        if (!acks.isEmpty()) {
            journal.write(acks);
        }
        return held;
    }

    /** Gives a leased task back, now or after {@code delayMillis}; ignored unless {@code session} holds it. */
    public void nack(long id, int attempt, String reason, long delayMillis, long session) throws IOException {
        Outcome outcome = new Outcome();
        lock.lock();
        try {
            Task t = leased.get(id);
            if (!holds(t, attempt, session)) {
                return;
            }
            leased.remove(id);
            giveBack(t, reason, Math.max(0, delayMillis), outcome);
        } finally {
            lock.unlock();
        }
        outcome.finish();
    }

    /**
     * Gives a leased task back without spending an attempt, invisible for {@code delayMillis}; ignored
     * unless {@code session} holds it. It never moves to the dead letters: the delivery did not count.
     */
    public void release(long id, int attempt, long delayMillis, long session) throws IOException {
        List<JournalRecord> records;
        lock.lock();
        try {
            Task t = leased.get(id);
            if (!holds(t, attempt, session)) {
                return;
            }
            leased.remove(id);
            t.attempt--;
            records = List.of(new JournalRecord.Requeue(name(), t.id, t.attempt));
            if (delayMillis > 0) {
                t.notBefore = clock.getAsLong() + delayMillis;
                delayed.add(t);
            } else {
                ready.addFirst(t);
            }
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
        journal.write(records);
    }

    /**
     * Puts items taken for good back at the head, in their order, ignoring capacity and the memory
     * limit (they were held a moment ago): for a consumer that could not hand them over. Returns once
     * they are in the journal, as new tasks.
     */
    public void giveBack(byte[][] items) throws IOException {
        if (items.length == 0) {
            return;
        }
        long first = ids.getAndAdd(items.length);
        List<JournalRecord> records = new ArrayList<>(items.length);
        long bytes = 0;
        for (int i = 0; i < items.length; i++) {
            records.add(new JournalRecord.Put(name(), first + i, 0, items[i]));
            bytes += MemoryBudget.cost(items[i]);
        }
        int segment = journal.write(records);
        memory.take(bytes);
        lock.lock();
        try {
            long now = clock.getAsLong();
            for (int i = items.length - 1; i >= 0; i--) {
                Task t = new Task(first + i, items[i], 0, segment, now);
                t.givenBack = true;
                ready.addFirst(t);
            }
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every wait on this queue, so that those whose session's waits were cancelled end. */
    public void wakeWaiters() {
        lock.lock();
        try {
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Renews leases; for each id the new deadline, or 0 if {@code session} no longer held it. */
    public long[] extend(long[] ids, int[] attempts, long session) {
        long[] deadlines = new long[ids.length];
        lock.lock();
        try {
            long deadline = clock.getAsLong() + config.leaseMillis();
            for (int i = 0; i < ids.length; i++) {
                Task t = leased.get(ids[i]);
                if (holds(t, attempts[i], session)) {
                    t.leaseDeadline = deadline;
                    deadlines[i] = deadline;
                }
            }
        } finally {
            lock.unlock();
        }
        return deadlines;
    }

    /** Whether a lease (a task's delivery number {@code attempt}) is still held by {@code session}. */
    private static boolean holds(Task t, int attempt, long session) {
        return t != null && t.attempt == attempt && t.session == session;
    }

    /** Gives back every task whose lease ran out by {@code now}. */
    public void expireLeases(long now) throws IOException {
        releaseWhere(t -> t.leaseDeadline <= now, t -> "lease expired on attempt " + t.attempt);
    }

    /** Gives back every task leased to a session that has ended. */
    public void releaseSession(long session) throws IOException {
        releaseWhere(t -> t.session == session, t -> "its consumer went away (session ended) on attempt " + t.attempt);
    }

    private void releaseWhere(java.util.function.Predicate<Task> which, Function<Task, String> reason)
            throws IOException {
        Outcome outcome = new Outcome();
        lock.lock();
        try {
            List<Task> expired = leased.removeIf(which);
            // Back at the head in their original order: the earliest-put goes first again.
            expired.sort(Comparator.comparingLong((Task t) -> t.id).reversed());
            for (Task t : expired) {
                giveBack(t, reason.apply(t), 0, outcome);
            }
        } finally {
            lock.unlock();
        }
        outcome.finish();
    }

    /** Under the lock: back to the head, into the delay set, or on to the dead-letter queue. */
    private void giveBack(Task t, String reason, long delayMillis, Outcome outcome) {
        byte[] letter = null;
        if (dead != null && t.attempt >= config.maxAttempts()) {
            try {
                letter = deadLetterCodec.apply(new DeadLetter(name(), t.id, t.attempt, reason, clock.getAsLong(),
                        t.payload));
            } catch (RuntimeException e) {
                // Never lose the task over its dead letter: it goes back to the queue instead.
                log.error("could not make a dead letter of task {} of '{}' ({}); returning it to the queue",
                        t.id, name(), e.toString());
            }
        }
        if (letter != null) {
            long deadId = ids.getAndIncrement();
            outcome.records.add(new JournalRecord.Put(dead.name(), deadId, 0, letter));
            outcome.records.add(new JournalRecord.Ack(name(), t.id, t.segment));
            outcome.deadTasks.add(new Task(deadId, letter, 0, 0, clock.getAsLong()));
            memory.give(MemoryBudget.cost(t.payload));
            notFull.signalAll();
            return;
        }
        outcome.records.add(new JournalRecord.Requeue(name(), t.id, t.attempt));
        if (delayMillis > 0) {
            t.notBefore = clock.getAsLong() + delayMillis;
            delayed.add(t);
        } else {
            ready.addFirst(t);
        }
        notEmpty.signalAll();
    }

    /** What giving tasks back leaves to do once the lock is released. */
    private final class Outcome {
        final List<JournalRecord> records = new ArrayList<>();
        final List<Task> deadTasks = new ArrayList<>();

        void finish() throws IOException {
            if (records.isEmpty()) {
                return;
            }
            int segment = journal.write(records);
            if (!deadTasks.isEmpty()) {
                deadTasks.forEach(t -> t.segment = segment);
                dead.append(deadTasks);
            }
        }
    }

    /** Adds already-journaled tasks at the tail, ignoring capacity: dead letters must not be refused. */
    private void append(List<Task> tasks) {
        tasks.forEach(t -> memory.take(MemoryBudget.cost(t.payload)));
        lock.lock();
        try {
            tasks.forEach(ready::addLast);
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Copies this queue's live tasks out of {@code segment} into the journal's current one, so that the
     * old segment can be deleted. Holds the lock while writing, so no ack of a copied task can reach the
     * journal before its copy (which would bring an acked task back at the next start).
     *
     * @return how many were copied
     */
    public int copyForward(int segment) throws IOException {
        lock.lock();
        try {
            List<Task> live = new ArrayList<>();
            for (Task t : ready) {
                if (t.segment == segment) {
                    live.add(t);
                }
            }
            for (Task t : delayed) {
                if (t.segment == segment) {
                    live.add(t);
                }
            }
            leased.forEach(t -> {
                if (t.segment == segment) {
                    live.add(t);
                }
            });
            if (live.isEmpty()) {
                return 0;
            }
            List<JournalRecord> copies = new ArrayList<>(live.size());
            for (Task t : live) {
                copies.add(new JournalRecord.Put(name(), t.id, t.attempt, t.payload, segment));
            }
            int now = journal.write(copies);
            for (Task t : live) {
                t.segment = now;
            }
            return live.size();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: moves delayed tasks whose time has come to the head of the queue. */
    private void promoteDue(long now) {
        while (!delayed.isEmpty() && delayed.peek().notBefore <= now) {
            ready.addFirst(delayed.poll());
        }
    }

    private int held() {
        return ready.size() + delayed.size() + leased.size() + reserved;
    }

    private void release(int k) {
        lock.lock();
        try {
            reserved -= k;
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Up to {@code max} waiting items, ready ones first, without taking them. */
    public byte[][] peek(int max) {
        lock.lock();
        try {
            List<byte[]> out = new ArrayList<>(Math.min(max, ready.size() + delayed.size()));
            for (Task t : ready) {
                if (out.size() == max) {
                    break;
                }
                out.add(t.payload);
            }
            for (Task t : delayed) {
                if (out.size() == max) {
                    break;
                }
                out.add(t.payload);
            }
            return out.toArray(new byte[0][]);
        } finally {
            lock.unlock();
        }
    }

    /** Tasks waiting: ready and delayed. */
    public int size() {
        lock.lock();
        try {
            return ready.size() + delayed.size();
        } finally {
            lock.unlock();
        }
    }

    public QueueStats stats() {
        int deadLetters = dead == null ? 0 : dead.size();
        lock.lock();
        try {
            long oldest = 0;
            Task head = ready.peekFirst();
            for (Task t : delayed) {
                if (head == null || t.enqueuedAt < head.enqueuedAt) {
                    head = t;
                }
            }
            if (head != null) {
                oldest = Math.max(0, clock.getAsLong() - head.enqueuedAt);
            }
            return new QueueStats(name(), ready.size() + delayed.size(), leased.size(), config.capacity(), deadLetters,
                    puts.sum(), takes.sum(), acks.sum(), oldest);
        } finally {
            lock.unlock();
        }
    }

    /** Leased tasks per session. */
    public Map<Long, Integer> leasesBySession() {
        lock.lock();
        try {
            Map<Long, Integer> out = new HashMap<>();
            leased.forEach(t -> out.merge(t.session, 1, Integer::sum));
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Removes every waiting task for good; leased ones stay. Returns how many went. */
    public int purge() throws IOException {
        List<JournalRecord> records = new ArrayList<>();
        lock.lock();
        try {
            for (Task t : ready) {
                records.add(new JournalRecord.Ack(name(), t.id, t.segment));
                memory.give(MemoryBudget.cost(t.payload));
            }
            for (Task t : delayed) {
                records.add(new JournalRecord.Ack(name(), t.id, t.segment));
                memory.give(MemoryBudget.cost(t.payload));
            }
            ready.clear();
            delayed.clear();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
        journal.write(records);
        return records.size();
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
        memory.wakeAll(); // a producer of this queue may be waiting for room in the shared budget
    }

    private void checkOpen() {
        if (closed) {
            throw new ServerShutdownException("rmiq server is shutting down; queue '" + name() + "' is closed");
        }
    }
}
