package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.AuthenticationException;
import io.rmiq.api.DistributedQueue;
import io.rmiq.server.QueueServer;
import io.rmiq.transport.Tls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS around the authkey handshake: it works, and every mismatch is told in words, not hung on. */
class TlsTest {

    static final String KEY = "tls-test-key-0123456789abcdef";
    static final Duration BOUND = Duration.ofSeconds(15);

    @TempDir
    static Path dir;
    static TlsFiles files;
    static TlsFiles stranger;

    QueueServer server;

    @BeforeAll
    static void makeStores() throws Exception {
        files = TlsFiles.make(dir, "main");
        stranger = TlsFiles.make(dir, "stranger");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    QueueServer start(SSLContext tls) throws IOException {
        server = QueueServer.builder().port(0).bind("127.0.0.1").authkey(KEY).tls(tls)
                .handshakeTimeout(Duration.ofSeconds(3)).queue("tasks").start();
        return server;
    }

    static SSLContext serverTls() throws IOException {
        return Tls.server(files.keystore(), Tls.password(files.passwordFile()));
    }

    QueueClient.Builder client(TlsFiles trust) throws IOException {
        QueueClient.Builder b = QueueClient.builder("127.0.0.1", server.port()).authkey(KEY)
                .handshakeTimeout(Duration.ofSeconds(3));
        return trust == null ? b : b.tls(Tls.client(trust.truststore(), trust.password().toCharArray()));
    }

    @Test
    void tlsClient_tlsServer_queuesWork() throws Exception {
        start(serverTls());
        try (QueueClient c = client(files).connect()) {
            DistributedQueue<String> tasks = c.queue("tasks");
            tasks.put("over tls");
            assertEquals("over tls", tasks.poll(Duration.ofSeconds(5)));
        }
    }

    @Test
    void plaintextRmiqClient_tlsServer_isToldTlsIsRequired() throws Exception {
        start(serverTls());
        AuthenticationException e = assertTimeoutPreemptively(BOUND,
                () -> assertThrows(AuthenticationException.class, () -> client(null).connect()));
        assertTrue(e.getMessage().contains("requires TLS") && e.getMessage().contains("--tls-truststore"),
                e.getMessage());
    }

    @Test
    void tlsClient_plaintextServer_isToldServerDoesNotUseTls() throws Exception {
        start(null);
        AuthenticationException e = assertTimeoutPreemptively(BOUND,
                () -> assertThrows(AuthenticationException.class, () -> client(files).connect()));
        assertTrue(e.getMessage().contains("does not use TLS"), e.getMessage());
    }

    @Test
    void untrustedServerCertificate_isRefusedByTheClient() throws Exception {
        start(serverTls());
        AuthenticationException e = assertTimeoutPreemptively(BOUND,
                () -> assertThrows(AuthenticationException.class, () -> client(stranger).connect()));
        assertTrue(e.getMessage().contains("does not trust"), e.getMessage());
        try (QueueClient c = client(files).connect()) {
            assertEquals(0, c.queue("tasks").size(), "the server keeps serving");
        }
    }

    @Test
    void wrongAuthkey_insideTls_isRejected() throws Exception {
        start(serverTls());
        AuthenticationException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(AuthenticationException.class,
                () -> client(files).authkey("not-the-key-but-long-enough").connect()));
        assertTrue(e.getMessage().contains("rejected the authkey"), e.getMessage());
    }

    @Test
    void tlsServer_sendsNoPlaintextRmiqBytes() throws Exception {
        start(serverTls());
        // A raw TLS-less peer that claims to be rmiq gets the refusal frame, not the greeting.
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write("RMQ1".getBytes(StandardCharsets.US_ASCII)); // all a client sends before the greeting
            InputStream in = s.getInputStream();
            byte[] head = in.readNBytes(4);
            assertEquals("RMQE", new String(head, StandardCharsets.US_ASCII));
        }
    }

    @Test
    void tlsServer_refusesCbcSuites_evenOnTls12() throws Exception {
        start(serverTls());
        SSLContext trusting = Tls.client(files.truststore(), files.password().toCharArray());
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) trusting.getSocketFactory()
                .createSocket("127.0.0.1", server.port())) {
            s.setSoTimeout((int) BOUND.toMillis());
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            s.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
                    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"});
            assertThrows(javax.net.ssl.SSLException.class, s::startHandshake);
        }
        // The same client with an AEAD suite on TLS 1.2 gets through the TLS handshake.
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) trusting.getSocketFactory()
                .createSocket("127.0.0.1", server.port())) {
            s.setSoTimeout((int) BOUND.toMillis());
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            s.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"});
            s.startHandshake();
            assertTrue(s.getSession().getCipherSuite().contains("_GCM_"), s.getSession().getCipherSuite());
        }
    }

    @Test
    void badKeystorePassword_isNamed() {
        IOException e = assertThrows(IOException.class,
                () -> Tls.server(files.keystore(), "wrong-password".toCharArray()));
        assertTrue(e.getMessage().contains("wrong password") && e.getMessage().contains(files.keystore().toString()),
                e.getMessage());
        IOException t = assertThrows(IOException.class,
                () -> Tls.server(files.truststore(), files.password().toCharArray()));
        assertTrue(t.getMessage().contains("holds no private key"), t.getMessage());
    }

    @Test
    void tlsServer_silentPeer_isCutOffAtHandshakeTimeout() throws Exception {
        start(serverTls());
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            // Well past the 3 s handshake timeout: a server that hung on would make this read time out.
            s.setSoTimeout(10_000);
            assertEquals(-1, s.getInputStream().read(), "closed by the server");
        }
    }

    @Test
    void tlsServer_trickledClientHello_isCutAtTheDeadline_notKeptAliveByEachByte() throws Exception {
        start(serverTls());
        // A TLS record header promising a 512-byte ClientHello, then one byte a second: each read on
        // the server is well within any read timeout, only a deadline from accept ends it.
        byte[] hello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03};
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(1_000);
            long start = System.nanoTime();
            boolean closed = false;
            for (int i = 0; i < 15 && !closed; i++) {
                try {
                    s.getOutputStream().write(hello[Math.min(i, hello.length - 1)]);
                    closed = s.getInputStream().read() < 0;
                } catch (java.net.SocketTimeoutException stillOpen) {
                    // the server waits for the next byte
                } catch (IOException e) {
                    closed = true;
                }
            }
            long seconds = (System.nanoTime() - start) / 1_000_000_000;
            assertTrue(closed, "still open after 15 trickled bytes");
            assertTrue(seconds <= 6, "cut after " + seconds + " s; the handshake timeout is 3 s");
        }
    }
}
