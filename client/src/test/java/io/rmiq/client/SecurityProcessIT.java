package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.client.Processes.Proc;
import io.rmiq.client.Processes.ServerProc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** TLS and key handling as an operator meets them: server.jar and client.jar with their flags. */
class SecurityProcessIT extends ProcessTestBase {

    static final String KEY = "process-security-key-0123456789";

    Path keyFile(String key, String perms) throws Exception {
        Path f = dir.resolve("key-" + perms);
        Files.writeString(f, key + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
        return f;
    }

    /** server.jar on 127.0.0.1, port 0, with {@code args}: it must refuse to start (exit 2) and say {@code why}. */
    private Proc refusedStart(Path workDir, Map<String, String> env, String why, String... args) throws Exception {
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of("--port", "0", "--bind", "127.0.0.1"));
        all.addAll(java.util.List.of(args));
        Proc s = procs.java(workDir, env, Processes.SERVER_JAR, all);
        assertEquals(2, s.awaitExit(LONG), s.all());
        assertTrue(s.all().contains(why), s.all());
        return s;
    }

    @Test
    void tlsServer_tlsClientWorks_plaintextClientIsToldWhy() throws Exception {
        TlsFiles tls = TlsFiles.make(dir, "it");
        Path key = keyFile(KEY, "rw-------");
        ServerProc server = procs.server(dir, "--authkey-file", key.toString(), "--tls-keystore",
                tls.keystore().toString(), "--tls-password-file", tls.passwordFile().toString());
        assertTrue(server.proc().err.stream().anyMatch(l -> l.contains("connections: TLS")), server.proc().all());

        Proc put = procs.client(dir, Map.of("RMIQ_TLS_PASSWORD", tls.password()), "put", "tasks", "secret-task",
                "--host", server.host(), "--port", String.valueOf(server.port()), "--authkey-file", key.toString(),
                "--tls-truststore", tls.truststore().toString());
        assertEquals(0, put.awaitExit(LONG), put.all());
        Proc get = procs.client(dir, Map.of("RMIQ_TLS_TRUSTSTORE", tls.truststore().toString()), "get", "tasks",
                "--host", server.host(), "--port", String.valueOf(server.port()), "--authkey-file", key.toString(),
                "--tls-password-file", tls.passwordFile().toString());
        assertEquals(0, get.awaitExit(LONG), get.all());
        assertEquals("secret-task", get.out.get(0));

        Proc plain = procs.client(dir, Map.of(), "stats", "--host", server.host(), "--port",
                String.valueOf(server.port()), "--authkey-file", key.toString());
        assertEquals(1, plain.awaitExit(LONG), plain.all());
        assertTrue(plain.err.get(0).contains("requires TLS"), plain.all());
    }

    @Test
    void serverJar_refusesAKeyFileOthersCanRead_andAShortKey_withoutPrintingTheKey() throws Exception {
        Path open = keyFile(KEY, "rw-r--r--");
        Proc s = refusedStart(dir, Map.of(), "chmod 600 " + open, "--authkey-file", open.toString());
        assertTrue(!s.all().contains(KEY), "the key is never printed");

        refusedStart(dir, Map.of("RMIQ_AUTHKEY", "short"), "at least 16");
    }

    @Test
    void clientJar_refusesAKeyFileOthersCanRead() throws Exception {
        Path open = keyFile(KEY, "rw-r-----");
        Proc c = procs.client(dir, Map.of(), "stats", "--port", "1", "--authkey-file", open.toString());
        assertEquals(2, c.awaitExit(LONG), c.all());
        assertTrue(c.err.get(0).contains("readable by its group") && c.err.get(0).contains("chmod 600"), c.all());
    }

    @Test
    void filesAtRest_areTheOwnersOnly_andSecretsOthersCouldWriteAreRefused() throws Exception {
        Path writable = keyFile(KEY, "rw-----w-");
        refusedStart(dir, Map.of(), "writable by other users", "--authkey-file", writable.toString());
        // A link to a private key is refused too: whoever can change the link chooses the key.
        Path link = Files.createSymbolicLink(dir.resolve("key-link"), keyFile(KEY, "rw-------"));
        refusedStart(dir, Map.of(), "is a symbolic link", "--authkey-file", link.toString());

        // A stored key too short to resist guessing is refused as a given one is.
        Path weak = Files.createDirectories(dir.resolve("weak/rmiq-data"));
        Files.writeString(weak.resolve("authkey"), "12345\n");
        Files.setPosixFilePermissions(weak.resolve("authkey"), PosixFilePermissions.fromString("rw-------"));
        Proc w = refusedStart(weak.getParent(), Map.of(), "has 5 bytes");
        assertTrue(w.all().contains("at least 16"), w.all());

        // A fresh data directory and its journal are for the owner only.
        Path fresh = Files.createDirectories(dir.resolve("fresh"));
        Processes.ServerProc ok = procs.server(fresh);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh.resolve("rmiq-data"))));
        try (var segments = Files.list(fresh.resolve("rmiq-data/journal"))) {
            for (Path f : segments.toList()) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
            }
        }
        ok.proc().terminate();

        // A TLS password file others can read is refused.
        TlsFiles tls = TlsFiles.make(dir, "modes");
        Files.setPosixFilePermissions(tls.passwordFile(), PosixFilePermissions.fromString("rw-r--r--"));
        Proc t = refusedStart(dir, Map.of(), "readable by other users", "--authkey-file", keyFile(KEY, "rw-------").toString(),
                "--tls-keystore", tls.keystore().toString(), "--tls-password-file", tls.passwordFile().toString());
        assertTrue(t.all().contains("TLS password file"), t.all());
    }
}
