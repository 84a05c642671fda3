package io.rmiq.demo;

import io.rmiq.api.task.CallResult;
import io.rmiq.api.task.CommandResult;
import io.rmiq.client.QueueClient;
import io.rmiq.client.command.CommandRunner;
import io.rmiq.client.worker.Reply;
import io.rmiq.client.worker.TaskDispatcher;
import io.rmiq.client.worker.Worker;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;

/**
 * The worker of the classic task_master.py / task_worker.py pair: takes {@code [id, n]} from
 * {@code tasks} and puts {@code [id, n, n*n]} on {@code results}; a plain whole number n, as the
 * tutorial's own master puts, it answers as the tutorial's worker does, with {@code "n * n = n²"}. Start as many as you like, on any
 * machine; a task whose worker dies goes to another. The same worker runs command tasks and
 * executor calls found on {@code tasks} (see {@link TaskDispatcher}).
 */
public final class TaskWorker {

    private TaskWorker() {
    }

    /**
     * Works until no task arrives for {@code idleExit} (or until stopped, when it is null).
     *
     * @return the runtime, to stop from another thread
     */
    public static Worker<Object, Object> worker(QueueClient client, long workMillis, int threads,
            Duration idleExit, boolean quiet, PrintStream out) {
        return worker(client, workMillis, 0, threads, idleExit, Duration.ofSeconds(1), quiet, out);
    }

    /**
     * As above; each demo task also burns {@code cpuMillis} of CPU time on its thread, and a failed
     * task is tried again after {@code retryDelay} (see {@link Worker.Builder#retryDelay}).
     */
    public static Worker<Object, Object> worker(QueueClient client, long workMillis, long cpuMillis, int threads,
            Duration idleExit, Duration retryDelay, boolean quiet, PrintStream out) {
        TaskDispatcher dispatcher = new TaskDispatcher(client, new CommandRunner(), payload -> {
            long n = payload instanceof Number plain ? whole(plain, payload) : whole(pair(payload).get(1), payload);
            sleep(workMillis);
            burn(cpuMillis);
            if (!quiet) {
                out.println("run task " + n + " * " + n + " = " + n * n);
            }
            if (payload instanceof Number) {
                return n + " * " + n + " = " + n * n; // what the tutorial's task_worker.py answers
            }
            return List.of(whole(pair(payload).get(0), payload), n, n * n);
        });
        Worker.Builder<Object, Object> b = Worker.builder(client)
                .from("tasks").to("results").threads(threads).retryDelay(retryDelay).handler(payload -> {
                    Object r = dispatcher.apply(payload);
                    if (!quiet && r instanceof Reply reply) {
                        if (reply.payload() instanceof CommandResult c) {
                            out.println("ran command " + c.id() + " " + c.command() + ": exit " + c.exitCode()
                                    + " in " + c.millis() + " ms" + (c.error() == null ? "" : " (" + c.error() + ")"));
                        } else if (reply.payload() instanceof CallResult c) {
                            out.println("ran call " + c.id() + (c.failed() ? ": failed with " + c.errorClass() : ""));
                        }
                    }
                    return r;
                });
        if (idleExit != null) {
            b.idleExit(idleExit);
        }
        return b.build();
    }

    /** The {@code [id, n]} of a demo task, or a failure that says what the worker runs. */
    private static List<?> pair(Object payload) {
        if (payload instanceof List<?> l && l.size() == 2 && l.get(0) instanceof Number && l.get(1) instanceof Number) {
            return l;
        }
        throw cannotRun(payload);
    }

    private static long whole(Object number, Object payload) {
        if (number instanceof Long || number instanceof Integer || number instanceof Short || number instanceof Byte) {
            return ((Number) number).longValue();
        }
        if (number instanceof java.math.BigInteger b && b.bitLength() < 64) {
            return b.longValue();
        }
        throw cannotRun(payload);
    }

    private static IllegalArgumentException cannotRun(Object payload) {
        String shown = String.valueOf(payload);
        if (shown.length() > 200) {
            shown = shown.substring(0, 200) + "…";
        }
        return new IllegalArgumentException("the demo worker runs a whole number n or a list [id, n] of two, got "
                + (payload == null ? "null" : payload.getClass().getName() + " " + shown));
    }

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    /**
     * Computes until this thread has used {@code millis} of CPU time: the same work whatever else
     * runs, so that the wall time of N tasks shows how they spread over cores.
     */
    static long burn(long millis) {
        if (millis <= 0) {
            return 0;
        }
        long until = CPU.getCurrentThreadCpuTime() + millis * 1_000_000;
        long x = 1;
        while (CPU.getCurrentThreadCpuTime() < until) {
            for (int i = 0; i < 10_000; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L; // an LCG step: pure ALU work
            }
        }
        return x;
    }

    private static void sleep(long millis) {
        if (millis > 0) {
            try {
                Thread.sleep(millis); // stands in for real work
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while working", e);
            }
        }
    }
}
