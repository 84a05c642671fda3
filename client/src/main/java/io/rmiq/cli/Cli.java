package io.rmiq.cli;

import io.rmiq.api.DeadLetter;
import io.rmiq.api.DistributedLock;
import io.rmiq.api.DistributedQueue;
import io.rmiq.api.QueueStats;
import io.rmiq.api.RmiqException;
import io.rmiq.api.SessionInfo;
import io.rmiq.api.ServerUnavailableException;
import io.rmiq.client.internal.Backoff;
import io.rmiq.client.QueueClient;
import io.rmiq.demo.TaskMaster;
import io.rmiq.demo.TaskWorker;
import io.rmiq.serial.RmiqFilterFactory;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code java -jar client.jar COMMAND}: the command-line client and the master/worker demo. */
@Command(name = "client.jar", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        scope = CommandLine.ScopeType.INHERIT, // every command answers --help
        usageHelpAutoWidth = true,
        description = "Talks to an rmiq server: puts and gets items, shows queues, runs commands on workers, runs the master/worker demo.",
        subcommands = {Cli.Put.class, Cli.Get.class, Cli.Stats.class, Cli.Workers.class, Cli.Purge.class,
            Cli.Dead.class, Cli.Requeue.class, Cli.Lock.class,
            Commands.Submit.class, Commands.Run.class, Commands.Results.class,
            Cli.Master.class, Cli.Worker.class, Bench.class,
            CommandLine.HelpCommand.class})
public final class Cli {

    static final PrintStream OUT = System.out;

