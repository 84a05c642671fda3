package io.rmiq.api.task;

import java.util.List;

/**
 * A command for a worker to run as a process: {@code command.get(0)} is the program, the rest its
 * arguments, with no shell in between (ask for one with {@code sh -c '...'}).
 *
 * @param id            the submitter's id for the task
 * @param command       program and arguments
 * @param timeoutMillis how long the process may run before the worker kills it and its children
 * @param replyTo       the queue the worker puts the {@link CommandResult} on
 */
public record CommandTask(String id, List<String> command, long timeoutMillis, String replyTo) implements Envelope {

    private static final long serialVersionUID = 1L;

    public CommandTask {
        if (command == null || command.isEmpty()) {
            throw new IllegalArgumentException("a command needs at least a program name");
        }
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("the timeout must be positive");
        }
        command = List.copyOf(command);
    }
}
