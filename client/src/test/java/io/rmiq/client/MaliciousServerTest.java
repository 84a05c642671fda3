package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DistributedQueue;
import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.RemoteQueue;
import io.rmiq.serial.CompactCodec;
import io.rmiq.api.RemoteQueueManager;
import io.rmiq.serial.RmiqFilterFactory;
import io.rmiq.server.transport.AuthServerSocketFactory;
import io.rmiq.transport.AuthClientSocketFactory;
import io.rmiq.transport.Handshake;
import java.io.File;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.rmi.Remote;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.UnicastRemoteObject;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that knows the key but sends back objects of classes the client does not allow, or graphs
 * beyond its limits, in call results and as queue items: the client refuses them before any of their
 * code runs.
 */
class MaliciousServerTest {

    static final String KEY = "malicious-server-test-key";
    /** What the evil manager's stats() answers. */
    static volatile Object statsAnswer;
    /** The items the evil queue's poll() answers. */
    static volatile byte[][] pollAnswer;
    @TempDir Path dir;

    /** A manager whose stats() answers {@link #statsAnswer} and whose queue() answers the evil queue. */
    static RemoteQueueManager evilManager(Remote queue) {
        return evil(RemoteQueueManager.class, Map.of("stats", () -> statsAnswer, "queue", () -> queue,
                "sessionTimeoutMillis", () -> 10_000L));
    }

    /** A queue whose poll() answers {@link #pollAnswer} and whose offer() a negative count of items. */
    static RemoteQueue evilQueue() {
        return evil(RemoteQueue.class, Map.of("poll", () -> io.rmiq.api.internal.ItemFrames.of(pollAnswer),
                "offer", () -> -5, "name", () -> "tasks"));
    }

    /** A proxy answering the named methods as given, every other method with zero, false or null. */
    static <T> T evil(Class<T> type, Map<String, java.util.function.Supplier<Object>> answers) {
        return type.cast(Proxy.newProxyInstance(MaliciousServerTest.class.getClassLoader(), new Class<?>[] {type},
                (proxy, method, args) -> {
                    java.util.function.Supplier<Object> answer = answers.get(method.getName());
                    if (answer != null) {
                        return answer.get();
                    }
                    switch (method.getName()) {
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "equals":
                            return proxy == args[0];
                        default:
                            Class<?> r = method.getReturnType();
                            return r == long.class ? 0L : r == int.class ? 0 : r == boolean.class ? false : null;
                    }
                }));
    }

    Registry registry;
    RemoteQueueManager manager;
    RemoteQueue queue;
    AuthServerSocketFactory ssf;
    int port;

    @BeforeEach
    void start() throws Exception {
        Tripwire.TRIPPED.set(false);
        List<Object> list = new ArrayList<>();
        list.add(new Tripwire());
        statsAnswer = list;
        System.setProperty("java.rmi.server.hostname", "127.0.0.1");
        byte[] realm = Handshake.random(Handshake.REALM);
        ssf = new AuthServerSocketFactory(InetAddress.getLoopbackAddress(), KEY.getBytes(StandardCharsets.UTF_8),
                realm, 2_000);
        AuthClientSocketFactory csf = AuthClientSocketFactory.forRealm(realm);
        registry = LocateRegistry.createRegistry(0, csf, ssf);
        port = ssf.localPort();
        queue = evilQueue();
        Remote queueStub = UnicastRemoteObject.exportObject(queue, port, csf, ssf);
        manager = evilManager(queueStub);
        registry.rebind(RemoteQueueManager.BINDING, UnicastRemoteObject.exportObject(manager, port, csf, ssf));
    }

    @AfterEach
    void stop() throws Exception {
        UnicastRemoteObject.unexportObject(manager, true);
        UnicastRemoteObject.unexportObject(queue, true);
        UnicastRemoteObject.unexportObject(registry, true);
    }

    @Test
    void resultOfAClassOffTheList_isRefused_beforeItsReadObjectRuns() {
        try (QueueClient client = QueueClient.connect("127.0.0.1", port, KEY)) {
            assertTrue(RmiqFilterFactory.installed(), "the client filter factory should be in place");
            PayloadRejectedException e = assertThrows(PayloadRejectedException.class, client::stats);
            assertTrue(e.getMessage().contains("io.rmiq.client.Tripwire"), e.getMessage());
        }
        assertFalse(Tripwire.TRIPPED.get(), "the client deserialized a class the server should not send");
    }

    @Test
    void gadgetChainAsACallResult_isRefused_andNeverFires() throws Exception {
        File marker = dir.resolve("gadget-fired").toFile();
        statsAnswer = new ArrayList<>(List.of(Gadgets.fileCreatingChain(marker)));
        try (QueueClient client = QueueClient.connect("127.0.0.1", port, KEY)) {
            PayloadRejectedException e = assertThrows(PayloadRejectedException.class, client::stats);
            assertTrue(e.getMessage().contains("org.apache.commons.collections"), e.getMessage());
        }
        assertFalse(marker.exists(), "the client ran the gadget chain a server sent");
    }

    @Test
    void hostileItems_fromTheServer_areRefusedOneByOne_andTheClientKeepsWorking() throws Exception {
        File marker = dir.resolve("gadget-fired").toFile();
        try (QueueClient client = QueueClient.connect("127.0.0.1", port, KEY)) {
            DistributedQueue<Object> q = client.queue("tasks");
            Map<byte[], String> items = Map.of(
                    Gadgets.serialize(Gadgets.fileCreatingChain(marker)), "org.apache.commons.collections",
                    Gadgets.serialize(new Tripwire()), "io.rmiq.client.Tripwire",
                    Gadgets.serialize(Gadgets.nestedLists(200)), "nesting deeper than 64",
                    Gadgets.arrayClaim(Integer.MAX_VALUE - 8), "an array of 2147483639 elements");
            for (Map.Entry<byte[], String> item : items.entrySet()) {
                pollAnswer = new byte[][] {item.getKey()};
                PayloadRejectedException e = assertThrows(PayloadRejectedException.class,
                        () -> q.poll(Duration.ofSeconds(1)));
                assertTrue(e.getMessage().contains(item.getValue()), e.getMessage());
            }
            pollAnswer = new byte[][] {CompactCodec.tryEncode("fine")};
            assertEquals("fine", q.poll(Duration.ofSeconds(1)));
        }
        assertFalse(marker.exists(), "the client ran the gadget chain a server sent");
        assertFalse(Tripwire.TRIPPED.get());
    }

    @Test
    void aNonsenseCountOfAcceptedItems_isRefused_notRetriedForever() throws Exception {
        try (QueueClient client = QueueClient.connect("127.0.0.1", port, KEY)) {
            DistributedQueue<Object> q = client.queue("tasks");
            PayloadRejectedException e = assertThrows(PayloadRejectedException.class, () -> q.put("x"));
            assertTrue(e.getMessage().contains("says it accepted -5 of 1 items"), e.getMessage());
        }
    }
}
