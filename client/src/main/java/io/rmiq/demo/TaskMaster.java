package io.rmiq.demo;

import io.rmiq.api.DistributedQueue;
import io.rmiq.client.QueueClient;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The master of the classic task_master.py / task_worker.py pair: puts random integers on
 * {@code tasks}, then collects their squares from {@code results} and checks each one.
 */
public final class TaskMaster {

    private TaskMaster() {
    }

    /** Returns true if every task came back exactly once with the right square. */
    public static boolean run(QueueClient client, int count, Duration wait, boolean quiet, PrintStream out)
            throws InterruptedException {
        DistributedQueue<Integer> tasks = client.queue("tasks");
        DistributedQueue<List<Long>> results = client.queue("results");

        Random random = new Random();
        Map<Integer, Integer> outstanding = new HashMap<>();
        List<Integer> batch = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int n = random.nextInt(10_000);
            if (!quiet) {
                out.println("Put task " + n + "...");
            }
            outstanding.merge(n, 1, Integer::sum);
            batch.add(n);
        }
        tasks.putAll(batch);

        out.println("Try get results...");
        int received = 0;
        int wrong = 0;
        while (received + wrong < count) {
            List<Long> result = results.poll(wait);
            if (result == null) {
                out.println("no result for " + wait.toSeconds() + " s; giving up");
                break;
            }
            int n = result.get(0).intValue();
            long square = result.get(1);
            if (square == (long) n * n && outstanding.merge(n, -1, Integer::sum) >= 0) {
                received++;
                if (!quiet) {
                    out.println("Result: " + n + " * " + n + " = " + square);
                }
            } else {
                wrong++;
                out.println("Wrong or unexpected result: " + result);
            }
        }
        out.println("received " + received + "/" + count + " results");
        return received == count && wrong == 0;
    }
}
