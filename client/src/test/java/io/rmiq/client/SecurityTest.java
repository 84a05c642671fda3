package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.rmiq.api.AuthenticationException;
import io.rmiq.api.DistributedQueue;
import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.RemoteQueue;
import io.rmiq.server.QueueServer;
import io.rmiq.server.transport.AuthServerSocketFactory;
import io.rmiq.server.transport.ReadOnlyRegistry;
import io.rmiq.transport.AuthClientSocketFactory;
import io.rmiq.transport.Keyring;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.rmi.registry.LocateRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The port faces a LAN: wrong keys, strangers and foreign classes are refused, and nothing else breaks. */
class SecurityTest {

    static final String KEY = "k3y-MATERIAL-9f8e7d6c5b4a-do-not-leak";
    QueueServer server;
    final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    final Logger transportLog = (Logger) LoggerFactory.getLogger(AuthServerSocketFactory.class);

    /** A user class the server does not allow unless told to. */
    record Point(int x, int y) implements Serializable {
    }

    @BeforeEach
    void start() throws Exception {
        Tripwire.TRIPPED.set(false);
        logs.start();
        transportLog.addAppender(logs);
        server = startServer();
    }

    @AfterEach
    void stop() {
        transportLog.detachAppender(logs);
        server.close();
    }

    QueueServer startServer(String... allow) throws IOException {
        QueueServer.Builder b = QueueServer.builder().port(0).bind("127.0.0.1").authkey(KEY)
                .handshakeTimeout(Duration.ofSeconds(2)).queue("tasks");
        for (String a : allow) {
            b.allow(a);
        }
        return b.start();
    }

    @Test
    void wrongKey_failsWithinSeconds_logsOneWarning_andServerKeepsServing() throws Exception {
        AuthenticationException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(AuthenticationException.class,
                        () -> QueueClient.connect("127.0.0.1", server.port(), "not-the-key")));
        assertEquals("rmiq server at 127.0.0.1:" + server.port() + " rejected the authkey", e.getMessage());

