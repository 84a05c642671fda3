package io.rmiq.server.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The window's bounds: per producer, idle time and producer count. */
class ProducerWindowTest {

    final ProducerWindow window = new ProducerWindow();

    @Test
    void keepsTheNewestSequencesOfEachProducer() {
        for (int s = 1; s <= ProducerWindow.PER_PRODUCER + 10; s++) {
            window.record(new JournalRecord.Produced(1, 1_000, s, s % 7));
        }
        assertEquals(-1, window.stored(1, 10));
        assertEquals(11 % 7, window.stored(1, 11));
        assertEquals((ProducerWindow.PER_PRODUCER + 10) % 7, window.stored(1, ProducerWindow.PER_PRODUCER + 10));
    }

    @Test
    void aRepeatKeepsTheLargerCount() {
        window.record(new JournalRecord.Produced(1, 1_000, 5, 3));
        window.record(new JournalRecord.Produced(1, 1_000, 5, 1000));
        window.record(new JournalRecord.Produced(1, 1_000, 5, 2));
        assertEquals(1000, window.stored(1, 5));
    }

    @Test
    void forgetsProducersIdleForAnHour_byThePutsOwnClock() {
        window.record(new JournalRecord.Produced(1, 0, 1, 1));
        window.record(new JournalRecord.Produced(2, ProducerWindow.IDLE_MILLIS - 1, 1, 1));
        assertEquals(1, window.stored(1, 1));
        window.record(new JournalRecord.Produced(3, ProducerWindow.IDLE_MILLIS + 1, 1, 1));
        assertEquals(-1, window.stored(1, 1), "idle for more than an hour");
        assertEquals(1, window.stored(2, 1));
    }

    @Test
    void beyondTheProducerLimit_theLeastRecentlyActiveGoFirst() {
        for (long p = 1; p <= ProducerWindow.MAX_PRODUCERS; p++) {
            window.record(new JournalRecord.Produced(p, 1_000, 1, 1));
        }
        window.record(new JournalRecord.Produced(1, 1_000, 2, 1)); // producer 1 puts again: recently active
        window.record(new JournalRecord.Produced(ProducerWindow.MAX_PRODUCERS + 1, 1_000, 1, 1));
        assertEquals(ProducerWindow.MAX_PRODUCERS, window.producers());
        assertEquals(1, window.stored(1, 1));
        assertEquals(-1, window.stored(2, 1));
    }

    @Test
    void aSnapshotReplayedIntoAnEmptyWindow_knowsWhatTheFirstKnew() {
        for (int s = 1; s <= 300; s++) {
            window.record(new JournalRecord.Produced(s % 3 + 1, 1_000 + s, s, s));
        }
        ProducerWindow replayed = new ProducerWindow();
        window.snapshot().forEach(replayed::record);
        for (int s = 1; s <= 300; s++) {
            assertEquals(window.stored(s % 3 + 1, s), replayed.stored(s % 3 + 1, s), "sequence " + s);
        }
    }
}