    public static void main(String[] args) {
        // First, before anything deserializes: the JDK accepts a filter factory only until then.
        RmiqFilterFactory.install();
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "rmiq-client-logback.xml");
        }
        System.exit(run(args));
    }

    /** Runs a command line and returns the exit code: 0 done, 1 failed, 2 called wrongly. */
    static int run(String... args) {
        CommandLine cli = new CommandLine(new Cli());
        cli.setParameterExceptionHandler((e, argv) -> {
            System.err.println("client.jar: " + e.getMessage() + " (see --help)");
            return CommandLine.ExitCode.USAGE;
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof Connection.UsageException || e instanceof IllegalArgumentException) {
                System.err.println("client.jar: " + e.getMessage());
                return CommandLine.ExitCode.USAGE;
            }
            if (e instanceof RmiqException || e instanceof IllegalStateException) {
                System.err.println("client.jar: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli.execute(connectionOptionsAfterCommand(args));
    }

    /**
     * {@code client.jar --host H --port P worker}: connection options before the command, as with
     * {@code redis-cli -h} or {@code docker -H}, are moved after it, where every command takes them.
     */
    static String[] connectionOptionsAfterCommand(String[] args) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (CommandLine.Model.OptionSpec o : CommandLine.Model.CommandSpec.forAnnotatedObject(new Connection()).options()) {
            names.addAll(List.of(o.names()));
        }
        List<String> moved = new java.util.ArrayList<>();
        int i = 0;
        while (i < args.length) {
            String a = args[i];
            int eq = a.indexOf('=');
            if (!names.contains(eq < 0 ? a : a.substring(0, eq))) {
                break;
            }
            moved.add(a);
            if (eq < 0 && i + 1 < args.length) {
                moved.add(args[++i]);
            }
            i++;
        }
        if (moved.isEmpty() || i >= args.length) {
            return args; // no command after them: picocli says what is missing
        }
        List<String> out = new java.util.ArrayList<>();
        out.add(args[i]);
        out.addAll(moved);
        out.addAll(List.of(args).subList(i + 1, args.length));
        return out.toArray(new String[0]);
    }

    @Command(name = "put", description = "Puts each VALUE on QUEUE as one string item.")
    static final class Put implements Callable<Integer> {
        @Mixin Connection connection;
        @Parameters(index = "0", paramLabel = "QUEUE") String queue;
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "VALUE") List<String> values;

        @Override
        public Integer call() throws Exception {
            try (QueueClient client = connection.connect()) {
                DistributedQueue<String> q = client.queue(queue);
                q.putAll(values);
                OUT.println("put " + values.size() + " item" + (values.size() == 1 ? "" : "s") + " on " + queue);
            }
            return 0;
        }
    }

    @Command(name = "get", description = "Takes items from QUEUE and prints one per line, in order.")
    static final class Get implements Callable<Integer> {
        @Mixin Connection connection;
        @Parameters(index = "0", paramLabel = "QUEUE") String queue;
        @Option(names = "--count", paramLabel = "N", description = "How many items to take (default: ${DEFAULT-VALUE}).")
        int count = 1;
        @Option(names = "--timeout", paramLabel = "SECONDS", description = "Give up after this long; exit 1 if fewer than N arrived (default: wait as long as it takes).")
        Double timeout;

        @Override
        public Integer call() throws Exception {
            if (count < 1) {
                throw new IllegalArgumentException("--count must be at least 1");
            }
            if (timeout != null && timeout < 0) {
                throw new IllegalArgumentException("--timeout must not be negative");
            }
            try (QueueClient client = connection.connect()) {
                DistributedQueue<Object> q = client.queue(queue);
                long deadline = timeout == null ? 0 : System.nanoTime() + (long) (timeout * 1e9);
                int got = 0;
                while (got < count) {
                    Duration wait = timeout == null ? Duration.ofDays(365)
                            : Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
                    List<Object> items = q.take(count - got, wait);
                    for (Object item : items) {
                        OUT.println(render(item));
                    }
                    got += items.size();
                    if (items.isEmpty() && timeout != null) {
                        System.err.println("client.jar: timed out after " + timeout + " s with " + got + " of "
                                + count + " items from " + queue);
                        return 1;
                    }
                }
            }
            return 0;
        }
    }

    @Command(name = "stats", description = "Lists the server's queues with their sizes.")
    static final class Stats implements Callable<Integer> {
        @Mixin Connection connection;
        @Option(names = "--json", description = "One JSON object instead of a table.")
        boolean json;

        @Override
        public Integer call() {
            try (QueueClient client = connection.connect()) {
                List<QueueStats> stats = client.stats();
                String advertised = client.advertisedAddress();
                if (json) {
                    List<Map<String, Object>> queues = new ArrayList<>();
                    for (QueueStats q : stats) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("name", q.name());
                        m.put("size", q.size());
                        m.put("in_flight", q.inFlight());
                        m.put("capacity", q.capacity() == Integer.MAX_VALUE ? null : q.capacity());
                        m.put("dead_letters", q.deadLetters());
                        m.put("puts", q.puts());
                        m.put("takes", q.takes());
                        m.put("acks", q.acks());
                        m.put("oldest_age_ms", q.oldestAgeMillis());
                        queues.add(m);
                    }
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("server", client.address());
                    out.put("advertised", advertised);
                    out.put("queues", queues);
                    OUT.println(Json.of(out));
                } else {
                    OUT.println("server " + client.address() + ", advertising " + advertised);
                    int width = Math.max(5, stats.stream().mapToInt(q -> q.name().length()).max().orElse(0));
                    String row = "%-" + width + "s %10s %10s %10s %8s %12s %12s %12s %10s%n";
                    OUT.printf(row, "QUEUE", "SIZE", "IN-FLIGHT", "CAPACITY", "DEAD", "PUTS", "TAKES", "ACKS", "OLDEST");
                    for (QueueStats q : stats) {
                        OUT.printf(row, q.name(), q.size(), q.inFlight(),
                                q.capacity() == Integer.MAX_VALUE ? "unbounded" : String.valueOf(q.capacity()),
                                q.deadLetters(), q.puts(), q.takes(), q.acks(), age(q.oldestAgeMillis()));
                    }
                }
            }
            return 0;
        }
    }

    @Command(name = "workers", description = "Lists the clients connected with a session (workers, mostly): who, since when, and the tasks each holds.")
    static final class Workers implements Callable<Integer> {
        @Mixin Connection connection;
        @Option(names = "--json", description = "One JSON object instead of a table.")
        boolean json;

        @Override
        public Integer call() {
            try (QueueClient client = connection.connect()) {
                List<SessionInfo> sessions = client.sessions();
                long now = System.currentTimeMillis();
                if (json) {
                    List<Map<String, Object>> workers = new ArrayList<>();
                    for (SessionInfo w : sessions) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("session", Long.toHexString(w.id()));
                        m.put("client", w.description());
                        m.put("since", java.time.Instant.ofEpochMilli(w.openedAt()).toString());
                        m.put("last_seen_ms_ago", now - w.lastSeenAt());
                        m.put("holds", w.leased());
                        workers.add(m);
                    }
                    OUT.println(Json.of(Map.of("workers", workers)));
                } else {
                    OUT.printf("%-18s %-32s %-24s %s%n", "SESSION", "CLIENT", "SINCE", "HOLDS");
                    for (SessionInfo w : sessions) {
                        OUT.printf("%-18s %-32s %-24s %s%n", Long.toHexString(w.id()), w.description(),
                                java.time.Instant.ofEpochMilli(w.openedAt()).truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                                w.leased().isEmpty() ? "-" : w.leased().toString());
                    }
                    // Excluding ourselves: this command opens no session.
                    OUT.println(sessions.size() + " session" + (sessions.size() == 1 ? "" : "s"));
                }
            }
            return 0;
        }
    }

    @Command(name = "purge", description = "Removes every waiting item of QUEUE for good (leased items stay with their workers).")
    static final class Purge implements Callable<Integer> {
        @Mixin Connection connection;
        @Parameters(index = "0", paramLabel = "QUEUE") String queue;

        @Override
        public Integer call() {
            try (QueueClient client = connection.connect()) {
                int n = client.purge(queue);
                OUT.println("purged " + n + " item" + (n == 1 ? "" : "s") + " from " + queue);
            }
            return 0;
        }
    }

    static String age(long millis) {
        if (millis == 0) {
            return "-";
        }
        return millis < 10_000 ? millis + "ms" : millis < 600_000 ? (millis / 1000) + "s" : (millis / 60_000) + "m";
    }

    @Command(name = "dead", description = "Lists QUEUE's dead letters (tasks that failed too often), oldest first, without removing them.")
    static final class Dead implements Callable<Integer> {
        @Mixin Connection connection;
        @Parameters(index = "0", paramLabel = "QUEUE") String queue;
        @Option(names = "--count", paramLabel = "N", description = "Show at most N (default: ${DEFAULT-VALUE}).")
        int count = 100;

        @Override
        public Integer call() {
            if (count < 1) {
                throw new IllegalArgumentException("--count must be at least 1");
            }
            try (QueueClient client = connection.connect()) {
                DistributedQueue<DeadLetter> dead = client.queue(DeadLetter.queueFor(queue));
                List<DeadLetter> letters = dead.peek(count);
                for (DeadLetter l : letters) {
                    String payload;
                    try {
                        payload = render(client.decode(l));
                    } catch (RmiqException e) {
                        payload = "(" + l.payload().length + " bytes: " + e.getMessage() + ")";
                    }
                    OUT.println("#" + l.id() + " attempts=" + l.attempts() + " died=" + java.time.Instant.ofEpochMilli(l.diedAt())
                            + " reason=" + l.reason() + " payload=" + payload);
                }
                int total = dead.size();
                OUT.println(total + " dead letter" + (total == 1 ? "" : "s") + " in " + dead.name()
                        + (total > letters.size() ? " (showing " + letters.size() + ")" : ""));
            }
            return 0;
        }
    }

    @Command(name = "requeue", description = "Moves QUEUE's dead letters back onto QUEUE as fresh tasks.")
    static final class Requeue implements Callable<Integer> {
        @Mixin Connection connection;
        @Parameters(index = "0", paramLabel = "QUEUE") String queue;
        @Option(names = "--count", paramLabel = "N", description = "Move at most N (default: all).")
        Integer count;

        @Override
        public Integer call() {
            if (count != null && count < 1) {
                throw new IllegalArgumentException("--count must be at least 1");
            }
            int limit = count == null ? Integer.MAX_VALUE : count;
            try (QueueClient client = connection.connect()) {
                int moved = 0;
                while (moved < limit) {
                    int n = client.requeueDead(queue, Math.min(10_000, limit - moved));
                    if (n == 0) {
                        break;
                    }
                    moved += n;
                }
                OUT.println("requeued " + moved + " dead letter" + (moved == 1 ? "" : "s") + " onto " + queue);
            }
            return 0;
        }
    }

    @Command(name = "lock", description = "Takes lock NAME and holds it until stopped: Ctrl-C or SIGTERM unlocks it; if this process dies, the server frees it within its session timeout. Prints the hold's fencing token; exits 1 if the lock is lost.")
    static final class Lock implements Callable<Integer> {
        @Mixin Connection connection;
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Option(names = "--wait", paramLabel = "SECONDS", description = "Give up after this long and exit 1 (default: wait as long as it takes).")
        Double wait;

        @Override
        public Integer call() throws Exception {
            if (wait != null && !(wait >= 0)) {
                throw new IllegalArgumentException("--wait must not be negative");
            }
            QueueClient client = connection.connect();
            DistributedLock lock = client.lock(name);
            AtomicBoolean holding = new AtomicBoolean();
            Thread unlock = new Thread(() -> {
                boolean held = holding.getAndSet(false);
                lock.close();
                client.close();
                if (held) {
                    OUT.println("unlocked " + name);
                    OUT.flush();
                }
            }, "rmiq-unlock");
            Runtime.getRuntime().addShutdownHook(unlock);
            if (!lock.tryLock(Duration.ZERO)) {
                OUT.println("waiting for lock " + name);
                OUT.flush();
                if (wait == null) {
                    lock.lock();
                } else if (!lock.tryLock(Duration.ofMillis(Math.round(wait * 1000)))) {
                    System.err.println("client.jar: lock " + name + " is still held by another after " + wait + " s");
                    return 1;
                }
            }
            holding.set(true);
            OUT.println("locked " + name + " token " + lock.fencingToken());
            OUT.flush();
            // Says so when the hold ends without us (a server restart, a session lost to a network
            // outage), so that whoever relies on this process holding the lock knows. A stop, whose
            // hook takes `holding` first, is not a loss.
            while (holding.get()) {
                Thread.sleep(2_000);
                String lost;
                try {
                    lost = lock.isHeld() ? null : "the server no longer counts this process as its holder";
                } catch (RuntimeException e) {
                    lost = e.getMessage();
                }
                if (lost != null && holding.getAndSet(false)) {
                    System.err.println("client.jar: lost lock " + name + ": " + lost);
                    return 1;
                }
            }
            return 0;
        }
    }

    @Command(name = "master", description = "The demo master: puts N random integers on 'tasks', collects their squares from 'results' with a progress bar on stderr, and exits 0 only if all N came back right.")
    static final class Master implements Callable<Integer> {
        @Mixin Connection connection;
        @Option(names = "--tasks", paramLabel = "N", description = "How many tasks (default: ${DEFAULT-VALUE}).")
        int tasks = 10;
        @Option(names = "--timeout", paramLabel = "SECONDS", description = "Give up when no result arrives for this long (default: ${DEFAULT-VALUE}).")
        int timeout = 60;
        @Option(names = "--quiet", description = "Print only the summary line.")
        boolean quiet;

        @Override
        public Integer call() throws Exception {
            if (tasks < 1 || timeout < 1) {
                throw new IllegalArgumentException("--tasks and --timeout must be at least 1");
            }
            try (QueueClient client = connection.connect()) {
                return TaskMaster.run(client, tasks, Duration.ofSeconds(timeout), quiet, OUT,
                        Progress.onStderr("results", tasks)) ? 0 : 1;
            }
        }
    }

    @Command(name = "worker", description = "Takes tasks from 'tasks' until stopped: command tasks (from submit and run) it runs as processes, executor calls (from a DistributedExecutor; their classes must be on this JVM's class path and allowed with --allow) it calls, and demo tasks [id, n] it answers with [id, n, n*n] on 'results'. Tasks it held when it died go to other workers.")
    static final class Worker implements Callable<Integer> {
        @Mixin Connection connection;
        @Option(names = "--work-ms", paramLabel = "MILLIS", description = "Simulated work per demo task, sleeping (default: ${DEFAULT-VALUE}).")
        long workMs;
        @Option(names = "--cpu-ms", paramLabel = "MILLIS", description = "CPU time each demo task burns computing, a CPU-bound stand-in for real work: compare --threads 1 with --threads N (default: ${DEFAULT-VALUE}).")
        long cpuMs;
        @Option(names = "--threads", paramLabel = "N", description = "Tasks run at once, each on its own thread (default: the number of cores, ${DEFAULT-VALUE}).")
        int threads = Runtime.getRuntime().availableProcessors();
        @Option(names = "--idle-exit", paramLabel = "SECONDS", description = "Exit after this long without a task (default: run until stopped).")
        Integer idleExit;
        @Option(names = "--retry-delay", paramLabel = "SECONDS", description = "How long a task that failed waits before it is tried again: this after its first attempt, doubling with each further one, at most 300; 0 tries it again at once (default: ${DEFAULT-VALUE}).")
        double retryDelay = 1;
        @Option(names = "--quiet", description = "Print only the ready and done lines.")
        boolean quiet;

        @Override
        public Integer call() throws Exception {
            if (workMs < 0 || cpuMs < 0 || threads < 1 || (idleExit != null && idleExit < 1)) {
                throw new IllegalArgumentException("--work-ms and --cpu-ms must not be negative, --threads and --idle-exit must be at least 1");
            }
            if (!(retryDelay >= 0 && retryDelay <= 300)) {
                throw new IllegalArgumentException("--retry-delay must be 0..300 seconds, got " + retryDelay);
            }
            try (QueueClient client = connectRetrying(connection)) {
                var worker = TaskWorker.worker(client, workMs, cpuMs, threads,
                        idleExit == null ? null : Duration.ofSeconds(idleExit),
                        Duration.ofMillis(Math.round(retryDelay * 1_000)), quiet, OUT);
                Thread hook = new Thread(() -> {
                    worker.stop();
                    try {
                        worker.awaitStopped(Duration.ofSeconds(10));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "rmiq-worker-stop");
                Runtime.getRuntime().addShutdownHook(hook);
                OUT.println("worker ready");
                OUT.flush();
                worker.run();
                OUT.println("worker done: " + worker.completed() + " tasks");
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // already shutting down
                }
            }
            return 0;
        }
    }

    /** A worker may start before its server, or while it restarts: it waits for it. */
    static QueueClient connectRetrying(Connection connection) throws InterruptedException {
        Backoff backoff = new Backoff(org.slf4j.LoggerFactory.getLogger(Cli.class), "worker");
        while (true) {
            try {
                QueueClient client = connection.connect();
                backoff.succeeded();
                return client;
            } catch (ServerUnavailableException e) {
                backoff.failed(e);
            }
        }
    }

    static String render(Object item) {
        if (item instanceof Object[] a) {
            return Arrays.deepToString(a);
        }
        if (item != null && item.getClass().isArray()) {
            return Arrays.deepToString(new Object[] {item}).replaceAll("^\\[|\\]$", "");
        }
        return String.valueOf(item);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Cli.class.getPackage().getImplementationVersion();
            return new String[] {"rmiq client " + (v == null ? "(development build)" : v)};
        }
    }
}
