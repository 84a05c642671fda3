package io.rmiq.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The handshake over a real loopback socket, with each side played straight or crooked. */
class HandshakeTest {

    static final byte[] KEY = "handshake-key".getBytes(StandardCharsets.UTF_8);
    static final byte[] REALM = Handshake.random(Handshake.REALM);
    ServerSocket listener;

    @BeforeEach
    void listen() throws IOException {
        listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void close() throws IOException {
        listener.close();
    }

    /** Runs {@code server} on the accepted socket while the test plays the client. */
    CompletableFuture<Throwable> serve(ServerSide server) {
        return CompletableFuture.supplyAsync(() -> {
            try (Socket s = listener.accept()) {
                s.setSoTimeout(5_000);
                server.run(s);
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
    }

    interface ServerSide {
        void run(Socket s) throws Exception;
    }

    Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        s.setSoTimeout(5_000);
        return s;
    }

    @Test
    void sameKey_bothSidesSucceed_andClientLearnsTheRealm() throws Exception {
        CompletableFuture<Throwable> server = serve(s -> Handshake.server(s, KEY, REALM, "client"));
        try (Socket s = connect()) {
            assertArrayEquals(REALM, Handshake.client(s, r -> KEY, "server"));
        }
        assertEquals(null, server.get(10, TimeUnit.SECONDS));
    }

    @Test
    void wrongKey_serverRejects_andClientIsToldSo() throws Exception {
        CompletableFuture<Throwable> server = serve(s -> Handshake.server(s, KEY, REALM, "client"));
        try (Socket s = connect()) {
            HandshakeException e = assertThrows(HandshakeException.class,
                    () -> Handshake.client(s, r -> "other".getBytes(StandardCharsets.UTF_8), "server:1"));
            assertEquals(HandshakeException.Reason.WRONG_KEY, e.reason());
            assertEquals("rmiq server at server:1 rejected the authkey", e.getMessage());
        }
        Throwable t = server.get(10, TimeUnit.SECONDS);
        assertTrue(t instanceof HandshakeException h && h.reason() == HandshakeException.Reason.WRONG_KEY, String.valueOf(t));
    }

    @Test
    void serverThatCannotProveTheKey_isRefusedByTheClient() throws Exception {
        // A crooked server: accepts any proof, then answers with a made-up one.
        CompletableFuture<Throwable> server = serve(s -> {
            DataInputStream in = new DataInputStream(s.getInputStream());
            in.readFully(new byte[Handshake.MAGIC.length]);
            s.getOutputStream().write(Handshake.MAGIC);
            s.getOutputStream().write(REALM);
            s.getOutputStream().write(Handshake.random(Handshake.NONCE));
            in.readFully(new byte[Handshake.NONCE + Handshake.MAC]);
            s.getOutputStream().write(0);
            s.getOutputStream().write(Handshake.random(Handshake.MAC));
            s.getOutputStream().flush();
        });
        try (Socket s = connect()) {
            HandshakeException e = assertThrows(HandshakeException.class, () -> Handshake.client(s, r -> KEY, "server:2"));
            assertEquals(HandshakeException.Reason.WRONG_KEY, e.reason());
            assertTrue(e.getMessage().contains("could not prove"), e.getMessage());
        }
        server.get(10, TimeUnit.SECONDS);
    }

    @Test
    void peerThatIsNotRmiq_isNamedAsSuch() throws Exception {
        CompletableFuture<Throwable> server = serve(s -> {
            s.getOutputStream().write("SSH-2.0-OpenSSH_9.2\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(new byte[64]);
            s.getOutputStream().flush();
        });
        try (Socket s = connect()) {
            HandshakeException e = assertThrows(HandshakeException.class, () -> Handshake.client(s, r -> KEY, "server:3"));
            assertEquals(HandshakeException.Reason.NOT_RMIQ, e.reason());
        }
        server.get(10, TimeUnit.SECONDS);
    }

    @Test
    void proofMadeForOtherNonces_isRejected() throws Exception {
        // What a replay would send: a proof valid for some earlier pair of nonces, not this one's.
        CompletableFuture<Throwable> server = serve(s -> Handshake.server(s, KEY, REALM, "client"));
        byte[] zeros = new byte[Handshake.NONCE];
        try (Socket s = connect()) {
            s.getOutputStream().write(Handshake.MAGIC);
            s.getOutputStream().write(zeros);
            new DataInputStream(s.getInputStream())
                    .readFully(new byte[Handshake.MAGIC.length + Handshake.REALM + Handshake.NONCE]);
            s.getOutputStream().write(Handshake.mac(KEY, "rmiq-client", zeros, zeros, REALM));
            assertEquals(1, s.getInputStream().read(), "server should answer 'wrong key'");
        }
        Throwable t = server.get(10, TimeUnit.SECONDS);
        assertTrue(t instanceof HandshakeException, String.valueOf(t));
    }
}
