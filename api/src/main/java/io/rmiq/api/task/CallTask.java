package io.rmiq.api.task;

/**
 * A serialized {@code Callable} for a worker to call. The callable travels as bytes, so the server
 * stores it without having to allow (or have) its classes; the worker decodes it under its own
 * allow list.
 *
 * @param id       the submitter's id for the task
 * @param callable the callable, serialized
 * @param replyTo  the queue the worker puts the {@link CallResult} on
 */
public record CallTask(String id, byte[] callable, String replyTo) implements Envelope {

    private static final long serialVersionUID = 1L;
}
