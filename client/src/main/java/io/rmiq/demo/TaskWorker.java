package io.rmiq.demo;

import io.rmiq.api.DistributedQueue;
import io.rmiq.client.QueueClient;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

/**
 * The worker of the classic task_master.py / task_worker.py pair: takes integers from {@code tasks}
 * and puts {@code [n, n*n]} on {@code results}. Start as many as you like, on any machine.
 */
public final class TaskWorker {

    private TaskWorker() {
    }

    /**
     * Works until no task arrives for {@code idleExit} (or forever when it is null).
     *
     * @return how many tasks it completed
     */
    public static int run(QueueClient client, long workMillis, Duration idleExit, PrintStream out)
            throws InterruptedException {
        DistributedQueue<Integer> tasks = client.queue("tasks");
        DistributedQueue<List<Long>> results = client.queue("results");
        out.println("worker ready");
        int done = 0;
        while (true) {
            Integer n = idleExit == null ? tasks.get() : tasks.poll(idleExit);
            if (n == null) {
                break;
            }
            if (workMillis > 0) {
                Thread.sleep(workMillis);
            }
            long square = (long) n * n;
            out.println("run task " + n + " * " + n + " = " + square);
            results.put(List.of((long) n, square));
            done++;
        }
        out.println("worker done: " + done + " tasks");
        return done;
    }
}
