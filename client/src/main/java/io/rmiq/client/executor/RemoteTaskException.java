package io.rmiq.client.executor;

import io.rmiq.api.task.CallResult;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A task that failed on a worker: the cause of the {@code ExecutionException} its future throws.
 * The remote exception is not sent itself (its class may be unknown here); its class name, message
 * and stack trace are, and this exception's stack trace is the remote one.
 */
public final class RemoteTaskException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private static final Pattern FRAME = Pattern.compile(
            "^\\s+at (?:[^/\\s]*/)*?([\\w$.<>]+(?:/0x\\p{XDigit}+)?)\\.([\\w$<>-]+)\\(([^:)]*)(?::(\\d+))?\\)\\s*$");

    private final String remoteClass;
    private final String remoteStackTrace;
    private final String worker;

    RemoteTaskException(CallResult r) {
        super(r.errorClass() + (r.errorMessage() == null ? "" : ": " + r.errorMessage())
                + (r.worker() == null ? "" : " (on worker " + r.worker() + ")"));
        this.remoteClass = r.errorClass();
        this.remoteStackTrace = r.errorTrace() == null ? "" : r.errorTrace();
        this.worker = r.worker();
        setStackTrace(frames(remoteStackTrace));
    }

    /** The class name of the exception the task threw. */
    public String remoteClass() {
        return remoteClass;
    }

    /** The remote stack trace as {@code printStackTrace} wrote it on the worker, causes included. */
    public String remoteStackTrace() {
        return remoteStackTrace;
    }

    /** The worker that ran the task ({@code host/pid}). */
    public String worker() {
        return worker;
    }

    /** The top exception's frames, up to its first "Caused by". */
    static StackTraceElement[] frames(String trace) {
        List<StackTraceElement> out = new ArrayList<>();
        for (String line : trace.split("\n")) {
            if (line.startsWith("Caused by:") || line.startsWith("\tSuppressed:")) {
                break;
            }
            Matcher m = FRAME.matcher(line);
            if (m.matches()) {
                String file = m.group(3).isEmpty() || m.group(3).equals("Unknown Source")
                        || m.group(3).equals("Native Method") ? null : m.group(3);
                int lineNo = m.group(4) != null ? Integer.parseInt(m.group(4))
                        : m.group(3).equals("Native Method") ? -2 : -1;
                out.add(new StackTraceElement(m.group(1), m.group(2), file, lineNo));
            }
        }
        return out.toArray(StackTraceElement[]::new);
    }
}
