package io.rmiq.server.journal;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * Where queue changes are recorded so they outlive the process. Thread-safe.
 *
 * <p>{@link #write} returns once the records are in the file (they survive {@code kill -9} of the
 * server); whether they are also on the disk (and survive a power cut) is the fsync policy's call.
 */
public interface Journal extends Closeable {

    /**
     * Appends records, in order, as one group.
     *
     * @return the segment they were written to, which the caller keeps with each task it put
     */
    int write(List<JournalRecord> records) throws IOException;

    /** A journal that keeps nothing: queues live in memory only. */
    Journal NONE = new Journal() {
        @Override
        public int write(List<JournalRecord> records) {
            return 0;
        }

        @Override
        public void close() {
        }
    };
}
