package io.rmiq.api;

import java.util.List;

/** A queue was asked for by a name the server does not have. The message lists the ones it has. */
public class NoSuchQueueException extends RmiqException {
    private static final long serialVersionUID = 1L;

    private final String queue;
    private final List<String> existing;

    public NoSuchQueueException(String queue, List<String> existing) {
        super("no queue named '" + queue + "'; this server has: "
                + (existing.isEmpty() ? "(none)" : String.join(", ", existing)));
        this.queue = queue;
        this.existing = List.copyOf(existing);
    }

    /** The name that was asked for. */
    public String queue() {
        return queue;
    }

    /** The names of the queues the server does have, sorted. */
    public List<String> existing() {
        return existing;
    }
}
