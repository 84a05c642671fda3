package io.rmiq.server.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DistributedQueue;
import io.rmiq.server.QueueServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an operator sees: Prometheus metrics, health, the status page in a real browser, and JMX. */
class StatusHttpTest {

    static final String PYTHON = "/usr/bin/python3";
    static final String CHROMIUM = "/usr/bin/chromium";
    QueueServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    @TempDir Path tmp;

    @BeforeEach
    void start() throws Exception {
        server = QueueServer.builder().port(0).bind("127.0.0.1").authkey("status-test").httpPort(0)
                .queue("tasks").queue("results", 100).start();
        DistributedQueue<Integer> tasks = server.queue("tasks");
        tasks.putAll(List.of(1, 2, 3));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metrics_parseWithARealPrometheusParser() throws Exception {
        HttpResponse<String> r = get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        assertTrue(r.body().contains("rmiq_queue_size{queue=\"tasks\"} 3\n"), r.body());
        assertTrue(r.body().contains("rmiq_queue_capacity{queue=\"results\"} 100\n"), r.body());

        Assumptions.assumeTrue(run(List.of(PYTHON, "-c", "import prometheus_client"), null).code == 0,
                "skipped: needs Debian's python3-prometheus-client (.ci/run installs it)");
        String script = "import sys\n"
                + "from prometheus_client.parser import text_string_to_metric_families as parse\n"
                + "for f in parse(sys.stdin.read()):\n"
                + "    for s in f.samples:\n"
                + "        print(f.type, s.name, dict(s.labels).get('queue', '-'), s.value)\n";
        Result parsed = run(List.of(PYTHON, "-c", script), r.body());
        assertEquals(0, parsed.code, parsed.out);
        assertTrue(parsed.out.contains("gauge rmiq_queue_size tasks 3.0"), parsed.out);
        assertTrue(parsed.out.contains("counter rmiq_queue_puts_total tasks 3.0"), parsed.out);
        assertTrue(parsed.out.contains("gauge rmiq_uptime_seconds - "), parsed.out);
    }

    @Test
    void health_isOkWhileServing_andNotBeforeOrAfter() throws Exception {
        assertEquals(200, get("/health").statusCode());
        Metrics metrics = new Metrics(null);
        try (StatusHttp starting = new StatusHttp(new InetSocketAddress("127.0.0.1", 0), metrics, List::of)) {
            URI uri = URI.create("http://127.0.0.1:" + starting.port() + "/health");
            assertEquals(503, http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            starting.ready(true);
            assertEquals(200, http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            starting.ready(false);
            assertEquals(503, http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        }
        assertEquals(404, get("/nothing-here").statusCode());
    }

    @Test
    void statusPage_rendersInHeadlessChromium() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(CHROMIUM)),
                "skipped: needs Debian's chromium (.ci/run installs it)");
        Result dom = run(List.of(CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + tmp.resolve("profile"), "--dump-dom",
                "http://127.0.0.1:" + server.httpPort() + "/"), null);
        assertEquals(0, dom.code, dom.out);
        assertTrue(dom.out.contains("<title>rmiq at 127.0.0.1:" + server.port() + "</title>"), dom.out);
        assertTrue(dom.out.replaceAll("\\s+", "").contains("<tr><td>tasks</td><td>3</td><td>0</td>"), dom.out);
        assertTrue(dom.out.contains("none connected"), dom.out);
    }

    @Test
    void locksHeld_inMetricsAndJmx() throws Exception {
        ObjectName srv = new ObjectName("io.rmiq:type=Server,port=" + server.port());
        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        assertTrue(get("/metrics").body().contains("rmiq_locks_held 0\n"));
        server.lock("x").lock();
        server.lock("y").lock();
        assertTrue(get("/metrics").body().contains("rmiq_locks_held 2\n"), get("/metrics").body());
        assertEquals(2, mbeans.getAttribute(srv, "LocksHeld"));
    }

    @Test
    void mbeans_showEachQueueAndTheServer() throws Exception {
        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        ObjectName tasks = new ObjectName("io.rmiq:type=Queue,port=" + server.port() + ",name=\"tasks\"");
        assertEquals(3, mbeans.getAttribute(tasks, "Size"));
        assertEquals(3L, mbeans.getAttribute(tasks, "Puts"));
        ObjectName srv = new ObjectName("io.rmiq:type=Server,port=" + server.port());
        assertEquals("127.0.0.1:" + server.port(), mbeans.getAttribute(srv, "AdvertisedAddress"));
        assertEquals(0L, mbeans.getAttribute(srv, "AuthFailures"));
        server.close();
        assertTrue(!mbeans.isRegistered(tasks), "unregistered when the server stops");
    }

    record Result(int code, String out) {
    }

    static Result run(List<String> cmd, String stdin) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** A raw request with its own Host header (java.net.http will not send one): the status line. */
    String statusLine(String host) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.httpPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
        }
    }

    @Test
    void onLoopback_onlyLoopbackNamesAreAnswered_againstDnsRebinding() throws Exception {
        assertEquals("HTTP/1.1 200 OK", statusLine("127.0.0.1:" + server.httpPort()));
        assertEquals("HTTP/1.1 200 OK", statusLine("localhost:" + server.httpPort()));
        assertEquals("HTTP/1.1 200 OK", statusLine("[::1]:" + server.httpPort()));
        assertTrue(statusLine("attacker.example:" + server.httpPort()).startsWith("HTTP/1.1 421"));
        assertTrue(statusLine("127.0.0.1.attacker.example").startsWith("HTTP/1.1 421"));
    }

    @Test
    void peersTricklingHeaders_neitherStallHealthNorHoldTheirConnection() throws Exception {
        List<java.net.Socket> slow = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                java.net.Socket s = new java.net.Socket("127.0.0.1", server.httpPort());
                s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                slow.add(s);
            }
            // Two such peers stalled every request before: the server had two threads.
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort()
                        + "/health")).timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode());
            }
            // And the server lets go of a request that does not arrive in time (5 s, checked each second).
            java.net.Socket first = slow.get(0);
            first.setSoTimeout(30_000);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                try {
                    return first.getInputStream().read() < 0;
                } catch (IOException e) {
                    return true; // reset: closed too
                }
            });
        } finally {
            for (java.net.Socket s : slow) {
                s.close();
            }
        }
    }
}
