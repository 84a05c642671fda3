package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DistributedQueue;
import io.rmiq.client.Processes.Proc;
import io.rmiq.client.Processes.ServerProc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The product as a user runs it: server.jar and client.jar as separate processes on 127.0.0.1. */
class DemoProcessIT extends ProcessTestBase {

    @Test
    void masterAndTwoWorkers_completeEveryTaskExactlyOnce() throws Exception {
        ServerProc server = procs.server(dir);
        Proc w1 = client(server, "worker", "--work-ms", "5", "--idle-exit", "5");
        Proc w2 = client(server, "worker", "--work-ms", "5", "--idle-exit", "5");
        w1.awaitLine("worker ready", LONG);
        w2.awaitLine("worker ready", LONG);

        Proc master = client(server, "master", "--tasks", "200");
        assertEquals(0, master.awaitExit(LONG), master.all());

        List<Integer> put = numbers(master.out, Pattern.compile("^Put task (\\d+)\\.\\.\\.$"));
        List<Integer> got = numbers(master.out, Pattern.compile("^Result: (\\d+) \\* \\1 = (\\d+)$"));
        assertEquals(200, put.size());
        put.sort(null);
        got.sort(null);
        assertEquals(put, got, "every task's result exactly once");
        assertEquals("received 200/200 results", master.out.get(master.out.size() - 1));

        assertEquals(0, w1.awaitExit(LONG), w1.all());
        assertEquals(0, w2.awaitExit(LONG), w2.all());
        int done1 = tasksDone(w1);
        int done2 = tasksDone(w2);
        assertTrue(done1 > 0 && done2 > 0, "both workers got work: " + done1 + " and " + done2);
        assertEquals(200, done1 + done2);
    }

    @Test
    void cli_putGetStats_roundTripStringItems() throws Exception {
        ServerProc server = procs.server(dir, "--queue", "jobs:5");
        Proc put = client(server, "put", "jobs", "alpha", "beta", "gamma");
        assertEquals(0, put.awaitExit(LONG), put.all());
        assertEquals(List.of("put 3 items on jobs"), put.out);

        Proc stats = client(server, "stats");
        assertEquals(0, stats.awaitExit(LONG), stats.all());
        assertTrue(stats.out.stream().anyMatch(l -> l.matches("jobs\\s+3\\s+0\\s+5\\s+0\\s+3\\s+0\\s+0\\s+\\S+")), stats.all());
        assertTrue(stats.out.stream().anyMatch(l -> l.matches("tasks\\s+0\\s+0\\s+unbounded\\s+0\\s+0\\s+0\\s+0\\s+-")), stats.all());

        // Connection options before the command, as people type them (redis-cli -h, docker -H).
        Proc first = procs.client(dir, Map.of(), "--host", server.host(), "--port", String.valueOf(server.port()), "stats");
        assertEquals(0, first.awaitExit(LONG), first.all());
        assertTrue(first.out.stream().anyMatch(l -> l.startsWith("jobs")), first.all());

        Proc json = client(server, "stats", "--json");
        assertEquals(0, json.awaitExit(LONG), json.all());
        assertTrue(json.out.get(0).contains("{\"name\":\"jobs\",\"size\":3,\"in_flight\":0,\"capacity\":5,\"dead_letters\":0,\"puts\":3,"), json.all());

        Proc get = client(server, "get", "jobs", "--count", "3", "--timeout", "10");
        assertEquals(0, get.awaitExit(LONG), get.all());
        assertEquals(List.of("alpha", "beta", "gamma"), get.out);

        Proc empty = client(server, "get", "jobs", "--timeout", "0.5");
        assertEquals(1, empty.awaitExit(LONG), empty.all());
        assertEquals(1, empty.err.size(), empty.all());
        assertTrue(empty.err.get(0).contains("timed out"), empty.all());
    }

