package io.rmiq.cli;

import io.rmiq.api.DistributedQueue;
import io.rmiq.api.task.CommandResult;
import io.rmiq.api.task.CommandTask;
import io.rmiq.client.QueueClient;
import io.rmiq.client.executor.ResultCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Command tasks from the command line: submit, run and results. */
final class Commands {

    /** What run exits with when it gave up waiting, as ssh does for its own failures. */
    static final int EXIT_NO_RESULT = 255;

    private Commands() {
    }

    /** Where command tasks go and where their results come back. */
    static final class Queues {
        @Option(names = "--queue", paramLabel = "QUEUE", description = "Queue the tasks go on; workers take from it (default: ${DEFAULT-VALUE}).")
        String tasks = "tasks";
        @Option(names = "--results", paramLabel = "QUEUE", description = "Queue the workers put results on (default: ${DEFAULT-VALUE}).")
        String results = "results";
    }

    static String newId() {
        return "c" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
    }

    static long timeoutMillis(double seconds) {
        if (!(seconds > 0) || seconds > 7 * 24 * 3600) {
            throw new IllegalArgumentException("--timeout must be between 0 and a week of seconds, got " + seconds);
        }
        return Math.round(seconds * 1000);
    }

    @Command(name = "submit", description = "Queues CMD ARGS... (after --) for a worker to run, and prints the task's id; with --file, one task per line of FILE. The worker runs the program directly, without a shell: for pipes, globs or redirections, submit sh -c 'SCRIPT'. Results stay on the results queue until --wait or run collects them; 'results ID' shows them meanwhile.")
    static final class Submit implements Callable<Integer> {
        @Mixin Connection connection;
        @Mixin Queues queues;
        @Option(names = "--timeout", paramLabel = "SECONDS", description = "The worker kills the command and its children after this long (default: ${DEFAULT-VALUE}).")
        double timeout = 600;
        @Option(names = "--file", paramLabel = "FILE", description = "One command per line, split at spaces (no quoting; blank lines and # comments skipped).")
        Path file;
        @Option(names = "--wait", description = "Wait for every result with a progress bar, print one line per result, and exit 0 only if every command exited 0.")
        boolean await;
        @Parameters(paramLabel = "CMD", arity = "0..*", description = "The program and its arguments, after --.")
        List<String> command = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            long millis = timeoutMillis(timeout);
            List<List<String>> commands = commands();
            try (QueueClient client = connection.connect()) {
                DistributedQueue<CommandTask> tasks = client.queue(queues.tasks);
                List<CommandTask> batch = new ArrayList<>();
                for (List<String> c : commands) {
                    batch.add(new CommandTask(newId(), c, millis, queues.results));
                }
                if (!await) {
                    tasks.putAll(batch);
                    batch.forEach(t -> Cli.OUT.println(t.id()));
                    return 0;
                }
                try (ResultCollector<CommandResult> collector = new ResultCollector<>(client, queues.results,
                        CommandResult.class)) {
                    Map<String, CompletableFuture<CommandResult>> futures = new LinkedHashMap<>();
                    for (CommandTask t : batch) {
                        futures.put(t.id(), collector.expect(t.id()));
                    }
                    tasks.putAll(batch);
                    batch.forEach(t -> Cli.OUT.println(t.id()));
                    Cli.OUT.flush();
                    Progress progress = Progress.onStderr("commands", batch.size());
                    CompletableFuture<Void> all = CompletableFuture.allOf(futures.values().toArray(CompletableFuture[]::new));
                    while (!all.isDone()) {
                        try {
                            all.get(100, TimeUnit.MILLISECONDS);
                        } catch (TimeoutException e) {
                            // redraw below
                        }
                        progress.update(batch.size() - collector.waitingFor());
                    }
                    // Every future is done; the collector's count may lag behind the last of them.
                    progress.update(batch.size());
                    progress.finish();
                    int failed = 0;
                    for (CompletableFuture<CommandResult> f : futures.values()) {
                        CommandResult r = f.get();
                        Cli.OUT.println(summary(r));
                        failed += r.exitCode() == 0 ? 0 : 1;
                    }
                    Cli.OUT.println(futures.size() - failed + " of " + futures.size() + " commands exited 0");
                    return failed == 0 ? 0 : 1;
                }
            }
        }

