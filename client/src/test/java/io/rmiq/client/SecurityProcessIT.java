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
        Proc s = procs.java(dir, Map.of(), Processes.SERVER_JAR, java.util.List.of("--port", "0", "--bind",
                "127.0.0.1", "--authkey-file", open.toString()));
        assertEquals(2, s.awaitExit(LONG), s.all());
        assertTrue(s.all().contains("chmod 600 " + open), s.all());
        assertTrue(!s.all().contains(KEY), "the key is never printed");

        Proc shortKey = procs.java(dir, Map.of("RMIQ_AUTHKEY", "short"), Processes.SERVER_JAR,
                java.util.List.of("--port", "0", "--bind", "127.0.0.1"));
        assertEquals(2, shortKey.awaitExit(LONG), shortKey.all());
        assertTrue(shortKey.all().contains("at least 16"), shortKey.all());
    }

    @Test
    void clientJar_refusesAKeyFileOthersCanRead() throws Exception {
        Path open = keyFile(KEY, "rw-r-----");
        Proc c = procs.client(dir, Map.of(), "stats", "--port", "1", "--authkey-file", open.toString());
        assertEquals(2, c.awaitExit(LONG), c.all());
        assertTrue(c.err.get(0).contains("readable by its group") && c.err.get(0).contains("chmod 600"), c.all());
    }
}
