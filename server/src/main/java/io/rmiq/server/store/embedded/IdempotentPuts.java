package io.rmiq.server.store.embedded;

import io.rmiq.api.ServerUnavailableException;
import io.rmiq.server.journal.JournalRecord;
import io.rmiq.server.journal.ProducerWindow;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Puts that carry a producer id and a sequence number are stored at most once: a retry of a put the
 * server already stored (its reply was lost with the connection) is answered with the first
 * attempt's count; a retry that arrives while the first attempt is still running (waiting for room)
 * waits for it. Shared by every queue of a server: a client numbers all its puts in one sequence.
 */
public final class IdempotentPuts {

    /** Longer than any single put waits on the server (one slice, plus a journal write). */
    static final long FIRST_ATTEMPT_WAIT_MILLIS = 60_000;

    /** A put, run once. */
    @FunctionalInterface
    public interface Put {
        int run() throws InterruptedException, IOException;
    }

    private record Key(long producer, long sequence) {
    }

    private final ProducerWindow window;
    private final boolean journalRecords;
    private final ConcurrentHashMap<Key, CompletableFuture<Integer>> running = new ConcurrentHashMap<>();

    /**
     * @param window         the producers' recent puts
     * @param journalRecords whether the journal notes each record it writes in {@code window} itself
     *                       (a file journal does, under its write lock); without a journal, this does
     */
    public IdempotentPuts(ProducerWindow window, boolean journalRecords) {
        this.window = window;
        this.journalRecords = journalRecords;
    }

    /** The record to journal with the items a put stored, {@code count} in all so far. */
    JournalRecord.Produced produced(long producer, long sequence, int count) {
        return new JournalRecord.Produced(producer, System.currentTimeMillis(), sequence, count);
    }

    /** Notes a record once it is journaled, unless the journal did. */
    void stored(JournalRecord.Produced p) {
        if (!journalRecords) {
            window.record(p);
        }
    }

    /** Runs {@code put} unless put {@code (producer, sequence)} already ran; returns how many items it stored. */
    public int once(long producer, long sequence, Put put) throws InterruptedException, IOException {
        if (producer == 0) {
            return put.run();
        }
        Key key = new Key(producer, sequence);
        while (true) {
            CompletableFuture<Integer> mine = new CompletableFuture<>();
            CompletableFuture<Integer> first = running.putIfAbsent(key, mine);
            if (first == null) {
                try {
                    // Checked only once no attempt runs: a running one may store more than the window says yet.
                    int known = window.stored(producer, sequence);
                    int n = known >= 0 ? known : put.run();
                    mine.complete(n);
                    return n;
                } catch (Throwable t) {
                    mine.completeExceptionally(t);
                    throw t;
                } finally {
                    running.remove(key, mine);
                }
            }
            try {
                return first.get(FIRST_ATTEMPT_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                // The first attempt failed; what it stored before failing is in the window. Try again.
            } catch (TimeoutException e) {
                throw new ServerUnavailableException("an earlier attempt of this put is still running after "
                        + FIRST_ATTEMPT_WAIT_MILLIS / 1000 + " s; try again");
            }
        }
    }
}
