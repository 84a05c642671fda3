package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.client.Processes.Proc;
import io.rmiq.client.Processes.ServerProc;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rmiq across a LAN: three hosts, each a network namespace with its own address on one bridge.
 * Needs root and {@code ip netns}; skips with a message where they are missing. Traffic stays on the
 * namespaces' own 10.77.0.0/24 addresses, and the namespaces are removed afterwards, even on failure.
 */
class LanProcessIT {

    static final Duration LONG = Duration.ofSeconds(120);
    static final String SERVER_IP = "10.77.0.1";
    @TempDir Path dir;
    Processes procs;
    final String tag = "rq" + ProcessHandle.current().pid() % 100_000;
    final String sw = tag + "-sw";
    final List<String> hosts = List.of(tag + "-h1", tag + "-h2", tag + "-h3");

    @BeforeEach
    void buildLan() throws Exception {
        Assumptions.assumeTrue(ipNetnsWorks(), "skipped: needs root and 'ip netns' (iproute2) to build test hosts");
        procs = new Processes();
        ip("netns", "add", sw);
        ip("-n", sw, "link", "add", "br0", "type", "bridge");
        ip("-n", sw, "link", "set", "br0", "up");
        for (int i = 0; i < hosts.size(); i++) {
            String h = hosts.get(i);
            String port = "p" + (i + 1);
            ip("netns", "add", h);
            ip("-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", h);
            ip("-n", sw, "link", "set", port, "master", "br0");
            ip("-n", sw, "link", "set", port, "up");
            ip("-n", h, "addr", "add", "10.77.0." + (i + 1) + "/24", "dev", "eth0");
            ip("-n", h, "link", "set", "eth0", "up");
            ip("-n", h, "link", "set", "lo", "up");
        }
    }

    @AfterEach
    void tearDownLan() throws Exception {
        if (procs != null) {
            procs.close();
        }
        for (String ns : List.of(hosts.get(0), hosts.get(1), hosts.get(2), sw)) {
            run(List.of("ip", "netns", "del", ns)); // its veth ends go with it
        }
    }

    @Test
    void masterAndWorkersOnThreeHosts_survive_aWorkersLinkGoingDown() throws Exception {
        ServerProc server = procs.serverIn(hosts.get(0), dir, "--session-timeout", "2");
        assertEquals(SERVER_IP, server.host(), "the server advertises its LAN address, not loopback");
        assertTrue(server.proc().err.stream().anyMatch(l -> l.contains("advertising " + SERVER_IP)),
                server.proc().all());

        Proc flaky = worker(hosts.get(1), server, "--work-ms", "50", "--threads", "2");
        Proc steady = worker(hosts.get(2), server, "--work-ms", "50", "--threads", "2", "--quiet");
        flaky.awaitLine("worker ready", LONG);
        steady.awaitLine("worker ready", LONG);

        Proc master = client(hosts.get(0), server, "master", "--tasks", "400", "--quiet");
        flaky.awaitLine("run task", LONG);
        ip("-n", hosts.get(1), "link", "set", "eth0", "down");
        await().pollDelay(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(5)).until(() -> true);
        ip("-n", hosts.get(1), "link", "set", "eth0", "up");

        assertEquals(0, master.awaitExit(LONG), master.all() + "\nflaky worker: " + flaky.all());
        assertEquals("received 400/400 results", master.out.get(master.out.size() - 1));
        // The worker whose link went down found the server again: with the other worker stopped, it
        // alone does the next run.
        steady.terminate();
        steady.awaitExit(LONG);
        int linesBefore = flaky.out.size();
        Proc more = client(hosts.get(0), server, "master", "--tasks", "100", "--quiet");
        assertEquals(0, more.awaitExit(LONG), more.all() + "\nflaky worker: " + flaky.all());
        assertEquals("received 100/100 results", more.out.get(more.out.size() - 1));
        assertTrue(flaky.out.size() >= linesBefore + 100, flaky.all());
    }

    @Test
    void clientThatReachesTheRegistryButNotTheAdvertisedAddress_isToldBothAndTheFix() throws Exception {
        ServerProc server = procs.serverIn(hosts.get(0), dir, "--advertise-host", "10.77.9.9");
        Proc stats = procs.javaIn(hosts.get(1), dir, Map.of(), Processes.CLIENT_JAR,
                List.of("stats", "--host", SERVER_IP, "--port", String.valueOf(server.port())));
        assertEquals(1, stats.awaitExit(LONG), stats.all());
        String err = String.join("\n", stats.err);
        assertTrue(err.contains(SERVER_IP + ":" + server.port()) && err.contains("10.77.9.9:" + server.port())
                && err.contains("--advertise-host"), stats.all());
    }

    @Test
    void unreachableServer_isReportedInSeconds() throws Exception {
        long start = System.nanoTime();
        Proc stats = procs.javaIn(hosts.get(1), dir, Map.of("RMIQ_AUTHKEY", "some-key-of-enough-length"), Processes.CLIENT_JAR,
                List.of("stats", "--host", "10.77.0.3", "--port", "1099"));
        assertEquals(1, stats.awaitExit(LONG), stats.all());
        assertTrue(stats.err.get(0).contains("cannot reach rmiq server at 10.77.0.3:1099"), stats.all());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "reported in seconds");
    }

    private Proc worker(String ns, ServerProc server, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of("worker"));
        all.addAll(List.of(args));
        return client(ns, server, all.toArray(new String[0]));
    }

    private Proc client(String ns, ServerProc server, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--host", SERVER_IP, "--port", String.valueOf(server.port()),
                "--authkey-file", dir.resolve("rmiq-data/authkey").toString()));
        return procs.javaIn(ns, dir, Map.of(), Processes.CLIENT_JAR, all);
    }

    private static boolean ipNetnsWorks() {
        try {
            return run(List.of("ip", "netns", "list")) == 0 && "0".equals(idU());
        } catch (Exception e) {
            return false;
        }
    }

    private static String idU() throws Exception {
        Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        p.waitFor(10, TimeUnit.SECONDS);
        return out;
    }

    private static void ip(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        int code = run(cmd);
        if (code != 0) {
            throw new AssertionError("'" + String.join(" ", cmd) + "' failed with " + code);
        }
    }

    private static int run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
