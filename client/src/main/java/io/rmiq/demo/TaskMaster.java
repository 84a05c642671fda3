package io.rmiq.demo;

import io.rmiq.api.Delivery;
import io.rmiq.api.DistributedQueue;
import io.rmiq.cli.Progress;
import io.rmiq.client.QueueClient;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The master of the classic task_master.py / task_worker.py pair: puts distinct random integers on
 * {@code tasks}, as the tutorial's master does, then collects the answers {@code "n * n = n²"} from
 * {@code results} (the tutorial's worker and rmiq's both answer so) and checks that every task came
 * back with the right square. A task redelivered after a worker died is
 * computed twice; such duplicates are counted and reported, not hidden. Results are leased and acked
 * once counted, so none is lost to a server that dies mid-reply.
 */
public final class TaskMaster {

    private TaskMaster() {
    }

    private static final java.util.regex.Pattern ANSWER = java.util.regex.Pattern.compile("(-?\\d+) \\* (-?\\d+) = (-?\\d+)");

    /**
     * {@code [n, n*n]} of a demo result: the tutorial's answer {@code "n * n = m"} (what its
     * task_worker.py and rmiq's worker put), or a list {@code [n, m]} or {@code [id, n, m]}; null
     * for anything else.
     */
    static long[] square(Object item) {
        try {
            if (item instanceof String s) {
                java.util.regex.Matcher m = ANSWER.matcher(s.strip());
                if (m.matches() && m.group(1).equals(m.group(2))) {
                    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(3))};
                }
            } else if (item instanceof List<?> l && (l.size() == 2 || l.size() == 3)
                    && l.stream().allMatch(e -> e instanceof Long || e instanceof Integer)) {
                int at = l.size() - 2;
                return new long[] {((Number) l.get(at)).longValue(), ((Number) l.get(at + 1)).longValue()};
            }
        } catch (NumberFormatException e) {
            return null; // digits beyond a long: not a demo answer
        }
        return null;
    }

    /** Returns true if every task's result arrived and is correct. */
    public static boolean run(QueueClient client, int count, Duration wait, boolean quiet, PrintStream out)
            throws InterruptedException {
        return run(client, count, wait, quiet, out, null);
    }

    /** As above, reporting how many results arrived to {@code progress} (if not null) as they come. */
    public static boolean run(QueueClient client, int count, Duration wait, boolean quiet, PrintStream out,
            Progress progress) throws InterruptedException {
        DistributedQueue<Long> tasks = client.queue("tasks");
        DistributedQueue<Object> results = client.queue("results");

        // Plain integers, as the tutorial's master puts, so that its task_worker.py runs them as they
        // are; distinct, so that each result names its task.
        Random random = new Random();
        int range = Math.max(10_000, 4 * count);
        Set<Long> expected = new java.util.LinkedHashSet<>();
        while (expected.size() < count) {
            expected.add((long) random.nextInt(range));
        }
        List<Long> batch = new ArrayList<>(expected);
        if (!quiet) {
            for (long n : batch) {
                out.println("Put task " + n + "...");
            }
        }
        tasks.putAll(batch);

        out.println("Try get results...");
        Set<Long> received = new HashSet<>();
        int duplicates = 0;
        int seenAgain = 0;
        Set<Long> resultIds = new HashSet<>();
        int wrong = 0;
        long lastOwn = System.nanoTime();
        while (received.size() < count) {
            // Leased, not taken: a result is acked only once it is counted, so a server killed between
            // handing results over and the reply arriving delivers them again instead of losing them.
            List<Delivery<Object>> arrived = results.receive(1_000, wait);
            if (arrived.isEmpty()) {
                out.println("no result for " + wait.toSeconds() + " s; giving up");
                break;
            }
            if (progress != null && !quiet) {
                progress.clear(); // result lines follow
            }
            List<Object> others = new ArrayList<>();
            for (Delivery<Object> d : arrived) {
                Object item = d.payload();
                long[] r = square(item);
                if (r == null) {
                    others.add(item); // a command's or an executor's result: someone else's
                    continue;
                }
                long n = r[0];
                // A result leased before, whose ack a restart lost, comes back under the same id; a known
                // answer under a new id is a task computed twice.
                boolean newItem = resultIds.add(d.id());
                if (!expected.contains(n)) {
                    out.println("Ignored a result that is not from this run: " + item);
                } else if (r[1] != n * n) {
                    wrong++;
                    out.println("Wrong result: " + item);
                } else if (!received.add(n)) {
                    if (newItem) {
                        duplicates++;
                    } else {
                        seenAgain++;
                    }
                } else if (!quiet) {
                    out.println("Result: " + n + " * " + n + " = " + r[1]);
                }
            }
            if (!others.isEmpty()) {
                results.putAll(others);
            }
            results.ack(arrived);
            if (!others.isEmpty() && others.size() == arrived.size()) {
                if (System.nanoTime() - lastOwn > wait.toNanos()) {
                    out.println("no result for " + wait.toSeconds() + " s; giving up");
                    break;
                }
                Thread.sleep(250); // let their owners collect them before looking again
                continue;
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
        if (seenAgain > 0) {
            out.println("results delivered again: " + seenAgain + " (their acks were lost to a server restart)");
        }
        out.println("received " + received.size() + "/" + count + " results");
        return received.size() == count && wrong == 0;
    }
}
