package io.rmiq.server.journal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The recent puts of each producer, by sequence number: what a retried put needs to be recognised
 * and acknowledged without being stored again (Kafka's idempotent producer is the model).
 *
 * <p>Bounded three ways, so no client can make it grow without end: the newest {@link #PER_PRODUCER}
 * sequences of each producer; producers whose last put is {@link #IDLE_MILLIS} older than the newest
 * put seen are forgotten; and beyond {@link #MAX_PRODUCERS}, the least recently active go first.
 * Time is the put's own wall-clock stamp, as journaled, so a replay after a restart forgets exactly
 * what the live window did. Thread-safe.
 */
public final class ProducerWindow {

    public static final int PER_PRODUCER = 256;
    public static final long IDLE_MILLIS = 3_600_000;
    public static final int MAX_PRODUCERS = 4_096;

    /** One producer's newest sequences, a ring. */
    private static final class Recent {
        final long[] sequences = new long[PER_PRODUCER];
        final int[] counts = new int[PER_PRODUCER];
        int size;
        int next;
        long lastAtMillis;
        /** The greatest sequence held: a client numbers its puts upwards, so a new one is found at once. */
        long newest = Long.MIN_VALUE;

        int find(long sequence) {
            if (sequence > newest) {
                return -1;
            }
            for (int i = 0; i < size; i++) {
                if (sequences[i] == sequence) {
                    return i;
                }
            }
            return -1;
        }
    }

    // In order of each producer's latest put: the eldest entry is the least recently active producer.
    private final LinkedHashMap<Long, Recent> producers = new LinkedHashMap<>();
    private long newestAtMillis;
    private Recent latest; // the last entry of producers (or one forgotten since)

    /** How many items the put {@code (producer, sequence)} stored, or -1 if the window does not know it. */
    public synchronized int stored(long producer, long sequence) {
        Recent r = producers.get(producer);
        if (r == null) {
            return -1;
        }
        int i = r.find(sequence);
        return i < 0 ? -1 : r.counts[i];
    }

    /** Records what a journaled (or replayed) {@link JournalRecord.Produced} says; repeats keep the larger count. */
    public synchronized void record(JournalRecord.Produced p) {
        Recent r = producers.get(p.id());
        if (r == null) {
            r = new Recent();
            producers.put(p.id(), r);
        } else if (r != latest) {
            // Moved to the end, as the most recently active; a producer putting again is there already.
            producers.remove(p.id());
            producers.put(p.id(), r);
        }
        latest = r;
        for (int k = 0; k < p.sequences().length; k++) {
            int i = r.find(p.sequences()[k]);
            if (i >= 0) {
                r.counts[i] = Math.max(r.counts[i], p.counts()[k]);
                continue;
            }
            r.newest = Math.max(r.newest, p.sequences()[k]);
            r.sequences[r.next] = p.sequences()[k];
            r.counts[r.next] = p.counts()[k];
            r.next = (r.next + 1) % PER_PRODUCER;
            r.size = Math.min(r.size + 1, PER_PRODUCER);
        }
        r.lastAtMillis = Math.max(r.lastAtMillis, p.atMillis());
        newestAtMillis = Math.max(newestAtMillis, p.atMillis());
        forgetIdle();
    }

    private void forgetIdle() {
        for (Iterator<Map.Entry<Long, Recent>> it = producers.entrySet().iterator(); it.hasNext(); ) {
            Recent eldest = it.next().getValue();
            if (producers.size() > MAX_PRODUCERS || eldest.lastAtMillis < newestAtMillis - IDLE_MILLIS) {
                it.remove();
            } else {
                return;
            }
        }
    }

    /**
     * The whole window as one record per producer, eldest first: each new journal segment starts
     * with it, so deleting old segments never loses what the window knew.
     */
    public synchronized List<JournalRecord.Produced> snapshot() {
        List<JournalRecord.Produced> out = new ArrayList<>(producers.size());
        for (Map.Entry<Long, Recent> e : producers.entrySet()) {
            Recent r = e.getValue();
            long[] sequences = new long[r.size];
            int[] counts = new int[r.size];
            for (int k = 0; k < r.size; k++) {
                int i = (r.next - r.size + k + PER_PRODUCER) % PER_PRODUCER; // oldest first
                sequences[k] = r.sequences[i];
                counts[k] = r.counts[i];
            }
            out.add(new JournalRecord.Produced(e.getKey(), r.lastAtMillis, sequences, counts));
        }
        return out;
    }

    /** How many producers it remembers. */
    public synchronized int producers() {
        return producers.size();
    }
}
