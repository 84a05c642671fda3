package io.rmiq.client.executor;

import io.rmiq.api.task.CallResult;
import io.rmiq.api.task.CallTask;
import io.rmiq.client.QueueClient;
import io.rmiq.serial.AllowList;
import io.rmiq.serial.PayloadCodec;
import io.rmiq.serial.SerialLimits;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * How executor calls are encoded and run: shared by the {@link DistributedExecutor} that submits
 * them and the worker that runs them, so both use the same allow list.
 */
public final class Calls {

    /**
     * Allowed beyond the client's own list: serializable lambdas, whose capturing class must still be
     * allowed. (The server scans payloads under its own list: it needs them allowed too.)
     */
    static final List<String> TYPES = List.of("java.lang.invoke.SerializedLambda");

    private static final int MAX_TRACE = 32 * 1024;

    private Calls() {
    }

    /** The codec for callables and their values: the client's allow list plus {@link #TYPES}. */
    public static PayloadCodec codec(QueueClient client) {
        AllowList allow = client.codec().allowList().with(TYPES);
        return new PayloadCodec(allow, SerialLimits.PAYLOAD);
    }

    /**
     * Runs one call on this thread. A task that cannot be decoded or whose value cannot be sent
     * fails like a task that throws: its future reports why; nothing is retried.
     */
    public static CallResult run(CallTask task, PayloadCodec codec, String worker) {
        Object decoded;
        try {
            decoded = codec.decode(task.callable());
        } catch (RuntimeException e) {
            return failure(task, e, worker);
        }
        if (!(decoded instanceof Callable<?> callable)) {
            return failure(task, new IllegalArgumentException("task " + task.id() + " is a "
                    + decoded.getClass().getName() + ", not a Callable"), worker);
        }
        Object value;
        try {
            value = callable.call();
        } catch (Throwable e) {
            return failure(task, e, worker);
        }
        try {
            return new CallResult(task.id(), value == null ? null : codec.encode(value), null, null, null, worker);
        } catch (RuntimeException e) {
            return failure(task, new IllegalStateException("the task's value of "
                    + value.getClass().getName() + " cannot be sent back: " + e.getMessage(), e), worker);
        }
    }

    private static CallResult failure(CallTask task, Throwable e, String worker) {
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        String text = trace.toString();
        if (text.length() > MAX_TRACE) {
            text = text.substring(0, MAX_TRACE) + "\n\t... (cut at " + MAX_TRACE + " characters)\n";
        }
        return new CallResult(task.id(), null, e.getClass().getName(), e.getMessage(), text, worker);
    }
}