        private List<List<String>> commands() throws IOException {
            List<List<String>> out = new ArrayList<>();
            if (file != null) {
                if (!command.isEmpty()) {
                    throw new IllegalArgumentException("give either --file or a command after --, not both");
                }
                for (String line : Files.readAllLines(file)) {
                    String l = line.strip();
                    if (!l.isEmpty() && !l.startsWith("#")) {
                        out.add(List.of(l.split("\\s+")));
                    }
                }
                if (out.isEmpty()) {
                    throw new IllegalArgumentException(file + " holds no command");
                }
            } else if (command.isEmpty()) {
                throw new IllegalArgumentException("no command: give one after --, e.g. submit -- uname -a");
            } else {
                out.add(command);
            }
            return out;
        }
    }

    @Command(name = "run", description = "Runs CMD ARGS... (after --) on a worker, as ssh runs a command on a host: waits for it, prints its stdout and stderr, and exits with its exit code (124 if it timed out, 127 if the worker could not find it; 255 if no result came within --max-wait). No shell unless you ask for one: run -- sh -c 'SCRIPT'.")
    static final class Run implements Callable<Integer> {
        @Mixin Connection connection;
        @Mixin Queues queues;
        @Option(names = "--timeout", paramLabel = "SECONDS", description = "The worker kills the command and its children after this long (default: ${DEFAULT-VALUE}).")
        double timeout = 600;
        @Option(names = "--max-wait", paramLabel = "SECONDS", description = "Give up (exit 255) if no result came after this long, e.g. with no worker running (default: wait as long as it takes).")
        Double maxWait;
        @Parameters(paramLabel = "CMD", arity = "1..*", description = "The program and its arguments, after --.")
        List<String> command;

        @Override
        public Integer call() throws Exception {
            CommandTask task = new CommandTask(newId(), command, timeoutMillis(timeout), queues.results);
            if (maxWait != null && !(maxWait > 0)) {
                throw new IllegalArgumentException("--max-wait must be positive");
            }
            try (QueueClient client = connection.connect();
                    ResultCollector<CommandResult> collector = new ResultCollector<>(client, queues.results,
                            CommandResult.class)) {
                CompletableFuture<CommandResult> result = collector.expect(task.id());
                client.<CommandTask>queue(queues.tasks).put(task);
                CommandResult r;
                try {
                    r = maxWait == null ? result.get() : result.get(Math.round(maxWait * 1000), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    collector.forget(task.id());
                    System.err.println("client.jar: no result for " + task.id() + " after " + maxWait
                            + " s (is a worker running on '" + queues.tasks + "'?); the task stays queued");
                    return EXIT_NO_RESULT;
                }
                Cli.OUT.print(r.stdout());
                Cli.OUT.flush();
                System.err.print(r.stderr());
                System.err.flush();
                return r.exitCode();
            }
        }
    }

    @Command(name = "results", description = "Shows command results waiting on the results queue, without taking them: with IDs, those results in full (exit 1 if one is not there: not finished yet, or already collected); without, one line per result.")
    static final class Results implements Callable<Integer> {
        @Mixin Connection connection;
        @Option(names = "--results", paramLabel = "QUEUE", description = "Queue the workers put results on (default: ${DEFAULT-VALUE}).")
        String results = "results";
        @Option(names = "--count", paramLabel = "N", description = "Look at the first N items of the queue (default: ${DEFAULT-VALUE}).")
        int count = 10_000;
        @Parameters(paramLabel = "ID", arity = "0..*", description = "Task ids, as submit printed them.")
        List<String> ids = new ArrayList<>();

        @Override
        public Integer call() {
            if (count < 1) {
                throw new IllegalArgumentException("--count must be at least 1");
            }
            try (QueueClient client = connection.connect()) {
                DistributedQueue<Object> q = client.queue(results);
                Map<String, CommandResult> found = new LinkedHashMap<>();
                for (Object item : q.peek(count)) {
                    if (item instanceof CommandResult r) {
                        found.putIfAbsent(r.id(), r);
                    }
                }
                if (ids.isEmpty()) {
                    found.values().forEach(r -> Cli.OUT.println(summary(r)));
                    Cli.OUT.println(found.size() + " command result" + (found.size() == 1 ? "" : "s") + " on " + results);
                    return 0;
                }
                Set<String> missing = new LinkedHashSet<>();
                for (String id : ids) {
                    CommandResult r = found.get(id);
                    if (r == null) {
                        missing.add(id);
                        continue;
                    }
                    Cli.OUT.println("== " + summary(r));
                    Cli.OUT.println("-- stdout");
                    Cli.OUT.print(r.stdout().isEmpty() || r.stdout().endsWith("\n") ? r.stdout() : r.stdout() + "\n");
                    Cli.OUT.println("-- stderr");
                    Cli.OUT.print(r.stderr().isEmpty() || r.stderr().endsWith("\n") ? r.stderr() : r.stderr() + "\n");
                }
                for (String id : missing) {
                    System.err.println("client.jar: no result for " + id + " on " + results
                            + " (not finished yet, collected by submit --wait or run, or beyond --count)");
                }
                return missing.isEmpty() ? 0 : 1;
            }
        }
    }

    static String summary(CommandResult r) {
        return r.id() + " exit=" + r.exitCode() + " " + r.millis() + "ms on " + r.worker() + ": "
                + String.join(" ", r.command()) + (r.error() == null ? "" : " (" + r.error() + ")");
    }
}
