package io.rmiq.client.worker;

import io.rmiq.api.task.CallTask;
import io.rmiq.api.task.CommandTask;
import io.rmiq.client.QueueClient;
import io.rmiq.client.command.CommandRunner;
import io.rmiq.client.executor.Calls;
import io.rmiq.serial.PayloadCodec;
import java.util.function.Function;

/**
 * A handler for one worker serving every kind of task on its queue: command tasks run as processes,
 * executor calls run in this JVM, and anything else goes to the fallback handler (the demo's n*n for
 * {@code client.jar worker}). Commands and calls are answered on the queue their submitter named.
 */
public final class TaskDispatcher implements Function<Object, Object> {

    private final PayloadCodec callCodec;
    private final CommandRunner commands;
    private final Function<Object, Object> fallback;

    /**
     * @param fallback for payloads that are neither commands nor calls; null to refuse them (they
     *                 are given back and, after the queue's attempts, land in its dead letters)
     */
    public TaskDispatcher(QueueClient client, CommandRunner commands, Function<Object, Object> fallback) {
        this.callCodec = Calls.codec(client);
        this.commands = commands;
        this.fallback = fallback;
    }

    @Override
    public Object apply(Object payload) {
        if (payload instanceof CommandTask t) {
            try {
                return new Reply(t.replyTo(), commands.run(t));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + t.command(), e);
            }
        }
        if (payload instanceof CallTask t) {
            return new Reply(t.replyTo(), Calls.run(t, callCodec, CommandRunner.WORKER_NAME));
        }
        if (fallback == null) {
            throw new IllegalArgumentException("this worker has no handler for a "
                    + (payload == null ? "null" : payload.getClass().getName()));
        }
        return fallback.apply(payload);
    }
}
