package io.rmiq.demo;

import io.rmiq.client.QueueClient;
import io.rmiq.client.worker.Worker;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

/**
 * The worker of the classic task_master.py / task_worker.py pair: takes {@code [id, n]} from
 * {@code tasks} and puts {@code [id, n, n*n]} on {@code results}. Start as many as you like, on any
 * machine; a task whose worker dies goes to another.
 */
public final class TaskWorker {

    private TaskWorker() {
    }

    /**
     * Works until no task arrives for {@code idleExit} (or until stopped, when it is null).
     *
     * @return the runtime, to stop from another thread
     */
    public static Worker<List<Long>, List<Long>> worker(QueueClient client, long workMillis, int threads,
            Duration idleExit, boolean quiet, PrintStream out) {
        Worker.Builder<List<Long>, List<Long>> b = Worker.<List<Long>, List<Long>>builder(client)
                .from("tasks").to("results").threads(threads).handler(task -> {
                    long id = task.get(0);
                    long n = task.get(1);
                    sleep(workMillis);
                    if (!quiet) {
                        out.println("run task " + n + " * " + n + " = " + n * n);
                    }
                    return List.of(id, n, n * n);
                });
        if (idleExit != null) {
            b.idleExit(idleExit);
        }
        return b.build();
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