    @Test
    void cli_listsAndRequeuesDeadLetters() throws Exception {
        ServerProc server = procs.server(dir, "--queue", "jobs,max-attempts=2");
        try (QueueClient c = connect(server)) {
            DistributedQueue<String> jobs = c.queue("jobs");
            jobs.put("poison");
            jobs.receive(1, Duration.ofSeconds(2)).get(0).nack("parse error at line 1");
            jobs.receive(1, Duration.ofSeconds(2)).get(0).nack("parse error at line 1, again");
        }
        Proc dead = client(server, "dead", "jobs");
        assertEquals(0, dead.awaitExit(LONG), dead.all());
        assertTrue(dead.out.get(0).contains("attempts=2") && dead.out.get(0).contains("reason=parse error at line 1, again")
                && dead.out.get(0).endsWith("payload=poison"), dead.all());
        assertEquals("1 dead letter in jobs.dead", dead.out.get(1));

        Proc requeue = client(server, "requeue", "jobs");
        assertEquals(0, requeue.awaitExit(LONG), requeue.all());
        assertEquals(List.of("requeued 1 dead letter onto jobs"), requeue.out);
        Proc get = client(server, "get", "jobs", "--timeout", "5");
        assertEquals(0, get.awaitExit(LONG), get.all());
        assertEquals(List.of("poison"), get.out);
    }

    @Test
    void cli_workersShowsWhatEachHolds_andPurgeEmptiesAQueue() throws Exception {
        ServerProc server = procs.server(dir);
        Proc worker = client(server, "worker", "--work-ms", "60000", "--threads", "1");
        worker.awaitLine("worker ready", LONG);
        try (QueueClient c = connect(server)) {
            c.<List<Long>>queue("tasks").putAll(java.util.stream.LongStream.range(0, 40).mapToObj(i -> List.of(i, i)).toList());
        }
        await().atMost(LONG).until(() -> {
            Proc w = client(server, "workers");
            w.awaitExit(LONG);
            return w.out.stream().anyMatch(l -> l.contains("pid ") && l.matches(".*\\{tasks=\\d+}.*")); // its prefetch
        });
        Proc workers = client(server, "workers", "--json");
        assertEquals(0, workers.awaitExit(LONG), workers.all());
        assertTrue(workers.out.get(0).matches("\\{\"workers\":\\[\\{\"session\":.*\"holds\":\\{\"tasks\":\\d+}}]}"),
                workers.all());

        Proc purge = client(server, "purge", "tasks");
        assertEquals(0, purge.awaitExit(LONG), purge.all());
        assertTrue(purge.out.get(0).matches("purged \\d+ items? from tasks"), purge.all());
        Proc stats = client(server, "stats", "--json");
        assertEquals(0, stats.awaitExit(LONG), stats.all());
        assertTrue(stats.out.get(0).contains("{\"name\":\"tasks\",\"size\":0,"), stats.all());
    }

    @Test
    void cli_connectionSettings_comeFromTheEnvironment() throws Exception {
        ServerProc server = procs.server(dir);
        Path key = Files.createTempFile(dir, "key", ".txt");
        Files.copy(dir.resolve("rmiq-data/authkey"), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Proc put = procs.client(elsewhere, Map.of("RMIQ_HOST", server.host(), "RMIQ_PORT",
                String.valueOf(server.port()), "RMIQ_AUTHKEY_FILE", key.toString()), "put", "tasks", "from-env");
        assertEquals(0, put.awaitExit(LONG), put.all());

        Proc get = procs.client(elsewhere, Map.of("RMIQ_HOST", server.host(), "RMIQ_PORT",
                String.valueOf(server.port()), "RMIQ_AUTHKEY", Files.readString(key).strip()), "get", "tasks");
        assertEquals(0, get.awaitExit(LONG), get.all());
        assertEquals(List.of("from-env"), get.out);
    }

    @Test
    void generatedAuthkey_isStoredOwnerOnly_andNeverPrinted() throws Exception {
        ServerProc server = procs.server(dir);
        Path keyFile = dir.resolve("rmiq-data/authkey");
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(keyFile));
        String key = Files.readString(keyFile).strip();
        assertTrue(key.length() >= 40, "a strong generated key");
        await().atMost(LONG).until(() -> server.proc().err.stream().anyMatch(l -> l.contains(keyFile.toString())));
        assertTrue(server.proc().err.stream().noneMatch(l -> l.contains(key)));
        assertTrue(server.proc().out.stream().noneMatch(l -> l.contains(key)));
    }

