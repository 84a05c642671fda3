package io.rmiq.api;

import java.io.Serializable;
import java.util.Map;

/**
 * A client session as the server sees it: who, since when, and what it holds.
 *
 * @param id          the session id
 * @param description who opened it, e.g. "pid 4242 on worker-3"
 * @param openedAt    epoch milliseconds
 * @param lastSeenAt  epoch milliseconds of its last heartbeat or call
 * @param leased      leased tasks it holds, by queue
 */
public record SessionInfo(long id, String description, long openedAt, long lastSeenAt, Map<String, Integer> leased)
        implements Serializable {
}
