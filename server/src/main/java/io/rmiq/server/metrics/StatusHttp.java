package io.rmiq.server.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.rmiq.api.QueueStats;
import io.rmiq.api.SessionInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The server's HTTP face for operators, on the JDK's own HTTP server: {@code /metrics} in Prometheus
 * text format, {@code /health} (200 when serving, 503 while starting or stopping) and {@code /}, a
 * status page that refreshes itself. Read-only; bound to loopback unless configured otherwise.
 */
public final class StatusHttp implements AutoCloseable {

    private final HttpServer http;
    private final ExecutorService executor;
    private final Metrics metrics;
    private final Supplier<List<SessionInfo>> sessions;
    private volatile boolean ready;

    /** Most requests served at once: a thread each, made when needed and ended after 30 s idle. */
    static final int THREADS = 32;
    /** Seconds a request may take to arrive, and its answer to leave (the JDK's default is forever). */
    static final int REQUEST_SECONDS = 5;

    static {
        // The JDK's server reads headers in its executor's threads with no time limit unless told
        // otherwise, so a few peers trickling headers held every thread and /health timed out. Its
        // only knobs are these properties, read once when the first server starts.
        setIfAbsent("sun.net.httpserver.maxReqTime", String.valueOf(REQUEST_SECONDS));
        setIfAbsent("sun.net.httpserver.maxRspTime", String.valueOf(2 * REQUEST_SECONDS));
    }

    private static void setIfAbsent(String key, String value) {
        try {
            if (System.getProperty(key) == null) {
                System.setProperty(key, value);
            }
        } catch (SecurityException e) {
            // a policy without the grant: the JDK's defaults then, as before
        }
    }

    private final boolean loopbackOnly;

