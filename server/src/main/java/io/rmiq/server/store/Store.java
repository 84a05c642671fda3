package io.rmiq.server.store;

import java.io.IOException;
import java.util.Map;

/**
 * Where a server's queues live: hands out one {@link QueueStore} per served queue (dead-letter queues
 * included), recovered before the first client is served.
 */
public interface Store extends AutoCloseable {

    /** Every queue by name, sorted, dead-letter queues included. */
    Map<String, QueueStore> queues();

    /** For the start-up log: where the items are kept and how durably. */
    String describe();

    /**
     * A private queue built as the served ones are, durable in the same way, gone when closed: for
     * warming up a front end's code path before clients arrive.
     */
    Scratch scratch(String name) throws IOException;

    /** A private queue and what frees it. */
    interface Scratch extends AutoCloseable {
        QueueStore queue();

        @Override
        void close() throws IOException;
    }

    /** Closes every queue (releasing their waiters), then the storage. */
    @Override
    void close() throws IOException;
}
