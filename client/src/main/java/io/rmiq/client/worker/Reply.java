package io.rmiq.client.worker;

/**
 * A handler's result addressed to a queue of its own choosing rather than the worker's results
 * queue: how one worker answers tasks whose submitters wait on different queues.
 *
 * @param queue   where the worker puts {@code payload}
 * @param payload the result
 */
public record Reply(String queue, Object payload) {
}