    public StatusHttp(InetSocketAddress bind, Metrics metrics, Supplier<List<SessionInfo>> sessions) throws IOException {
        this.metrics = metrics;
        this.sessions = sessions;
        this.loopbackOnly = bind.getAddress() != null && bind.getAddress().isLoopbackAddress();
        this.http = HttpServer.create(bind, 64);
        java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(THREADS, THREADS,
                30, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "rmiq-http");
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        this.executor = pool;
        http.setExecutor(executor);
        http.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metricsText()));
        http.createContext("/health", ex -> respond(ex, ready ? 200 : 503, "text/plain; charset=utf-8",
                ready ? "ok\n" : "not ready\n"));
        http.createContext("/", ex -> {
            if (!ex.getRequestURI().getPath().equals("/")) {
                respond(ex, 404, "text/plain; charset=utf-8", "not found\n");
            } else {
                respond(ex, 200, "text/html; charset=utf-8", page());
            }
        });
        http.start();
    }

    /**
     * On loopback, the page answers only requests that name a loopback host: a web page a local
     * browser loads from elsewhere can point its own name at 127.0.0.1 (DNS rebinding), and its
     * requests then carry that name. Elsewhere any name may be the operator's.
     */
    private boolean hostAllowed(HttpExchange ex) {
        if (!loopbackOnly) {
            return true;
        }
        String host = ex.getRequestHeaders().getFirst("Host");
        if (host == null) {
            return true; // HTTP/1.0 tools (curl -0, probes) send none; a browser always does
        }
        host = host.strip().toLowerCase(Locale.ROOT);
        if (host.startsWith("[")) {
            return host.startsWith("[::1]");
        }
        int colon = host.indexOf(':');
        String name = colon < 0 ? host : host.substring(0, colon);
        return name.equals("localhost") || name.endsWith(".localhost") || name.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    /** The port it listens on. */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Whether {@code /health} answers 200. */
    public void ready(boolean ready) {
        this.ready = ready;
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdown();
    }

    private void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        if (!hostAllowed(ex)) {
            status = 421;
            type = "text/plain; charset=utf-8";
            body = "this server answers to localhost and loopback addresses only\n";
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
            bytes = "only GET\n".getBytes(StandardCharsets.UTF_8);
            status = 405;
        }
        ex.sendResponseHeaders(status, ex.getRequestMethod().equals("HEAD") ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            if (!ex.getRequestMethod().equals("HEAD")) {
                out.write(bytes);
            }
        }
    }

    /** One per-queue metric: its name, type, help, and how to read it off a snapshot (NaN: leave out). */
    private record QueueMetric(String name, String type, String help, ToDoubleFunction<QueueStats> value) {
    }

    private static final List<QueueMetric> QUEUE_METRICS = List.of(
            new QueueMetric("rmiq_queue_size", "gauge", "Items waiting to be taken.", QueueStats::size),
            new QueueMetric("rmiq_queue_in_flight", "gauge", "Items leased and not yet acked.", QueueStats::inFlight),
            new QueueMetric("rmiq_queue_capacity", "gauge", "Most items the queue holds; absent when unbounded.",
                    q -> q.capacity() == Integer.MAX_VALUE ? Double.NaN : q.capacity()),
            new QueueMetric("rmiq_queue_dead_letters", "gauge", "Items in the queue's dead-letter queue.",
                    QueueStats::deadLetters),
            new QueueMetric("rmiq_queue_puts_total", "counter", "Items put since the server started.", QueueStats::puts),
            new QueueMetric("rmiq_queue_takes_total", "counter",
                    "Items handed out (taken or leased) since the server started.", QueueStats::takes),
            new QueueMetric("rmiq_queue_acks_total", "counter", "Items finished since the server started.", QueueStats::acks),
            new QueueMetric("rmiq_queue_oldest_age_seconds", "gauge", "How long the oldest waiting item has waited.",
                    q -> q.oldestAgeMillis() / 1000.0));

    /** Prometheus text exposition format 0.0.4. */
    String metricsText() {
        Metrics.Source src = metrics.source();
        List<QueueStats> queues = src.queues();
        StringBuilder s = new StringBuilder();
        for (QueueMetric m : QUEUE_METRICS) {
            family(s, m.name(), m.type(), m.help());
            for (QueueStats q : queues) {
                double v = m.value().applyAsDouble(q);
                if (!Double.isNaN(v)) {
                    s.append(m.name()).append("{queue=\"").append(q.name().replace("\\", "\\\\")
                            .replace("\"", "\\\"").replace("\n", "\\n")).append("\"} ");
                    number(s, v);
                }
            }
        }
        server(s, "rmiq_sessions", "gauge", "Client sessions (workers and other clients).", src.sessions());
        server(s, "rmiq_locks_held", "gauge", "Named locks held now.", src.locksHeld());
        server(s, "rmiq_connections_accepted_total", "counter", "Connections that passed the authkey handshake.",
                src.connectionsAccepted());
        server(s, "rmiq_auth_failures_total", "counter", "Connections refused for a wrong key or a foreign protocol.",
                src.authFailures());
        server(s, "rmiq_memory_used_bytes", "gauge", "Heap the queues hold (payloads plus per-task cost).",
                src.memoryUsed());
        server(s, "rmiq_memory_limit_bytes", "gauge", "Most heap the queues may hold.", src.memoryLimit());
        server(s, "rmiq_uptime_seconds", "gauge", "Seconds since the server started.", metrics.uptimeSeconds());
        return s.toString();
    }

    private static void server(StringBuilder s, String name, String type, String help, double value) {
        family(s, name, type, help);
        s.append(name).append(' ');
        number(s, value);
    }

    private static void family(StringBuilder s, String name, String type, String help) {
        s.append("# HELP ").append(name).append(' ').append(help).append('\n');
        s.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void number(StringBuilder s, double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            s.append((long) value);
        } else {
            s.append(String.format(Locale.ROOT, "%.3f", value));
        }
        s.append('\n');
    }

    private String page() {
        Metrics.Source src = metrics.source();
        StringBuilder s = new StringBuilder();
        String address = html(src.advertisedAddress());
        s.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"refresh\" content=\"2\">")
                .append("<title>rmiq at ").append(address).append("</title><style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;")
                .append("text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}")
                .append(".dead{color:#b00}.muted{color:#888}</style></head><body>")
                .append("<h1>rmiq at ").append(address).append("</h1>")
                .append("<p id=\"server\">up ").append(duration(metrics.uptimeSeconds())).append(" · ")
                .append(src.sessions()).append(" session(s) · ").append(src.authFailures()).append(" auth failure(s) · queues hold ")
                .append(src.memoryUsed() >> 20).append(" of ").append(src.memoryLimit() >> 20).append(" MiB</p>")
                .append("<h2>Queues</h2><table id=\"queues\"><tr><th>queue</th><th>waiting</th><th>in flight</th>")
                .append("<th>capacity</th><th>dead letters</th><th>put/s</th><th>take/s</th><th>ack/s</th><th>oldest</th></tr>");
        for (QueueStats q : src.queues()) {
            s.append("<tr><td>").append(html(q.name())).append("</td><td>").append(q.size()).append("</td><td>")
                    .append(q.inFlight()).append("</td><td>")
                    .append(q.capacity() == Integer.MAX_VALUE ? "<span class=\"muted\">unbounded</span>" : q.capacity())
                    .append("</td><td").append(q.deadLetters() > 0 ? " class=\"dead\"" : "").append('>')
                    .append(q.deadLetters()).append("</td><td>").append(rate(metrics.putRate(q.name())))
                    .append("</td><td>").append(rate(metrics.takeRate(q.name()))).append("</td><td>")
                    .append(rate(metrics.ackRate(q.name()))).append("</td><td>")
                    .append(q.oldestAgeMillis() == 0 ? "–" : duration(q.oldestAgeMillis() / 1000)).append("</td></tr>");
        }
        s.append("</table><h2>Workers</h2><table id=\"workers\"><tr><th>client</th><th>since</th><th>holds</th></tr>");
        List<SessionInfo> list = sessions.get();
        for (SessionInfo w : list) {
            s.append("<tr><td>").append(html(w.description())).append("</td><td>")
                    .append(Instant.ofEpochMilli(w.openedAt()).truncatedTo(ChronoUnit.SECONDS)).append("</td><td>")
                    .append(w.leased().isEmpty() ? "–" : html(w.leased().toString())).append("</td></tr>");
        }
        if (list.isEmpty()) {
            s.append("<tr><td class=\"muted\" colspan=\"3\">none connected</td></tr>");
        }
        return s.append("</table></body></html>\n").toString();
    }

    private static String rate(double perSecond) {
        return perSecond < 10 ? String.format(Locale.ROOT, "%.1f", perSecond) : String.valueOf(Math.round(perSecond));
    }

    private static String duration(long seconds) {
        if (seconds < 120) {
            return seconds + " s";
        }
        return seconds < 7200 ? seconds / 60 + " min" : seconds / 3600 + " h";
    }

    private static String html(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
