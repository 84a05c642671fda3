package io.rmiq.cli;

import io.rmiq.api.DistributedQueue;
import io.rmiq.client.QueueClient;
import io.rmiq.serial.AllowList;
import io.rmiq.serial.PayloadCodec;
import io.rmiq.serial.SerialLimits;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code client.jar bench}: measures a live server the way users load it. Uses the queues named by
 * {@code --queue} and {@code --results}, which must be empty and have no other consumers; it leaves
 * them empty.
 */
@Command(name = "bench", description = "Measures a live server: connect time, put/get pairs, batches, call latency, "
        + "the master/worker pipeline with 2 worker JVMs, heap per pending task, and 64 concurrent clients. "
        + "Uses the queues given (default tasks and results), which must be empty and have no other consumers.")
final class Bench implements Callable<Integer> {

    @Mixin Connection connection;
    @Option(names = "--json", description = "One JSON object instead of a table.")
    boolean json;
    @Option(names = "--queue", paramLabel = "NAME", description = "Queue to load (default: ${DEFAULT-VALUE}).")
    String queue = "tasks";
    @Option(names = "--results", paramLabel = "NAME", description = "Queue for the pipeline's results (default: ${DEFAULT-VALUE}).")
    String resultsQueue = "results";
    @Option(names = "--pairs", paramLabel = "N", description = "Put/get pairs timed (default: ${DEFAULT-VALUE}).")
    int pairs = 20_000;
    @Option(names = "--batches", paramLabel = "N", description = "Batches of 1,000 put and taken (default: ${DEFAULT-VALUE}).")
    int batches = 200;
    @Option(names = "--pipeline-tasks", paramLabel = "N", description = "Tasks through the master/worker pipeline (default: ${DEFAULT-VALUE}).")
    int pipelineTasks = 200_000;
    @Option(names = "--latency-calls", paramLabel = "N", description = "Single put and take calls timed one by one (default: ${DEFAULT-VALUE}).")
    int latencyCalls = 20_000;
    @Option(names = "--heap-tasks", paramLabel = "N", description = "Pending tasks for the heap measurement (default: ${DEFAULT-VALUE}).")
    int heapTasks = 1_000_000;
    @Option(names = "--clients", paramLabel = "N", description = "Concurrent clients for the scaling measurement (default: ${DEFAULT-VALUE}).")
    int clients = 64;
    @Option(names = "--warmup", paramLabel = "SECONDS", description = "Least warm-up before each of the "
            + "connect, pairs, batch and latency measurements, three times as much before the pipeline's, whose four "
            + "JVMs compile their paths while they share the cores (default: ${DEFAULT-VALUE}).")
    double warmup = 5;
    @Option(names = "--skip", split = ",", paramLabel = "NAME", description = "Measurements to leave out: connect, pairs, batch, latency, pipeline, heap, clients.")
    List<String> skip = new ArrayList<>();

    private final Map<String, Object> results = new LinkedHashMap<>();
    private final PayloadCodec codec = new PayloadCodec(AllowList.defaults(), SerialLimits.PAYLOAD);

    @Override
    public Integer call() throws Exception {
        if (pairs < 1 || batches < 1 || pipelineTasks < 1 || latencyCalls < 1 || heapTasks < 1 || clients < 1) {
            throw new IllegalArgumentException("every size must be at least 1");
        }
        if (!(warmup >= 0 && warmup <= 600)) {
            throw new IllegalArgumentException("--warmup must be 0 to 600 seconds, got " + warmup);
        }
        try (QueueClient client = connection.connect()) {
            DistributedQueue<Object> q = client.queue(queue);
            DistributedQueue<Object> r = client.queue(resultsQueue);
            if (q.size() > 0 || r.size() > 0) {
                throw new IllegalStateException("bench needs '" + queue + "' and '" + resultsQueue
                        + "' empty, but they hold " + q.size() + " and " + r.size() + " items");
            }
            results.put("server", client.address());
            step("connect", () -> connect());
            step("pairs", () -> pairs(client));
            step("batch", () -> batch(client));
            step("latency", () -> latency(client));
            step("pipeline", () -> pipeline(client));
            step("heap", () -> heap(client));
            step("clients", () -> concurrentClients());
        }
        print();
        return 0;
    }

    private interface Step {
        void run() throws Exception;
    }

    private void step(String name, Step s) throws Exception {
        if (!skip.contains(name)) {
            System.err.println("bench: " + name + "...");
            s.run();
        }
    }

    private long warmUntil() {
        return System.nanoTime() + (long) (warmup * 1e9);
    }

