package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rmiq.api.DistributedQueue;
import io.rmiq.api.PickledValue;
import io.rmiq.client.Processes.Proc;
import io.rmiq.client.Processes.ServerProc;
import java.io.File;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Unmodified CPython multiprocessing.managers clients (the scripts in src/test/python) against
 * server.jar --python-port, alone and beside Java clients on the same queues.
 */
class PythonProcessIT extends ProcessTestBase {

    private static final Path SCRIPTS = Path.of("src/test/python").toAbsolutePath();

    /** A server with the Python endpoint on, and its Python port. */
    private record Py(ServerProc server, int port) {
    }

    private Py server(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(extra));
        if (!args.contains("--python-port")) {
            args.addAll(List.of("--python-port", "0"));
        }
        ServerProc s = procs.server(dir, args.toArray(new String[0]));
        String line = s.proc().awaitLine("rmiq python port", LONG);
        return new Py(s, Integer.parseInt(line.substring(line.lastIndexOf(' ') + 1)));
    }

    private Proc python(String interpreter, Py py, String script, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(interpreter, "-u", SCRIPTS.resolve(script).toString(),
                "127.0.0.1", String.valueOf(py.port()), dir.resolve("rmiq-data/authkey").toString()));
        cmd.addAll(List.of(args));
        return procs.command(dir, cmd);
    }

    private Proc python(Py py, String script, String... args) throws Exception {
        return python(python3(), py, script, args);
    }

    /** Runs probe.py CASE to the end and returns its "ok ..." line. */
    private String probe(String interpreter, Py py, String probeCase) throws Exception {
        Proc p = python(interpreter, py, "probe.py", probeCase);
        assertEquals(0, p.awaitExit(LONG), p.all());
        String last = p.out.isEmpty() ? "" : p.out.get(p.out.size() - 1);
        assertTrue(last.startsWith("ok"), p.all());
        return last;
    }

    private String probe(Py py, String probeCase) throws Exception {
        return probe(python3(), py, probeCase);
    }

    private static String python3() {
        String found = runs("python3");
        assumeTrue(found != null, "python3 is not on PATH: the Python client tests need it");
        return found;
    }

    /** A Python 3.12 or newer (the {sha256} handshake), from PATH or pyenv; null if there is none. */
    private static String modernPython() {
        for (String name : List.of("python3.13", "python3.12")) {
            if (runs(name) != null) {
                return name;
            }
        }
        File[] versions = new File(System.getProperty("user.home"), ".pyenv/versions").listFiles();
        for (File v : versions == null ? new File[0] : versions) {
            String[] parts = v.getName().split("\\.");
            if (parts.length >= 2 && parts[0].equals("3") && parts[1].matches("\\d+") && Integer.parseInt(parts[1]) >= 12) {
                String exe = new File(v, "bin/python3").getPath();
                if (runs(exe) != null) {
                    return exe;
                }
            }
        }
        return null;
    }

    private static String runs(String exe) {
        try {
            Process p = new ProcessBuilder(exe, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0 ? exe : null;
        } catch (Exception e) {
            return null;
        }
    }

    @Test
    void seedMasterAndWorkers_inPython_getEveryResultBack() throws Exception {
        Py py = server();
        Proc w1 = python(py, "task_worker.py", "3");
        Proc w2 = python(py, "task_worker.py", "3");
        Proc master = python(py, "task_master.py", "100");
        assertEquals(0, master.awaitExit(LONG), master.all());
        assertEquals("received 100/100 results", master.out.get(master.out.size() - 1), master.all());
        assertEquals(0, w1.awaitExit(LONG), w1.all());
        assertEquals(0, w2.awaitExit(LONG), w2.all());
    }

    @Test
    void javaMaster_feedsPythonWorkers_plainValuesCrossBothWays() throws Exception {
        Py py = server();
        try (QueueClient client = connect(py.server())) {
            DistributedQueue<Object> tasks = client.queue("tasks");
            DistributedQueue<Object> results = client.queue("results");
            for (int i = 0; i < 100; i++) {
                tasks.put(i);
            }
            List<Object> withNull = new ArrayList<>(Arrays.asList("a", null));
            Map<String, Object> map = new HashMap<>(Map.of("k", List.of(1, 2.5)));
            List<Object> odd = List.of("text", 2.5, true, withNull, map, 1L << 40, new byte[] {1, 2});
            for (Object o : odd) {
                tasks.put(o);
            }
            Proc w1 = python(py, "task_worker.py", "3");
            Proc w2 = python(py, "task_worker.py", "3");

            Map<Object, Object> got = new HashMap<>();
            long deadline = System.nanoTime() + LONG.toNanos();
            while (got.size() < 107 && System.nanoTime() < deadline) {
                Object r = results.poll(Duration.ofSeconds(1));
                if (r instanceof List<?> l) {
                    got.put(l.get(0) instanceof String ? l.get(1) : l.get(0), l);
                } else if (r instanceof PickledValue p) {
                    got.put(((List<?>) p.view()).get(0), p);
                }
            }
            for (int i = 0; i < 100; i++) {
                assertEquals(List.of(i, i * i), got.get(i), "task " + i);
            }
            assertEquals(List.of("str", "text"), got.get("text"));
            assertEquals(List.of("float", 2.5), got.get(2.5));
            assertEquals(List.of("bool", true), got.get(true));
            assertEquals(List.of("list", withNull), got.get(withNull));
            assertEquals(List.of("dict", map), got.get(map));
            // 2^80 has no Java primitive: the worker's [n, n*n] comes back as its pickle, with a view
            PickledValue big = assertInstanceOf(PickledValue.class, got.get(1L << 40));
            assertEquals(List.of(1L << 40, "1208925819614629174706176"), big.view());
            // byte[] reaches Python as bytes; bytes come back as a pickle (Python's bytes and bytearray
            // look alike once unpickled in Java, and a Python consumer must get its own type back)
            PickledValue bytes = assertInstanceOf(PickledValue.class, got.get("bytes"));
            assertArrayEquals(new byte[] {1, 2}, (byte[]) ((List<?>) bytes.view()).get(1));
            assertEquals(0, w1.awaitExit(LONG), w1.all());
            assertEquals(0, w2.awaitExit(LONG), w2.all());
        }
    }

    @Test
    void pythonMaster_feedsJavaWorkers() throws Exception {
        Py py = server();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        try (QueueClient client = connect(py.server())) {
            for (int w = 0; w < 2; w++) {
                Thread t = new Thread(() -> {
                    DistributedQueue<Integer> tasks = client.queue("tasks");
                    DistributedQueue<List<Integer>> results = client.queue("results");
                    try {
                        while (!stop.get()) {
                            Integer n = tasks.poll(Duration.ofMillis(200));
                            if (n != null) {
                                results.put(List.of(n, n * n));
                            }
                        }
                    } catch (Throwable e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                });
                t.start();
                workers.add(t);
            }
            try {
                Proc master = python(py, "task_master.py", "100");
                assertEquals(0, master.awaitExit(LONG), master.all());
                assertEquals("received 100/100 results", master.out.get(master.out.size() - 1), master.all());
            } finally {
                stop.set(true);
                for (Thread t : workers) {
                    t.join(10_000);
                }
            }
            assertEquals(List.of(), failures);
        }
    }

    @Test
    void pythonValues_reachJavaAsPlainTypesOrPickledValue_andGoBackUnchanged() throws Exception {
        Py py = server();
        probe(py, "put-samples");
        try (QueueClient client = connect(py.server())) {
            DistributedQueue<Object> tasks = client.queue("tasks");
            List<Object> got = tasks.take(100, Duration.ofSeconds(5));
            assertEquals(15, got.size(), got.toString());
            assertEquals(7, got.get(0));
            assertEquals(Long.MIN_VALUE, got.get(1));
            assertEquals(2.5, got.get(2));
            assertEquals("text", got.get(3));
            assertEquals(true, got.get(4));
            assertNull(assertInstanceOf(PickledValue.class, got.get(5)).view(), "None as a whole item");
            assertEquals(new ArrayList<>(Arrays.asList(1, new ArrayList<>(Arrays.asList(2, null)))), got.get(6));
            assertEquals(Map.of("k", List.of(1.5, false)), got.get(7));
            assertEquals(List.of(1, "a"), assertInstanceOf(PickledValue.class, got.get(8)).view(), "a tuple");
            assertEquals("1180591620717411303424", assertInstanceOf(PickledValue.class, got.get(10)).view());
            assertEquals(Map.of("__class__", "__main__.Point", "__args__", List.of(1, 2)),
                    assertInstanceOf(PickledValue.class, got.get(13)).view());
            // A Java relay puts them back; Python must get the same values and types.
            tasks.putAll(got);
        }
        probe(py, "get-samples");
    }

    @Test
    void stringsEqualToTheMethodName_insideTuplesSetsAndKeys_comeBackUnchanged() throws Exception {
        Py py = server();
        assertTrue(probe(py, "put-method-names").contains("put 9"));
        assertTrue(probe(py, "get-method-names").contains("got 9"));
    }

    /** Runs fidelity.py MODE with {@code interpreter} to the end and returns its last line. */
    private String fidelity(String interpreter, Py py, String mode) throws Exception {
        Proc p = python(interpreter, py, "fidelity.py", mode);
        assertEquals(0, p.awaitExit(LONG), p.all());
        return p.out.get(p.out.size() - 1);
    }

    @Test
    void pythonValues_comeBackIdentical_pythonToPython_andThroughAJavaRelay() throws Exception {
        List<String> interpreters = new ArrayList<>(List.of(python3()));
        String modern = modernPython();
        if (modern != null) {
            interpreters.add(modern);
        }
        for (String interpreter : interpreters) {
            Py py = server();
            assertTrue(fidelity(interpreter, py, "put").startsWith("ok put"));
            String direct = fidelity(interpreter, py, "get");
            assertTrue(direct.startsWith("ok") && direct.contains("identical"), direct);

            assertTrue(fidelity(interpreter, py, "put").startsWith("ok put"));
            try (QueueClient client = connect(py.server())) {
                DistributedQueue<Object> tasks = client.queue("tasks");
                List<Object> got = new ArrayList<>();
                while (true) {
                    List<Object> batch = tasks.take(1_000, Duration.ofSeconds(2));
                    if (batch.isEmpty()) {
                        break;
                    }
                    got.addAll(batch);
                }
                assertTrue(got.size() > 60, got.size() + " values");
                assertEquals(List.of("x", "put"), assertInstanceOf(PickledValue.class, got.get(1)).view(), "a tuple's view");
                assertEquals(new ArrayList<>(List.of("put", "get", "put")), got.get(7), "plain data is plain Java");
                assertEquals(List.of("z", "y", "x", "b", "a"), new ArrayList<>(((Map<?, ?>) got.get(10)).keySet()),
                        "a dict keeps its order in Java too");
                tasks.putAll(got);
            }
            String relayed = fidelity(interpreter, py, "get");
            assertTrue(relayed.startsWith("ok") && relayed.contains("identical"), interpreter + ": " + relayed);
            py.server().proc().terminate();
            py.server().proc().awaitExit(LONG);
        }
    }

    /** The tutorial's own script (tutorial/NAME), given only the Python port and the key file. */
    private Proc tutorial(Py py, String script) throws Exception {
        return tutorial(python3(), py, script);
    }

    private Proc tutorial(String interpreter, Py py, String script) throws Exception {
        return procs.command(dir, List.of(interpreter, "-u", SCRIPTS.resolve("tutorial").resolve(script).toString(),
                String.valueOf(py.port()), dir.resolve("rmiq-data/authkey").toString()));
    }

    /** The interpreters the tutorial runs under here: python3 (3.11 on Debian 12) and a 3.12+ if there is one. */
    private static List<String> interpreters() {
        String modern = modernPython();
        return modern == null ? List.of(python3()) : List.of(python3(), modern);
    }

    private static void assertTutorialResults(Proc master) {
        List<String> results = master.out.stream().filter(l -> l.startsWith("Result: ")).toList();
        assertEquals(10, results.size(), master.all());
        for (String r : results) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("Result: (\\d+) \\* (\\d+) = (\\d+)").matcher(r);
            assertTrue(m.matches(), r);
            long n = Long.parseLong(m.group(1));
            assertEquals(n * n, Long.parseLong(m.group(3)), r);
        }
        assertEquals("master exit.", master.out.get(master.out.size() - 1), master.all());
    }

    @Test
    void theTutorialsMasterAndWorker_bothPython_throughRmiq_underEachInterpreter() throws Exception {
        for (String interpreter : interpreters()) {
            Py py = server();
            Proc master = tutorial(interpreter, py, "task_master.py");
            master.awaitLine("Try get results...", LONG);
            Proc worker = tutorial(interpreter, py, "task_worker.py");
            assertEquals(0, master.awaitExit(LONG), interpreter + ": " + master.all());
            assertTutorialResults(master);
            assertEquals(0, worker.awaitExit(LONG), interpreter + ": " + worker.all());
            py.server().proc().terminate();
            py.server().proc().awaitExit(LONG);
        }
    }

    @Test
    void theTutorialsScripts_underA312OrNewer_withJavaOnTheOtherSide() throws Exception {
        String modern = modernPython();
        assumeTrue(modern != null, "no Python 3.12 or newer here");
        Py py = server();
        Proc javaMaster = client(py.server(), "master", "--tasks", "10");
        javaMaster.awaitLine("Try get results...", LONG);
        Proc pyWorker = tutorial(modern, py, "task_worker.py");
        assertEquals(0, javaMaster.awaitExit(LONG), javaMaster.all());
        assertEquals("received 10/10 results", javaMaster.out.get(javaMaster.out.size() - 1), javaMaster.all());
        assertEquals(0, pyWorker.awaitExit(LONG), pyWorker.all());

        Proc javaWorker = client(py.server(), "worker");
        javaWorker.awaitLine("worker ready", LONG);
        Proc pyMaster = tutorial(modern, py, "task_master.py");
        assertEquals(0, pyMaster.awaitExit(LONG), pyMaster.all());
        assertTutorialResults(pyMaster);
    }

    @Test
    void theTutorialsWorker_asItIs_answersTheJavaMaster() throws Exception {
        Py py = server();
        Proc master = client(py.server(), "master", "--tasks", "10");
        master.awaitLine("Try get results...", LONG);
        Proc worker = tutorial(py, "task_worker.py");
        assertEquals(0, master.awaitExit(LONG), master.all());
        assertEquals("received 10/10 results", master.out.get(master.out.size() - 1), master.all());
        assertEquals(0, worker.awaitExit(LONG), worker.all());
        assertEquals(10, worker.out.stream().filter(l -> l.startsWith("run task ")).count(), worker.all());
        assertEquals("worker exit.", worker.out.get(worker.out.size() - 1));
    }

    @Test
    void theTutorialsMaster_asItIs_isAnsweredByTheJavaWorker() throws Exception {
        Py py = server();
        Proc worker = client(py.server(), "worker");
        worker.awaitLine("worker ready", LONG);
        Proc master = tutorial(py, "task_master.py");
        assertEquals(0, master.awaitExit(LONG), master.all());
        assertTutorialResults(master);
    }

    /**
     * The README's mixed fleet, its three commands as printed, run from a directory laid out as the
     * checkout. Only the ports change: 1099 and 5000 become free ones (the RMI port by a --port
     * appended to both Java commands), so that the test runs beside anything else.
     */
    @Test
    void theReadmesMixedDemo_runsAsPrinted() throws Exception {
        python3();
        String readme = Files.readString(Path.of("../README.md"));
        String block = null;
        for (String b : readme.split("```")) {
            if (b.contains("tutorial/task_worker.py") && b.contains("server.jar --python-port")) {
                block = b;
                break;
            }
        }
        assertTrue(block != null, "README has no block with the mixed demo's three commands");
        List<String> lines = block.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        assertEquals(3, lines.size(), block);
        Path checkout = Path.of("..").toRealPath();
        Path demo = Files.createDirectories(dir.resolve("checkout"));
        Files.createSymbolicLink(demo.resolve("server"), checkout.resolve("server"));
        Files.createSymbolicLink(demo.resolve("client"), checkout.resolve("client"));
        String rmiPort = String.valueOf(RideThroughTest.freePort());
        String pyPort = String.valueOf(RideThroughTest.freePort());
        Proc server = procs.command(demo, List.of("bash", "-c", "exec " + lines.get(0).replace("5000", pyPort)
                + " --port " + rmiPort + " --bind 127.0.0.1"));
        server.awaitLine("rmiq python port", LONG);
        Proc master = procs.command(demo, List.of("bash", "-c", "exec " + lines.get(1) + " --port " + rmiPort));
        master.awaitLine("Try get results...", LONG);
        Proc worker = procs.command(demo, List.of("bash", "-c", "exec " + lines.get(2).replace("5000", pyPort)));
        assertEquals(0, master.awaitExit(LONG), master.all());
        assertEquals("received 10/10 results", master.out.get(master.out.size() - 1), master.all());
        assertEquals(0, worker.awaitExit(LONG), worker.all());
        assertEquals("worker exit.", worker.out.get(worker.out.size() - 1), worker.all());
        server.terminate();
    }

    /** As the README says: EOFError, then BrokenPipeError, and a fresh connect works; nothing journaled is lost. */
    @Test
    void aServerRestart_looksAsCPythonsManagerDoes_andAReconnectWorks() throws Exception {
        String rmiPort = String.valueOf(RideThroughTest.freePort());
        String pyPort = String.valueOf(RideThroughTest.freePort());
        Py py = server("--port", rmiPort, "--python-port", pyPort, "--fsync", "always");
        Path go = dir.resolve("go");
        Proc client = python(py, "restart.py", go.toString());
        client.awaitLine("put ok", LONG);
        py.server().proc().process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        Py again = server("--port", rmiPort, "--python-port", pyPort);
        Files.writeString(go, "");
        assertEquals(0, client.awaitExit(LONG), client.all());
        assertEquals(List.of("put ok", "error EOFError", "error BrokenPipeError", "error BrokenPipeError",
                "reconnected, qsize 2"), client.out, client.all());
        again.server().proc().terminate();
    }

    @Test
    void callsBehaveAsCPythonsManager_timeoutsAndKeywords() throws Exception {
        Py py = server();
        probe(py, "calls-as-cpython");
    }

    @Test
    void anUnreadableRequest_onAProxysConnection_getsAnError_andTheConnectionCarriesOn() throws Exception {
        Py py = server();
        assertTrue(probe(py, "garbage-on-proxy").contains("stayed open"));
    }

    @Test
    void javaSerializedItem_isRefusedToPython_withAClearError_andNotLost() throws Exception {
        Py py = server();
        try (QueueClient client = connect(py.server())) {
            DistributedQueue<Object> tasks = client.queue("tasks");
            tasks.put(new BigDecimal("1.5"));
            assertTrue(probe(py, "java-serialized").contains("Java-serialized"));
            assertEquals(new BigDecimal("1.5"), tasks.poll(Duration.ofSeconds(5)));
        }
    }

    @Test
    void getWithTimeout_onEmptyQueue_raisesQueueEmpty() throws Exception {
        Py py = server();
        probe(py, "get-timeout");
    }

    @Test
    void python312Handshake_andValues() throws Exception {
        String modern = modernPython();
        assumeTrue(modern != null, "no Python 3.12 or newer found (PATH or ~/.pyenv/versions): "
                + "the {sha256} handshake is untested here");
        Py py = server();
        assertTrue(probe(modern, py, "get-timeout").contains("on 3.1"));
        probe(modern, py, "roundtrip");
    }

    @Test
    void boundedQueue_raisesQueueFull() throws Exception {
        Py py = server("--queue", "small:2");
        probe(py, "full");
        probe(py, "roundtrip");
    }

    @Test
    void wrongKey_raisesAuthenticationError_andTheServerLogsThePeer() throws Exception {
        Py py = server();
        assertTrue(probe(py, "wrong-key").contains("AuthenticationError"));
        org.awaitility.Awaitility.await().atMost(LONG).until(() -> py.server().proc().err.stream()
                .anyMatch(l -> l.contains("WARN") && l.contains("127.0.0.1") && l.contains("wrong authkey")));
        String key = keyText();
        assertTrue(py.server().proc().err.stream().noneMatch(l -> l.contains(key)), "the key is never logged");
        probe(py, "roundtrip");
    }

    @Test
    void garbageAndOversizedFrames_getAnError_andTheServerCarriesOn() throws Exception {
        Py py = server();
        probe(py, "put-samples");
        assertTrue(probe(py, "garbage").contains("could not read the request"));
        assertTrue(probe(py, "oversized").contains("exceeds the limit"));
        probe(py, "get-samples");
    }

    @Test
    void serverKilledWithNine_afterPythonPuts_keepsTheItems() throws Exception {
        Py py = server();
        probe(py, "put-samples");
        py.server().proc().process.destroyForcibly();
        assertTrue(py.server().proc().process.waitFor(30, TimeUnit.SECONDS));
        Py again = server();
        probe(again, "get-samples");
    }

    private String keyText() throws Exception {
        return Files.readString(dir.resolve("rmiq-data/authkey")).strip();
    }
}
