package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DistributedQueue;
import io.rmiq.client.Processes.Proc;
import io.rmiq.client.Processes.ServerProc;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The demo master and its workers ride through a server killed with -9 and restarted four times on
 * the same port and directory, and a producer putting all the while stores every item once.
 */
class RideThroughProcessIT extends ProcessTestBase {

    /** Waits for the producer to put 200 more items; if it does not, says where it is stuck. */
    private static void awaitProgress(Thread producer, AtomicInteger produced, int from,
            AtomicReference<Throwable> failed) {
        try {
            // A producer done with all its items (a fast machine, slow restarts) has nothing more to show.
            await().atMost(LONG).until(() -> produced.get() > from + 200 || failed.get() != null || !producer.isAlive());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            StringBuilder where = new StringBuilder("the producer put nothing for " + LONG.toSeconds() + " s; its stack:");
            for (StackTraceElement f : producer.getStackTrace()) {
                where.append("\n\tat ").append(f);
            }
            throw new AssertionError(where.toString(), e);
        }
    }

    @Test
    void masterAndWorkers_rideThroughFourKillNineRestarts_andEveryPutIsStoredOnce() throws Exception {
        int port = RideThroughTest.freePort();
        String[] serverArgs = {"--port", String.valueOf(port), "--fsync", "always",
                "--queue", "tasks", "--queue", "results", "--queue", "extra"};
        ServerProc server = procs.server(dir, serverArgs);
        Proc w1 = client(server, "worker", "--threads", "2", "--work-ms", "20");
        Proc w2 = client(server, "worker", "--threads", "2", "--work-ms", "20");
        w1.awaitLine("worker ready", LONG);
        w2.awaitLine("worker ready", LONG);
        Proc master = client(server, "master", "--tasks", "3000", "--quiet");

        // A producer in this JVM puts numbered items in batches of 10 the whole time.
        String key = Files.readString(dir.resolve("rmiq-data/authkey")).strip();
        AtomicInteger produced = new AtomicInteger();
        AtomicReference<Throwable> producerFailed = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread producer;
        try (QueueClient c = QueueClient.builder(List.of(new InetSocketAddress("127.0.0.1", port))).authkey(key)
                .reconnectTimeout(Duration.ofSeconds(60)).connect()) {
            DistributedQueue<Integer> extra = c.queue("extra");
            producer = new Thread(() -> {
                try {
                    while (!stop.get() && produced.get() < 20_000) {
                        List<Integer> batch = new ArrayList<>();
                        for (int i = 0; i < 10; i++) {
                            batch.add(produced.get() + i);
                        }
                        extra.putAll(batch);
                        produced.addAndGet(10);
                    }
                } catch (Throwable t) {
                    producerFailed.set(t);
                }
            }, "producer");
            producer.start();
            // The master has connected (first contact fails fast, by design) once its tasks are in.
            await().atMost(LONG).until(() -> c.stats().stream()
                    .anyMatch(st -> st.name().equals("tasks") && st.puts() >= 3000));

            for (int restart = 1; restart <= 4; restart++) {
                int before = produced.get();
                awaitProgress(producer, produced, before, producerFailed);
                server.proc().process.destroyForcibly(); // SIGKILL
                server.proc().awaitExit(LONG);
                Thread.sleep(1_000); // down for a while: the clients must wait, not fail
                server = procs.server(dir, serverArgs);
            }
            int afterLast = produced.get();
            awaitProgress(producer, produced, afterLast, producerFailed);
            stop.set(true); // not an interrupt: the last put must end as it would, stored and counted
            producer.join(LONG.toMillis());
            assertEquals(null, producerFailed.get(), "the producer rode through every restart");

            int exit = master.awaitExit(LONG);
            if (exit != 0 || !master.out.contains("received 3000/3000 results")) {
                // Where the missing results are: waiting, leased, dead-lettered, or nowhere.
                throw new AssertionError("master exit " + exit + "; queues now: " + c.stats() + "\ndead letters: "
                        + c.queue("tasks.dead").peek(5) + "\n" + master.all() + "\nW1:" + w1.all() + "\nW2:" + w2.all());
            }

            // Every item the producer put is there once: count them by value.
            Map<Integer, Integer> seen = new HashMap<>();
            while (true) {
                List<Integer> got = extra.take(1_000, Duration.ofMillis(500));
                if (got.isEmpty()) {
                    break;
                }
                got.forEach(v -> seen.merge(v, 1, Integer::sum));
            }
            int total = produced.get();
            assertEquals(total, seen.size(), "every acknowledged put is there");
            List<Integer> twice = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
            assertEquals(List.of(), twice, "items stored twice");
        }
        // Every duplicate result the master saw is a task computed twice (a redelivery), not a result stored twice.
        long duplicates = master.out.stream().filter(l -> l.startsWith("duplicates: ")).findFirst()
                .map(l -> Long.parseLong(l.substring("duplicates: ".length()).split(" ")[0])).orElse(0L);
        Map<String, Integer> computed = new HashMap<>();
        for (Proc w : List.of(w1, w2)) {
            synchronized (w.out) {
                w.out.stream().filter(l -> l.startsWith("run task ")).forEach(l -> computed.merge(l, 1, Integer::sum));
            }
        }
        long recomputed = computed.values().stream().mapToLong(n -> n - 1).sum();
        assertTrue(duplicates <= recomputed, duplicates + " duplicate results, " + recomputed + " tasks computed again");
        assertTrue(String.join("\n", w1.err).contains("lost the server"), w1.all());
        assertTrue(String.join("\n", w1.err).contains("reachable again"), w1.all());
    }

    @Test
    void aClientListingTwoServers_carriesOnWithTheSecond_whenTheFirstIsKilledWithNine() throws Exception {
        java.nio.file.Path key = dir.resolve("key");
        Files.writeString(key, "failover-test-key-0123456789abcdef");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        java.nio.file.Path dirA = Files.createDirectories(dir.resolve("a"));
        java.nio.file.Path dirB = Files.createDirectories(dir.resolve("b"));
        ServerProc a = procs.server(dirA, "--authkey-file", key.toString());
        ServerProc b = procs.server(dirB, "--authkey-file", key.toString());
        List<InetSocketAddress> both = List.of(new InetSocketAddress("127.0.0.1", a.port()),
                new InetSocketAddress("127.0.0.1", b.port()));
        try (QueueClient client = QueueClient.builder(both).authkey(Files.readString(key).strip())
                .reconnectTimeout(Duration.ofSeconds(30)).connect();
                QueueClient onlyB = QueueClient.connect("127.0.0.1", b.port(), Files.readString(key).strip())) {
            DistributedQueue<String> tasks = client.queue("tasks");
            tasks.put("to a");
            assertEquals(0, onlyB.queue("tasks").size(), "the first server of the list took it");

            a.proc().process.destroyForcibly();
            long start = System.nanoTime();
            tasks.put("to b"); // no error: the client moved on to the second server
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.println("failover to the second server took " + millis + " ms");
            assertEquals(List.of("to b"), onlyB.<String>queue("tasks").peek(10));
            assertEquals("to b", tasks.poll(Duration.ofSeconds(5)), "later calls go to the second server too");
        }
    }
}