    private QueueClient newClient() {
        return connection.connect();
    }

    private void connect() {
        // Warm-up: a JVM's first connections run RMI's and our code in the interpreter, several
        // times slower than a warm program, on both ends; a fresh server needed about a thousand
        // connections before the median settled. 1,000 connections or --warmup, whichever comes first.
        long warmUntil = warmUntil();
        for (int i = 0; i < 1_000 && System.nanoTime() - warmUntil < 0; i++) {
            try (QueueClient c = newClient()) {
                c.stats();
            }
        }
        double[] ms = new double[20];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            try (QueueClient c = newClient()) {
                c.stats();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(ms);
        results.put("connect_ms", round((ms[9] + ms[10]) / 2, 3));
    }

    private double pairsPerSecond(DistributedQueue<Integer> q, int n) throws InterruptedException {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            q.put(i);
            q.get();
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    /** Put/get pairs for --warmup at least, in rounds of 5,000 (or of --pairs, if fewer). */
    private void warmUp(DistributedQueue<Integer> q) throws InterruptedException {
        long warmUntil = warmUntil();
        do {
            pairsPerSecond(q, Math.min(pairs, 5_000));
        } while (System.nanoTime() - warmUntil < 0);
    }

    private void pairs(QueueClient client) throws InterruptedException {
        DistributedQueue<Integer> q = client.queue(queue);
        warmUp(q);
        results.put("putget_pairs_per_s", Math.round(pairsPerSecond(q, pairs)));
    }

    private void batch(QueueClient client) throws InterruptedException {
        DistributedQueue<Integer> q = client.queue(queue);
        List<Integer> items = new ArrayList<>(1_000);
        for (int i = 0; i < 1_000; i++) {
            items.add(i);
        }
        // Warm-up: rounds of a tenth of the measured batches, for --warmup at least
        long warmUntil = warmUntil();
        do {
            batchesPerSecond(q, items, Math.max(1, batches / 10));
        } while (System.nanoTime() - warmUntil < 0);
        results.put("batch_items_per_s", Math.round(1_000 * batchesPerSecond(q, items, batches)));
    }

    private static double batchesPerSecond(DistributedQueue<Integer> q, List<Integer> items, int n)
            throws InterruptedException {
        long t0 = System.nanoTime();
        for (int b = 0; b < n; b++) {
            q.putAll(items);
            int got = 0;
            while (got < items.size()) {
                got += q.take(items.size() - got, Duration.ofSeconds(10)).size();
            }
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    private void latency(QueueClient client) throws InterruptedException {
        DistributedQueue<Integer> q = client.queue(queue);
        warmUp(q);
        long[] us = new long[2 * latencyCalls];
        for (int i = 0; i < latencyCalls; i++) {
            long t0 = System.nanoTime();
            q.put(i);
            long t1 = System.nanoTime();
            q.get();
            long t2 = System.nanoTime();
            us[2 * i] = (t1 - t0) / 1_000;
            us[2 * i + 1] = (t2 - t1) / 1_000;
        }
        Arrays.sort(us);
        results.put("call_p50_us", us[(int) (us.length * 0.50)]);
        results.put("call_p99_us", us[(int) (us.length * 0.99)]);
        results.put("call_p999_us", us[Math.min(us.length - 1, (int) (us.length * 0.999))]);
    }

    /** Master here, 2 workers as separate JVMs running the shipped worker with its defaults. */
    private void pipeline(QueueClient client) throws Exception {
        Path jar = Path.of(Cli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!jar.toString().endsWith(".jar")) {
            throw new IllegalStateException("the pipeline measurement starts workers from client.jar; run bench from it");
        }
        List<Process> workers = new ArrayList<>();
        try {
            CountDownLatch ready = new CountDownLatch(2);
            for (int w = 0; w < 2; w++) {
                ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-jar", jar.toString(), "worker", "--quiet", "--host", connection.host(),
                        "--port", String.valueOf(connection.port()));
                pb.environment().put("RMIQ_AUTHKEY", new String(connection.authkey(), StandardCharsets.UTF_8));
                pb.environment().remove("RMIQ_AUTHKEY_FILE");
                connection.passTls(pb);
                pb.redirectErrorStream(true);
                Process p = pb.start();
                workers.add(p);
                Thread t = new Thread(() -> {
                    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line; (line = in.readLine()) != null; ) {
                            if (line.contains("worker ready")) {
                                ready.countDown();
                            }
                        }
                    } catch (java.io.IOException e) {
                        // the worker is gone
                    }
                }, "bench-worker-out");
                t.setDaemon(true);
                t.start();
            }
            if (!ready.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the bench's workers did not start within 60 s");
            }
            // The workers are fresh JVMs, and a fresh server is still compiling its own paths while
            // four JVMs share the cores: rounds as long as the measured one (at most 200,000 tasks)
            // for three times --warmup let the JIT finish first, so the figure is the steady state
            // (on 2 cores it kept rising for about 15 s: 260,000 tasks/s after 5 s, 730,000 after 15).
            long warmUntil = System.nanoTime() + (long) (3 * warmup * 1e9);
            do {
                runPipeline(client, Math.max(1_000, Math.min(pipelineTasks, 200_000)));
            } while (System.nanoTime() - warmUntil < 0);
            results.put("pipeline_tasks_per_s", Math.round(runPipeline(client, pipelineTasks)));
        } finally {
            for (Process p : workers) {
                p.toHandle().destroy();
            }
            for (Process p : workers) {
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    private double runPipeline(QueueClient client, int n) throws Exception {
        DistributedQueue<List<Long>> tasks = client.queue(queue);
        DistributedQueue<List<Long>> done = client.queue(resultsQueue);
        ExecutorService producer = Executors.newSingleThreadExecutor();
        try {
            long t0 = System.nanoTime();
            Future<?> put = producer.submit(() -> {
                List<List<Long>> batch = new ArrayList<>(1_000);
                for (long i = 0; i < n; i++) {
                    batch.add(List.of(i, i % 10_000));
                    if (batch.size() == 1_000 || i == n - 1) {
                        tasks.putAll(batch);
                        batch.clear();
                    }
                }
                return null;
            });
            int got = 0;
            while (got < n) {
                List<List<Long>> r = done.take(1_000, Duration.ofSeconds(60));
                if (r.isEmpty()) {
                    throw new IllegalStateException("the pipeline stalled after " + got + " of " + n + " results");
                }
                got += r.size();
            }
            put.get();
            return n / ((System.nanoTime() - t0) / 1e9);
        } finally {
            producer.shutdownNow();
        }
    }

    private void heap(QueueClient client) throws InterruptedException {
        DistributedQueue<Integer> q = client.queue(queue);
        long before = client.serverHeapUsedBytes(true);
        List<Integer> chunk = new ArrayList<>(10_000);
        for (int i = 0; i < heapTasks; i++) {
            chunk.add(i);
            if (chunk.size() == 10_000 || i == heapTasks - 1) {
                q.putAll(chunk);
                chunk.clear();
            }
        }
        long after = client.serverHeapUsedBytes(true);
        while (!q.take(10_000, Duration.ZERO).isEmpty()) {
            // drain what was put
        }
        int payload = codec.encode(123_456).length;
        results.put("server_heap_bytes_per_task", Math.round((after - before) / (double) heapTasks));
        results.put("payload_bytes", payload);
    }

    private void concurrentClients() throws Exception {
        Duration run = Duration.ofSeconds(3);
        double single = loadFor(1, run);
        double many = loadFor(clients, run);
        results.put("clients", clients);
        results.put("single_client_pairs_per_s", Math.round(single));
        results.put("concurrent_pairs_per_s", Math.round(many));
        results.put("concurrent_ratio", round(many / single, 2));
    }

    /** Aggregate put/get pairs per second of {@code n} clients, each with its own connection. */
    private double loadFor(int n, Duration run) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<QueueClient> opened = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                opened.add(newClient());
            }
            LongAdder count = new LongAdder();
            CountDownLatch start = new CountDownLatch(1);
            long[] end = new long[1];
            List<Future<?>> fs = new ArrayList<>();
            for (QueueClient c : opened) {
                DistributedQueue<Integer> q = c.queue(queue);
                fs.add(pool.submit(() -> {
                    start.await();
                    while (System.nanoTime() < end[0]) {
                        q.put(1);
                        q.get();
                        count.increment();
                    }
                    return null;
                }));
            }
            end[0] = System.nanoTime() + run.toNanos();
            start.countDown();
            for (Future<?> f : fs) {
                f.get();
            }
            return count.sum() / (run.toNanos() / 1e9);
        } finally {
            pool.shutdownNow();
            opened.forEach(QueueClient::close);
        }
    }

    private void print() {
        if (json) {
            Cli.OUT.println(Json.of(results));
        } else {
            results.forEach((k, v) -> Cli.OUT.printf(Locale.ROOT, "%-28s %s%n", k, v));
        }
    }

    private static double round(double v, int places) {
        double f = Math.pow(10, places);
        return Math.round(v * f) / f;
    }
}