        await().atMost(Duration.ofSeconds(5)).until(() -> server.authFailures() == 1);
        List<String> warnings = logs.list.stream().filter(ev -> ev.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("rejected connection from 127.0.0.1:"), warnings.get(0));
        assertTrue(warnings.get(0).contains("wrong authkey"), warnings.get(0));
        assertFalse(warnings.get(0).contains(KEY));
        assertStillServing();
    }

    @Test
    void silentPeer_withNoKey_isDroppedAtTheHandshakeTimeout() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            assertStillServing(); // while the silent peer holds its connection
            skipGreeting(s.getInputStream());
            assertEquals(-1, s.getInputStream().read(), "server should close a silent connection");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.authFailures() == 1);
    }

    @Test
    void garbageBytes_getTheConnectionClosed() throws Exception {
        byte[] garbage = new byte[256];
        new Random(42).nextBytes(garbage);
        assertClosedAfterSending(garbage);
        assertStillServing();
    }

    @Test
    void httpRequest_getsTheConnectionClosed() throws Exception {
        assertClosedAfterSending("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertStillServing();
    }

    @Test
    void plainJrmpWithoutHandshake_getsTheConnectionClosed() throws Exception {
        assertClosedAfterSending(new byte[] {'J', 'R', 'M', 'I', 0, 2, 0x4b});
        assertStillServing();
    }

    @Test
    void serializedObjectBeforeTheHandshake_isNeverDeserialized() throws Exception {
        byte[] stream = serialize(new Tripwire());
        assertClosedAfterSending(stream);
        assertStillServing();
        assertFalse(Tripwire.TRIPPED.get(), "the server deserialized bytes from an unauthenticated peer");

        // The tripwire works: deserializing the same bytes here does trip it.
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(stream))) {
            in.readObject();
        }
        assertTrue(Tripwire.TRIPPED.get());
    }

    @Test
    void classNotOnTheServersList_isRefusedByTheServer_namingIt() throws Exception {
        try (QueueClient client = QueueClient.builder("127.0.0.1", server.port()).authkey(KEY)
                .allow("io.rmiq.client.**").connect()) {
            DistributedQueue<Point> q = client.queue("tasks");
            PayloadRejectedException e = assertThrows(PayloadRejectedException.class, () -> q.put(new Point(1, 2)));
            assertTrue(e.getMessage().contains("io.rmiq.client.SecurityTest$Point"), e.getMessage());
            assertTrue(e.getMessage().contains("--allow"), e.getMessage());
            assertEquals(0, q.size());
        }
        assertStillServing();
    }

    @Test
    void classNotOnTheServersList_sentAsRawBytes_isRefusedAndNeverStored() throws Exception {
        // Skips the client's own check, as a hostile client would.
        RemoteQueue raw = (RemoteQueue) LocateRegistry
                .getRegistry("127.0.0.1", server.port(), AuthClientSocketFactory.bootstrap(entry()))
                .lookup("tasks");
        PayloadRejectedException e = assertThrows(PayloadRejectedException.class,
                () -> raw.offer(io.rmiq.api.internal.ItemFrames.of(serialize(List.of(1, new Tripwire()))), 0, 0, 0));
        assertTrue(e.getMessage().contains("io.rmiq.client.Tripwire"), e.getMessage());
        assertEquals(0, raw.size());
        assertFalse(Tripwire.TRIPPED.get());
    }

    @Test
    void classNotOnTheClientsList_isRefusedBeforeSending() throws Exception {
        try (QueueClient client = QueueClient.connect("127.0.0.1", server.port(), KEY)) {
            DistributedQueue<Point> q = client.queue("tasks");
            PayloadRejectedException e = assertThrows(PayloadRejectedException.class, () -> q.put(new Point(1, 2)));
            assertTrue(e.getMessage().contains("io.rmiq.client.SecurityTest$Point"), e.getMessage());
        }
    }

    @Test
    void allowedEverywhere_userClass_crossesIntact() throws Exception {
        server.close();
        server = startServer("io.rmiq.client.SecurityTest$Point");
        try (QueueClient client = QueueClient.builder("127.0.0.1", server.port()).authkey(KEY)
                .allow("io.rmiq.client.*").connect()) {
            DistributedQueue<Point> q = client.queue("tasks");
            q.put(new Point(3, 4));
            assertEquals(new Point(3, 4), q.get());
        }
    }

    @Test
    void consumerWithoutTheClassOnItsList_refusesTheItem_namingIt() throws Exception {
        server.close();
        server = startServer("io.rmiq.client.**");
        try (QueueClient producer = QueueClient.builder("127.0.0.1", server.port()).authkey(KEY)
                .allow("io.rmiq.client.**").connect();
             QueueClient consumer = QueueClient.connect("127.0.0.1", server.port(), KEY)) {
            producer.<Point>queue("tasks").put(new Point(5, 6));
            PayloadRejectedException e = assertThrows(PayloadRejectedException.class,
                    () -> consumer.queue("tasks").get());
            assertTrue(e.getMessage().contains("io.rmiq.client.SecurityTest$Point"), e.getMessage());
        }
    }

    @Test
    void stubsAndSocketFactories_serialized_doNotContainTheKey() throws Exception {
        Object stub = LocateRegistry
                .getRegistry("127.0.0.1", server.port(), AuthClientSocketFactory.bootstrap(entry()))
                .lookup("tasks");
        byte[] keyBytes = KEY.getBytes(StandardCharsets.UTF_8);
        byte[] stubBytes = serialize(stub);
        assertTrue(new String(stubBytes, StandardCharsets.ISO_8859_1).contains("AuthClientSocketFactory"),
                "the stub should carry the client socket factory");
        assertFalse(contains(stubBytes, keyBytes), "the key travels inside the stub");
        assertFalse(contains(serialize(AuthClientSocketFactory.bootstrap(entry())), keyBytes));
    }

    @Test
    void registryQueuesAndDgc_shareOneListeningSocket() throws Exception {
        try (QueueClient client = QueueClient.connect("127.0.0.1", server.port(), KEY)) {
            DistributedQueue<Integer> q = client.queue("tasks");
            q.put(1);
            assertEquals(1, q.get());
        }
        assertEquals(1, server.listeningSockets());
    }

    @Test
    void registry_isReadOnlyToClients_evenOnTheServersOwnHost() throws Exception {
        AuthClientSocketFactory factory = AuthClientSocketFactory.bootstrap(entry());
        try {
            java.rmi.registry.Registry registry = LocateRegistry.getRegistry("127.0.0.1", server.port(), factory);
            java.rmi.Remote manager = registry.lookup(io.rmiq.api.RemoteQueueManager.BINDING);
            // As RMI reports its own refusal to other hosts: an AccessException from the server thread.
            Exception unbind = assertThrows(java.rmi.ServerException.class,
                    () -> registry.unbind(io.rmiq.api.RemoteQueueManager.BINDING));
            assertTrue(unbind.getCause() instanceof java.rmi.AccessException
                    && unbind.getCause().getMessage().equals(ReadOnlyRegistry.REFUSAL), unbind.toString());
            Exception rebind = assertThrows(java.rmi.RemoteException.class,
                    () -> registry.rebind(io.rmiq.api.RemoteQueueManager.BINDING, manager));
            assertTrue(rebind.toString().contains("REJECTED"), "the bound object is never even deserialized: " + rebind);
            assertThrows(java.rmi.RemoteException.class, () -> registry.bind("mine", manager));
            assertEquals(java.util.Set.of(io.rmiq.api.RemoteQueueManager.BINDING, "tasks", "tasks.dead"),
                    java.util.Set.of(registry.list()), "bindings unchanged, at once");
            assertEquals(manager, registry.lookup(io.rmiq.api.RemoteQueueManager.BINDING));
        } finally {
            factory.release();
        }
        assertStillServing();
    }

    private static Keyring.Entry entry() {
        return new Keyring.Entry(KEY.getBytes(StandardCharsets.UTF_8), 5_000, 5_000, 30_000);
    }

    private void assertStillServing() throws Exception {
        try (QueueClient client = QueueClient.connect("127.0.0.1", server.port(), KEY)) {
            DistributedQueue<String> q = client.queue("tasks");
            q.put("still here");
            assertEquals("still here", q.poll(Duration.ofSeconds(5)));
        }
    }

    private void assertClosedAfterSending(byte[] bytes) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            try {
                skipGreeting(in);
                assertEquals(-1, in.read(), "server should close the connection without answering");
            } catch (java.net.SocketException reset) {
                // a reset is a close too
            }
        }
    }

    /** The server greets every connection at once (magic, realm, nonce: nothing secret), then answers nothing more. */
    private static void skipGreeting(InputStream in) throws IOException {
        byte[] greeting = in.readNBytes(4 + 16 + 32);
        assertEquals("RMQ1", new String(greeting, 0, 4, StandardCharsets.US_ASCII));
    }

    private static byte[] serialize(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
