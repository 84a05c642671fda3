package io.rmiq.api.task;

import java.util.List;

/**
 * What running a {@link CommandTask} gave.
 *
 * @param id       the task's id
 * @param command  what was run
 * @param exitCode the process's exit code; 124 if it timed out and was killed, 126 or 127 if it could
 *                 not be started (as a shell reports)
 * @param stdout   standard output, cut at the worker's size cap with a note saying how much was cut
 * @param stderr   standard error, likewise
 * @param error    why the command did not run to its own end (timeout, not found); null if it did
 * @param worker   which worker ran it ({@code host/pid})
 * @param millis   how long it ran
 */
public record CommandResult(String id, List<String> command, int exitCode, String stdout, String stderr,
        String error, String worker, long millis) implements Envelope {

    private static final long serialVersionUID = 1L;

    public CommandResult {
        command = List.copyOf(command);
    }
}
