package io.rmiq.client;

import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.rmiq.server.store.nats.NatsStore;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Real {@code nats-server} processes with JetStream, on 127.0.0.1 and ephemeral ports, each with its
 * store in a directory of its own: one server, or a cluster of three. {@link #close()} stops them all.
 * The Debian package {@code nats-server} (2.9 or later) provides the binary; {@code .ci/run} installs it.
 */
final class NatsServers implements AutoCloseable {

    /** One node: its client port, store and process (null while stopped). */
    static final class Node {
        final String name;
        final int port;
        final int clusterPort;
        final Path storeDir;
        final Path log;
        Process process;

        Node(String name, int port, int clusterPort, Path storeDir, Path log) {
            this.name = name;
            this.port = port;
            this.clusterPort = clusterPort;
            this.storeDir = storeDir;
            this.log = log;
        }

        String url() {
            return "nats://127.0.0.1:" + port;
        }
    }

    /** As the README's example configuration: room for a 16 MiB item and its dead letter. */
    static final int MAX_PAYLOAD = 24 << 20;

    final List<Node> nodes = new ArrayList<>();
    private final List<String> routes;

    private NatsServers(Path dir, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            int[] ports = freePorts(2);
            Path store = Files.createDirectories(dir.resolve("n" + i));
            nodes.add(new Node("n" + i, ports[0], ports[1], store, dir.resolve("n" + i + ".log")));
        }
        routes = count == 1 ? List.of() : nodes.stream().map(n -> "nats://127.0.0.1:" + n.clusterPort).toList();
    }

    /** One JetStream server, ready. */
    static NatsServers single(Path dir) throws Exception {
        return started(new NatsServers(dir, 1));
    }

    /** Three clustered JetStream servers, with a meta leader elected. */
    static NatsServers cluster(Path dir) throws Exception {
        return started(new NatsServers(dir, 3));
    }

    private static NatsServers started(NatsServers s) throws Exception {
        try {
            for (Node n : s.nodes) {
                s.start(n);
            }
            s.awaitJetStream();
            return s;
        } catch (Exception | Error e) {
            s.close();
            throw e;
        }
    }

    void start(Node n) throws IOException {
        // rmiq's items go up to 16 MiB, beyond NATS's default max_payload of 1 MB, which no flag sets.
        Path conf = n.storeDir.resolveSibling(n.name + ".conf");
        Files.writeString(conf, "max_payload: " + MAX_PAYLOAD + "\n");
        List<String> cmd = new ArrayList<>(List.of(binary(), "-c", conf.toString(), "-js", "-sd", n.storeDir.toString(),
                "-a", "127.0.0.1", "-p", Integer.toString(n.port), "-n", n.name));
        if (!routes.isEmpty()) {
            cmd.addAll(List.of("--cluster_name", "rmiq-test", "--cluster", "nats://127.0.0.1:" + n.clusterPort,
                    "--routes", String.join(",", routes)));
        }
        n.process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(n.log.toFile()).start();
    }

    /** kill -9: the node's JetStream state stays on disk for {@link #start}. */
    void kill(Node n) throws InterruptedException {
        if (n.process != null) {
            n.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            n.process = null;
        }
    }

    /** The URLs of every node, as {@code --store} takes them. */
    String urls() {
        return nodes.stream().map(Node::url).collect(Collectors.joining(","));
    }

    NatsStore.Settings settings() {
        return new NatsStore.Settings(nodes.stream().map(Node::url).toList(), null, null, 0);
    }

    /** Removes every rmiq stream, so that a test starts with empty queues. */
    void deleteStreams() throws Exception {
        try (Connection nc = connect()) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            for (String s : jsm.getStreamNames()) {
                if (s.startsWith("RMIQ_")) {
                    jsm.deleteStream(s);
                }
            }
        }
    }

    Connection connect() throws IOException, InterruptedException {
        return Nats.connect(new Options.Builder().servers(nodes.stream().map(Node::url).toArray(String[]::new))
                .connectionTimeout(Duration.ofSeconds(5)).build());
    }

    private void awaitJetStream() {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            for (Node n : nodes) {
                if (n.process == null || !n.process.isAlive()) {
                    throw new AssertionError("nats-server " + n.name + " died: " + Files.readString(n.log));
                }
            }
            try (Connection nc = connect()) {
                nc.jetStreamManagement().getAccountStatistics();
                return true;
            }
        });
    }

    private static String binary() {
        for (String dir : List.of("/usr/sbin", "/usr/bin", "/usr/local/bin")) {
            File f = new File(dir, "nats-server");
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                File f = new File(dir, "nats-server");
                if (f.canExecute()) {
                    return f.getPath();
                }
            }
        }
        throw new AssertionError("nats-server is not installed: apt-get install nats-server (2.9 or later)");
    }

    private static int[] freePorts(int n) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                held.add(s);
                out[i] = s.getLocalPort();
            }
            return out;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (Node n : nodes) {
            if (n.process != null) {
                n.process.destroy();
            }
        }
        for (Node n : nodes) {
            if (n.process != null && !n.process.waitFor(10, TimeUnit.SECONDS)) {
                n.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            n.process = null;
        }
    }
}
