package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.client.Processes.Proc;
import io.rmiq.client.Processes.ServerProc;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * server.jar under the Security Manager with the shipped {@code security.policy} (JDK 17 to 23): the
 * demo runs, and the policy really confines the server.
 */
class SecurityManagerProcessIT extends ProcessTestBase {

    /** JDK 24 removed the Security Manager: there is nothing to run these against. */
    @org.junit.jupiter.api.BeforeEach
    void aJdkWithASecurityManager() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() < 24,
                "JDK " + Runtime.version().feature() + " has no Security Manager (removed in JDK 24)");
    }

    static final Path POLICY = Path.of(System.getProperty("rmiq.securityPolicy", "../security.policy")).toAbsolutePath();

    /** The JVM options the README gives, for a data directory and port 0. */
    List<String> securityManager(Path policy, Path dataDir) {
        return List.of("-Djava.security.manager=default", "-Djava.security.policy=" + policy,
                "-Drmiq.data.dir=" + dataDir, "-Drmiq.port=0");
    }

    @Test
    void demo_underTheSecurityManager_withTheShippedPolicy_completes() throws Exception {
        ServerProc server = procs.server(securityManager(POLICY, dir.resolve("rmiq-data")), dir);
        assertTrue(server.proc().err.stream().anyMatch(l -> l.contains("enabled the Security Manager")),
                "the Security Manager should be on: " + server.proc().all());
        Proc worker = client(server, "worker", "--work-ms", "1", "--idle-exit", "3");
        worker.awaitLine("worker ready", LONG);
        Proc master = client(server, "master", "--tasks", "100");
        assertEquals(0, master.awaitExit(LONG), master.all());
        assertEquals("received 100/100 results", master.out.get(master.out.size() - 1));
        assertEquals(0, worker.awaitExit(LONG), worker.all());

        server.proc().terminate(); // the shutdown hook needs its permissions too
        assertEquals(143, server.proc().awaitExit(LONG), server.proc().all());
        assertTrue(server.proc().err.stream().anyMatch(l -> l.contains("stopped")), server.proc().all());
        assertTrue(server.proc().err.stream().noneMatch(l -> l.contains("AccessControlException")),
                server.proc().all());
    }

    @Test
    void authkeyFile_andADataDirNotYetMade_serveUnderThePolicy() throws Exception {
        Path key = dir.resolve("key");
        Files.writeString(key, "sm-process-test-key-0123456789abcdef\n");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path data = dir.resolve("fresh-data"); // made by the server, inside a directory that exists
        List<String> options = new ArrayList<>(securityManager(POLICY, data));
        options.add("-Drmiq.authkey.file=" + key);
        ServerProc server = procs.server(options, dir, "--authkey-file", key.toString(), "--data-dir", data.toString());
        putAndGet(server, key);
        assertTrue(Files.isDirectory(data.resolve("journal")));
    }

    @Test
    void managerAllow_takesWhatThePolicyNeedsFromTheFlags_noPropertySaidTwice() throws Exception {
        Path key = dir.resolve("outside").resolve("key");
        Files.createDirectories(key.getParent());
        Files.writeString(key, "sm-process-test-key-0123456789abcdef\n");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path data = dir.resolve("data");
        List<String> options = List.of("-Djava.security.manager=allow", "-Djava.security.policy=" + POLICY);
        ServerProc server = procs.server(options, dir, "--authkey-file", key.toString(), "--data-dir", data.toString());
        assertTrue(server.proc().err.stream().anyMatch(l -> l.contains("Security Manager installed")), server.proc().all());
        putAndGet(server, key);
        assertTrue(server.proc().err.stream().noneMatch(l -> l.contains("AccessControlException")), server.proc().all());
    }

    /** client.jar put, then get, with the key file: the server under the policy serves both. */
    private void putAndGet(ServerProc server, Path key) throws Exception {
        Map<String, String> env = Map.of("RMIQ_AUTHKEY_FILE", key.toString());
        String[] at = {"--host", server.host(), "--port", String.valueOf(server.port())};
        Proc put = procs.client(dir, env, concat(new String[] {"put", "tasks", "keyed"}, at));
        assertEquals(0, put.awaitExit(LONG), put.all());
        Proc get = procs.client(dir, env, concat(new String[] {"get", "tasks", "--timeout", "10"}, at));
        assertEquals(0, get.awaitExit(LONG), get.all());
        assertEquals(List.of("keyed"), get.out);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void dataDirOutsideThePolicy_isDenied() throws Exception {
        Path granted = Files.createDirectory(dir.resolve("granted"));
        Proc server = procs.java(securityManager(POLICY, granted), dir, Processes.SERVER_JAR,
                List.of("--port", "0", "--bind", "127.0.0.1", "--data-dir", dir.resolve("elsewhere").toString()));
        assertEquals(2, server.awaitExit(LONG), server.all());
        assertTrue(server.err.stream().anyMatch(l -> l.startsWith("server.jar: the Security Manager's policy refuses it")
                && l.contains("access denied (\"java.io.FilePermission\"") && l.contains("--data-dir")), server.all());
        assertTrue(server.err.stream().noneMatch(l -> l.startsWith("\tat ")), "one line, no stack trace: " + server.all());
        assertTrue(Files.notExists(dir.resolve("elsewhere/authkey")));
    }

    @Test
    void managerAllow_withAPolicy_installsIt_soThePolicyConfinesTheServer() throws Exception {
        Path granted = Files.createDirectory(dir.resolve("granted"));
        List<String> options = securityManager(POLICY, granted).stream()
                .map(o -> o.equals("-Djava.security.manager=default") ? "-Djava.security.manager=allow" : o).toList();
        Proc server = procs.java(options, dir, Processes.SERVER_JAR,
                List.of("--port", "0", "--bind", "127.0.0.1", "--data-dir", dir.resolve("elsewhere").toString()));
        assertNotEquals(0, server.awaitExit(LONG), server.all());
        assertTrue(server.err.stream().anyMatch(l -> l.contains("Security Manager installed")), server.all());
        assertTrue(server.err.stream().anyMatch(l -> l.contains("access denied (\"java.io.FilePermission\"")),
                server.all());
    }

    @Test
    void peerThePolicyDoesNotAdmit_isDropped_andTheServerKeepsAccepting() throws Exception {
        // The policy narrowed to clients from 127.0.0.1; 127.0.0.2 is loopback too, but not admitted.
        Path narrowed = dir.resolve("narrowed.policy");
        String policy = Files.readString(POLICY);
        assertTrue(policy.contains("\"*\", \"accept,resolve\""), "the policy's accept line moved");
        Files.writeString(narrowed, policy.replace("\"*\", \"accept,resolve\"", "\"127.0.0.1\", \"accept,resolve\""));
        ServerProc server = procs.server(securityManager(narrowed, dir.resolve("rmiq-data")), dir);

        // More than ten: RMI's own accept loop pauses 10 s after ten failures within 10 s.
        for (int i = 0; i < 12; i++) {
            try (Socket s = new Socket(InetAddress.getByName(server.host()), server.port(),
                    InetAddress.getByName("127.0.0.2"), 0)) {
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                assertEquals(-1, readOrReset(in), "a peer the policy does not admit gets no greeting");
            }
        }
        await().atMost(LONG).until(() -> server.proc().err.stream().anyMatch(l -> l.contains("WARN")
                && l.contains("security policy does not admit") && l.contains("127.0.0.2")));
        Proc put = client(server, "put", "tasks", "after-the-refusals");
        assertEquals(0, put.awaitExit(LONG), put.all());
        Proc get = client(server, "get", "tasks", "--timeout", "10");
        assertEquals(0, get.awaitExit(LONG), get.all());
        assertEquals(new ArrayList<>(List.of("after-the-refusals")), get.out);
    }

    private static int readOrReset(InputStream in) throws java.io.IOException {
        try {
            return in.read();
        } catch (java.net.SocketException reset) {
            return -1;
        }
    }
}
