package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.Delivery;
import io.rmiq.api.DistributedQueue;
import io.rmiq.client.Processes.Proc;
import io.rmiq.client.Processes.ServerProc;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Nothing lost to a worker killed with -9, to a server killed with -9, or to a torn journal. */
class DurabilityProcessIT extends ProcessTestBase {

    @Test
    void workerKilledWithNine_whileHoldingLeases_everyTaskStillCompletes() throws Exception {
        ServerProc server = procs.server(dir, "--session-timeout", "2");
        Proc doomed = client(server, "worker", "--work-ms", "100", "--threads", "2");
        Proc survivor = client(server, "worker", "--work-ms", "20", "--threads", "2", "--quiet", "--idle-exit", "10");
        doomed.awaitLine("worker ready", LONG);
        survivor.awaitLine("worker ready", LONG);

        Proc master = client(server, "master", "--tasks", "100", "--quiet");
        doomed.awaitLine("run task", LONG);
        doomed.process.destroyForcibly(); // SIGKILL: no shutdown hook, no goodbye to the server

        assertEquals(0, master.awaitExit(LONG), master.all());
        assertEquals("received 100/100 results", master.out.get(master.out.size() - 1), master.all());
        Matcher dup = Pattern.compile("duplicates: (\\d+)").matcher(String.join("\n", master.out));
        int duplicates = dup.find() ? Integer.parseInt(dup.group(1)) : 0;
        assertTrue(duplicates <= 32, "at most the 32 tasks the killed worker held (16 per thread) come twice: "
                + duplicates);
    }

    @Test
    void serverKilledWithNine_duringAStream_withFsyncAlways_losesNoPutAndResurrectsNoAck() throws Exception {
        ServerProc server = procs.server(dir, "--fsync", "always");
        Set<Integer> returnedPuts = ConcurrentHashMap.newKeySet();
        Set<Integer> acked = ConcurrentHashMap.newKeySet();
        Set<Integer> ackTried = ConcurrentHashMap.newKeySet(); // an ack cut off by the crash may or may not have landed
        int[] attempted = {0};
        QueueClient producerClient = connect(server);
        QueueClient consumerClient = connect(server);
        Thread producer = new Thread(() -> {
            DistributedQueue<Integer> q = producerClient.queue("tasks");
            try {
                for (int i = 0; i < 1_000_000; i++) {
                    attempted[0] = i + 1;
                    q.put(i);
                    returnedPuts.add(i);
                }
            } catch (Exception e) {
                // the server died under us
            }
        });
        Thread consumer = new Thread(() -> {
            DistributedQueue<Integer> q = consumerClient.queue("tasks");
            try {
                while (true) {
                    List<Delivery<Integer>> got = q.receive(50, Duration.ofSeconds(1));
                    for (Delivery<Integer> d : got) {
                        ackTried.add(d.payload());
                        if (d.ack()) {
                            acked.add(d.payload());
                        }
                    }
                }
            } catch (Exception e) {
                // the server died under us
            }
        });
        producer.start();
        consumer.start();
        await().atMost(LONG).until(() -> returnedPuts.size() >= 500 && acked.size() >= 100);
        server.proc().process.destroyForcibly();
        producer.join(30_000);
        consumer.join(30_000);
        server.proc().awaitExit(LONG);

        ServerProc restarted = procs.server(dir, "--fsync", "always");
        List<Integer> redelivered = new ArrayList<>();
        try (QueueClient c = connect(restarted)) {
            DistributedQueue<Integer> q = c.queue("tasks");
            while (true) {
                List<Delivery<Integer>> got = q.receive(1_000, Duration.ofSeconds(2));
                if (got.isEmpty()) {
                    break;
                }
                got.forEach(d -> redelivered.add(d.payload()));
                q.ack(got);
            }
        }
        Set<Integer> after = new HashSet<>(redelivered);
        assertEquals(redelivered.size(), after.size(), "no task twice in the journal");
        for (int p : returnedPuts) {
            assertTrue(ackTried.contains(p) || after.contains(p), "put " + p + " returned but was lost");
        }
        for (int a : acked) {
            assertTrue(!after.contains(a), "acked task " + a + " came back");
        }
        for (int r : after) {
            assertTrue(r < attempted[0], "task " + r + " was never put");
        }
    }

    @Test
    void worker_survivesAServerRestart_andResumesWork() throws Exception {
        ServerProc server = procs.server(dir);
        Proc worker = client(server, "worker", "--work-ms", "5", "--threads", "2");
        worker.awaitLine("worker ready", LONG);
        Proc first = client(server, "master", "--tasks", "50", "--quiet");
        assertEquals(0, first.awaitExit(LONG), first.all());

        server.proc().terminate();
        server.proc().awaitExit(LONG);
        int linesBefore = worker.out.size();
        ServerProc restarted = procs.server(dir, "--port", String.valueOf(server.port()));
        Proc second = client(restarted, "master", "--tasks", "50", "--quiet");
        assertEquals(0, second.awaitExit(LONG), second.all() + "\nworker: " + worker.all());
        assertTrue(worker.process.isAlive(), worker.all());
        assertTrue(worker.out.size() >= linesBefore + 50, "the same worker did the second run's tasks: " + worker.all());
        assertTrue(worker.err.stream().anyMatch(l -> l.contains("lost the server")), worker.all());
    }

    @Test
    void journalTornInItsLastRecord_restartsWithAWarning_losingOnlyThatRecord() throws Exception {
        ServerProc server = procs.server(dir);
        try (QueueClient c = connect(server)) {
            DistributedQueue<Integer> q = c.queue("tasks");
            for (int i = 0; i < 20; i++) {
                q.put(i);
            }
        }
        server.proc().terminate();
        server.proc().awaitExit(LONG);
        Path newest;
        try (Stream<Path> s = Files.list(dir.resolve("rmiq-data/journal"))) {
            newest = s.filter(p -> p.getFileName().toString().startsWith("segment-"))
                    .filter(p -> p.toFile().length() > 0).sorted().reduce((a, b) -> b).orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(newest.toFile(), "rw")) {
            // The last write holds item 19's put and then its producer record (43 bytes): cut into the put.
            f.setLength(f.length() - 43 - 3);
        }

        ServerProc restarted = procs.server(dir);
        assertTrue(restarted.proc().err.stream().anyMatch(l -> l.contains("WARN") && l.contains("dropping")),
                restarted.proc().all());
        try (QueueClient c = connect(restarted)) {
            DistributedQueue<Integer> q = c.queue("tasks");
            assertEquals(java.util.stream.IntStream.range(0, 19).boxed().toList(), q.take(100, Duration.ofSeconds(2)));
        }
    }
}