    @Test
    void wrongAuthkey_clientExits1WithClearMessage_serverWarnsAndKeepsServing() throws Exception {
        ServerProc server = procs.server(dir);
        Proc bad = procs.client(dir, Map.of("RMIQ_AUTHKEY", "a-wrong-key-of-enough-length"), "stats", "--host", server.host(),
                "--port", String.valueOf(server.port()));
        assertEquals(1, bad.awaitExit(LONG), bad.all());
        assertEquals(List.of("client.jar: rmiq server at " + server.host() + ":" + server.port()
                + " rejected the authkey"), bad.err);
        await().atMost(LONG).until(() -> server.proc().err.stream()
                .anyMatch(l -> l.contains("WARN") && l.contains("rejected connection from 127.0.0.1:")));
        Proc good = client(server, "stats");
        assertEquals(0, good.awaitExit(LONG), good.all());
    }

    @Test
    void badFlags_getOneLineErrorsAndExitCode2() throws Exception {
        Proc c = procs.client(dir, Map.of(), "stats", "--bogus");
        assertEquals(2, c.awaitExit(LONG), c.all());
        assertEquals(1, c.err.size(), c.all());
        assertTrue(c.err.get(0).contains("--bogus"), c.all());

        Proc s = procs.java(dir, Map.of(), Processes.SERVER_JAR, List.of("--bogus"));
        assertEquals(2, s.awaitExit(LONG), s.all());
        assertEquals(1, s.err.size(), s.all());

        Proc q = procs.java(dir, Map.of(), Processes.SERVER_JAR, List.of("--port", "0", "--queue", "bad name!"));
        assertEquals(2, q.awaitExit(LONG), q.all());
        assertTrue(q.err.get(q.err.size() - 1).contains("bad queue name"), q.all());

        Proc a = procs.java(dir, Map.of(), Processes.SERVER_JAR, List.of("--port", "0", "--allow", "com..**x"));
        assertEquals(2, a.awaitExit(LONG), a.all());
    }

    @Test
    void serverHelp_listsEveryFlag() throws Exception {
        Proc s = procs.java(dir, Map.of(), Processes.SERVER_JAR, List.of("--help"));
        assertEquals(0, s.awaitExit(LONG), s.all());
        String help = String.join("\n", s.out);
        for (String flag : List.of("--port", "--bind", "--advertise-host", "--authkey-file", "--data-dir",
                "--queue", "--allow", "--help")) {
            assertTrue(help.contains(flag), flag + " missing from\n" + help);
        }
    }

    @Test
    void serverVersion_andLogDir_work() throws Exception {
        Proc v = procs.java(dir, Map.of(), Processes.SERVER_JAR, List.of("--version"));
        assertEquals(0, v.awaitExit(LONG), v.all());
        assertTrue(v.out.get(0).matches("rmiq server \\d+\\.\\d+\\.\\d+.*"), v.all());

        ServerProc server = procs.server(dir, "--log-dir", "logs");
        Path log = dir.resolve("logs/rmiq.log");
        await().atMost(LONG).until(() -> Files.exists(log) && Files.readString(log).contains("rmiq server on port "
                + server.port()));
    }

    @Test
    void sigterm_releasesABlockedClientWithAClearError() throws Exception {
        ServerProc server = procs.server(dir);
        Proc get = client(server, "get", "tasks");
        await().during(Duration.ofSeconds(2)).atMost(LONG).until(() -> get.process.isAlive());
        server.proc().terminate();
        int code = get.awaitExit(LONG);
        assertNotEquals(0, code, get.all());
        assertTrue(get.err.stream().anyMatch(l -> l.contains("shutting down") || l.contains("stopped")), get.all());
        server.proc().awaitExit(LONG);
        assertTrue(server.proc().err.stream().anyMatch(l -> l.contains("stopped")), server.proc().all());
    }

    private static List<Integer> numbers(List<String> lines, Pattern p) {
        List<Integer> out = new ArrayList<>();
        synchronized (lines) {
            for (String l : lines) {
                Matcher m = p.matcher(l);
                if (m.matches()) {
                    out.add(Integer.parseInt(m.group(1)));
                }
            }
        }
        return out;
    }

    private static int tasksDone(Proc worker) {
        Matcher m = Pattern.compile("worker done: (\\d+) tasks").matcher(String.join("\n", worker.out));
        assertTrue(m.find(), worker.all());
        return Integer.parseInt(m.group(1));
    }
}
