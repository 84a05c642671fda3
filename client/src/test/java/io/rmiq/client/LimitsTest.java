package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.AuthenticationException;
import io.rmiq.api.DistributedQueue;
import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.ServerUnavailableException;
import io.rmiq.server.QueueServer;
import io.rmiq.server.admission.ConnectionLimits;
import io.rmiq.transport.Handshake;
import io.rmiq.transport.HandshakeException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each limit gives the client that hits it a clear error, and nobody else notices. */
class LimitsTest {

    static final String KEY = "limits-test-key-0123456789";
    static final Duration BOUND = Duration.ofSeconds(15);

    QueueServer server;
    final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
    }

    QueueServer start(ConnectionLimits limits) throws IOException {
        return start(QueueServer.builder().connectionLimits(limits));
    }

    QueueServer start(QueueServer.Builder b) throws IOException {
        server = b.port(0).bind("127.0.0.1").authkey(KEY).handshakeTimeout(Duration.ofSeconds(5))
                .queue("tasks").start();
        return server;
    }

    QueueClient connect(String key) {
        return QueueClient.builder("127.0.0.1", server.port()).authkey(key).connect();
    }

    /** An authenticated connection that RMI on the server now holds open. */
    Socket authenticated() throws IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        sockets.add(s);
        s.setSoTimeout(5_000);
        Handshake.client(s, realm -> KEY.getBytes(StandardCharsets.UTF_8), "test");
        return s;
    }

    Socket silent() throws IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        sockets.add(s);
        s.setSoTimeout(5_000);
        return s;
    }

    @Test
    void maxConnections_refusesTheNextOneWithTheLimitInWords_andFreesUpWhenOneCloses() throws Exception {
        start(new ConnectionLimits(2, 8, 5, 30_000));
        Socket first = authenticated();
        authenticated();
        HandshakeException e = assertThrows(HandshakeException.class, this::authenticated);
        assertEquals(HandshakeException.Reason.REFUSED, e.reason());
        assertTrue(e.getMessage().contains("maximum of 2 connections") && e.getMessage().contains("--max-connections"),
                e.getMessage());
        first.close();
        await().atMost(BOUND).ignoreExceptions().until(() -> authenticated() != null);
    }

    @Test
    void unauthenticatedPerPeer_refusesAtOnce_notAtTheTimeout() throws Exception {
        start(new ConnectionLimits(100, 2, 5, 30_000));
        silent();
        silent();
        Socket third = silent();
        // Refused with a frame straight away, well within the 5 s read timeout set on the socket.
        byte[] head = third.getInputStream().readNBytes(4);
        assertEquals("RMQE", new String(head, StandardCharsets.US_ASCII));
        for (Socket s : sockets) {
            s.close();
        }
        sockets.clear();
        await().atMost(BOUND).ignoreExceptions().until(() -> {
            try (QueueClient c = connect(KEY)) {
                return c.queue("tasks").size() == 0;
            }
        });
    }

    @Test
    void repeatedWrongKeys_backOffThatAddress_thenTheRightKeyWorksAgain() throws Exception {
        start(new ConnectionLimits(100, 8, 2, 1_000));
        for (int i = 0; i < 2; i++) {
            assertThrows(AuthenticationException.class, () -> connect("wrong-key-but-long-enough"));
        }
        // The client hears the verdict before the server's thread has counted the failure.
        await().atMost(BOUND).until(() -> server.authFailures() >= 2);
        ServerUnavailableException e = assertThrows(ServerUnavailableException.class, () -> connect(KEY));
        assertTrue(e.getMessage().contains("too many failed authentications from 127.0.0.1"), e.getMessage());
        await().atMost(BOUND).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            try (QueueClient c = connect(KEY)) {
                return c.queue("tasks").size() == 0;
            }
        });
    }

    @Test
    void wrongKeysOnTheRmiPort_backOffTheSameAddressOnThePythonPort() throws Exception {
        start(QueueServer.builder().connectionLimits(new ConnectionLimits(100, 8, 2, 60_000)).pythonPort(0));
        try (Socket before = new Socket("127.0.0.1", server.pythonPort())) {
            before.setSoTimeout(5_000);
            assertTrue(before.getInputStream().read() >= 0, "a python client is first sent a challenge");
        }
        for (int i = 0; i < 2; i++) {
            assertThrows(AuthenticationException.class, () -> connect("wrong-key-but-long-enough"));
        }
        // The client hears the verdict before the server's thread has counted the failure.
        await().atMost(BOUND).until(() -> server.authFailures() >= 2);
        try (Socket after = new Socket("127.0.0.1", server.pythonPort())) {
            after.setSoTimeout(5_000);
            assertEquals(-1, after.getInputStream().read(), "closed at once, no challenge");
        }
    }

    @Test
    void itemOverMaxItemBytes_isRefusedByName_andOthersKeepWorking() throws Exception {
        start(QueueServer.builder().maxItemBytes(4096));
        try (QueueClient c = connect(KEY)) {
            DistributedQueue<byte[]> tasks = c.queue("tasks");
            PayloadRejectedException e = assertThrows(PayloadRejectedException.class, () -> tasks.put(new byte[6_000]));
            assertTrue(e.getMessage().contains("--max-item-bytes"), e.getMessage());
            tasks.put(new byte[100]);
            assertEquals(100, tasks.poll(Duration.ofSeconds(5)).length);
        }
    }

    @Test
    void callOverMaxCallBytes_isRefused_andTheConnectionStaysUsable() throws Exception {
        start(QueueServer.builder().maxItemBytes(64 * 1024).maxCallBytes(64 * 1024));
        try (QueueClient c = connect(KEY)) {
            DistributedQueue<byte[]> tasks = c.queue("tasks");
            List<byte[]> batch = new ArrayList<>();
            // Past the limit by about one item (the filter sees the byte count as each item starts):
            // the server refuses while reading, and a client with much more still to write would
            // see its connection reset instead of the refusal.
            for (int i = 0; i < 12; i++) {
                batch.add(new byte[7_000]);
            }
            PayloadRejectedException e = assertThrows(PayloadRejectedException.class, () -> tasks.putAll(batch));
            assertTrue(e.getMessage().contains("--max-call-bytes"), e.getMessage());
            tasks.put(new byte[1000]);
            assertEquals(1, tasks.size());
        }
    }

    @Test
    void defaults_admitABurstOfClientsFromOneHost() throws Exception {
        start(ConnectionLimits.DEFAULTS);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(48);
        try {
            List<java.util.concurrent.Future<Integer>> sizes = new ArrayList<>();
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            for (int i = 0; i < 48; i++) {
                sizes.add(pool.submit(() -> {
                    go.await();
                    try (QueueClient c = connect(KEY)) {
                        return c.queue("tasks").size();
                    }
                }));
            }
            go.countDown();
            for (java.util.concurrent.Future<Integer> f : sizes) {
                assertEquals(0, f.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badLimits_areRefusedWithTheirValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ConnectionLimits(0, 8, 5, 1000));
        assertTrue(e.getMessage().contains("0"), e.getMessage());
    }
}
