package io.rmiq.demo;

import io.rmiq.api.DistributedQueue;
import io.rmiq.cli.Progress;
import io.rmiq.client.QueueClient;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The master of the classic task_master.py / task_worker.py pair: puts random integers on
 * {@code tasks}, each tagged with an id, then collects {@code [id, n, n*n]} from {@code results} and
 * checks that every task came back with the right square. A task redelivered after a worker died is
 * computed twice; such duplicates are counted and reported, not hidden.
 */
public final class TaskMaster {

    private TaskMaster() {
    }

    /** Returns true if every task's result arrived and is correct. */
    public static boolean run(QueueClient client, int count, Duration wait, boolean quiet, PrintStream out)
            throws InterruptedException {
        return run(client, count, wait, quiet, out, null);
    }

    /** As above, reporting how many results arrived to {@code progress} (if not null) as they come. */
    public static boolean run(QueueClient client, int count, Duration wait, boolean quiet, PrintStream out,
            Progress progress) throws InterruptedException {
        DistributedQueue<List<Long>> tasks = client.queue("tasks");
        DistributedQueue<Object> results = client.queue("results");

        Random random = new Random();
        long firstId = (random.nextLong() >>> 24) << 20; // room for a million ids, unlikely to meet another run's
        Map<Long, Long> expected = new HashMap<>();
        List<List<Long>> batch = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long id = firstId + i;
            long n = random.nextInt(10_000);
            if (!quiet) {
                out.println("Put task " + n + "...");
            }
            expected.put(id, n);
            batch.add(List.of(id, n));
        }
        tasks.putAll(batch);

        out.println("Try get results...");
        Set<Long> received = new HashSet<>();
        int duplicates = 0;
        int wrong = 0;
        long lastOwn = System.nanoTime();
        while (received.size() < count) {
            List<Object> arrived = results.take(1_000, wait);
            if (arrived.isEmpty()) {
                out.println("no result for " + wait.toSeconds() + " s; giving up");
                break;
            }
            if (progress != null && !quiet) {
                progress.clear(); // result lines follow
            }
            List<Object> others = new ArrayList<>();
            for (Object item : arrived) {
                if (!(item instanceof List<?> list) || list.size() != 3 || !(list.get(0) instanceof Long)) {
                    others.add(item); // a command's or an executor's result: someone else's
                    continue;
                }
                @SuppressWarnings("unchecked")
                List<Long> r = (List<Long>) list;
                Long n = r.size() == 3 ? expected.get(r.get(0)) : null;
                if (n == null) {
                    out.println("Ignored a result that is not from this run: " + r);
                } else if (!r.get(1).equals(n) || r.get(2) != n * n) {
                    wrong++;
                    out.println("Wrong result: " + r);
                } else if (!received.add(r.get(0))) {
                    duplicates++;
                } else if (!quiet) {
                    out.println("Result: " + n + " * " + n + " = " + r.get(2));
                }
            }
            if (!others.isEmpty()) {
                results.putAll(others);
                if (others.size() == arrived.size()) {
                    if (System.nanoTime() - lastOwn > wait.toNanos()) {
                        out.println("no result for " + wait.toSeconds() + " s; giving up");
                        break;
                    }
                    Thread.sleep(250); // let their owners collect them before looking again
                    continue;
                }
            }
            lastOwn = System.nanoTime();
            if (progress != null) {
                out.flush();
                progress.update(received.size());
            }
        }
        if (progress != null) {
            progress.finish();
        }
        if (duplicates > 0) {
            out.println("duplicates: " + duplicates + " (tasks redelivered after a worker died, computed twice)");
        }
        out.println("received " + received.size() + "/" + count + " results");
        return received.size() == count && wrong == 0;
    }
}
