package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DistributedQueue;
import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.RemoteQueue;
import io.rmiq.api.RemoteQueueManager;
import io.rmiq.server.QueueServer;
import io.rmiq.transport.AuthClientSocketFactory;
import io.rmiq.transport.Keyring;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.ObjectInputStream;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.RemoteObjectInvocationHandler;
import java.time.Duration;
import java.util.List;
import io.rmiq.serial.RmiqFilterFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that holds the key and sends what no honest client would, both as queue payloads (checked
 * by the server's stream scanner) and in place of RMI call arguments (checked by the call filter):
 * each is refused with a clear error, nothing runs, the heap stays small and others keep working.
 */
class HostileInputTest {

    static final String KEY = "hostile-input-test-key-0123456789";
    static final byte[] KEY_BYTES = KEY.getBytes(StandardCharsets.UTF_8);
    @TempDir Path dir;
    QueueServer server;
    File marker;
    Registry registry;

    @BeforeAll
    static void filterFactory() {
        // As a client application would, before this JVM deserializes anything (the control test does).
        RmiqFilterFactory.install();
    }

    @BeforeEach
    void start() throws Exception {
        Tripwire.TRIPPED.set(false);
        server = QueueServer.builder().port(0).bind("127.0.0.1").authkey(KEY)
                .handshakeTimeout(Duration.ofSeconds(2)).queue("tasks").start();
        marker = dir.resolve("gadget-fired").toFile();
        registry = LocateRegistry.getRegistry("127.0.0.1", server.port(),
                AuthClientSocketFactory.bootstrap(new Keyring.Entry(KEY_BYTES, 5_000, 10_000, 30_000)));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void gadgetChain_firesWhenDeserializedWithoutRmiq_soTheOtherTestsCanTellItDidNot() throws Exception {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(
                Gadgets.serialize(Gadgets.fileCreatingChain(marker))))) {
            in.readObject();
        }
        assertTrue(marker.exists(), "the chain should have created the marker file");
    }

    @Test
    void gadgetChain_asAPayload_isRefusedByTheScanner_namingItsClass() throws Exception {
        RemoteQueue raw = (RemoteQueue) registry.lookup("tasks");
        PayloadRejectedException e = assertThrows(PayloadRejectedException.class,
                () -> raw.offer(io.rmiq.api.internal.ItemFrames.of(Gadgets.serialize(Gadgets.fileCreatingChain(marker))), 0, 0, 0));
        assertTrue(e.getMessage().contains("class org.apache.commons.collections.keyvalue.TiedMapEntry is not on "
                + "the allow list"), e.getMessage());
        assertEquals(0, raw.size());
        assertFalse(marker.exists(), "the gadget fired");
        assertStillServing();
    }

    @Test
    void gadgetChain_inPlaceOfAQueueCallsArgument_isRefusedByTheCallFilter() throws Exception {
        RemoteQueue stub = (RemoteQueue) registry.lookup("tasks");
        Method offer = RemoteQueue.class.getMethod("offer", byte[].class, long.class, long.class, long.class);
        // The stub's own reference, asked to send a HashSet where the method takes byte[]
        RemoteObjectInvocationHandler h = (RemoteObjectInvocationHandler) Proxy.getInvocationHandler(stub);
        Exception e = assertThrows(Exception.class, () -> h.getRef().invoke(stub, offer,
                new Object[] {Gadgets.fileCreatingChain(marker), 0L, 0L, 0L}, Jrmp.methodHash(offer)));
        assertRejectedByFilter(e);
        assertFalse(marker.exists(), "the gadget fired");

        // The same by hand on the wire, to the manager's queue(String)
        RemoteQueueManager manager = (RemoteQueueManager) registry.lookup(RemoteQueueManager.BINDING);
        byte[] answer = Jrmp.invoke(server.port(), KEY_BYTES, Jrmp.call(manager,
                RemoteQueueManager.class.getMethod("queue", String.class),
                out -> out.writeObject(Gadgets.fileCreatingChain(marker))));
        assertFalse(Jrmp.returnedNormally(answer));
        // A String parameter: RMI reads it with readString, which refuses any object without reading it.
        assertTrue(Jrmp.text(answer).contains("Cannot cast an object to java.lang.String"), Jrmp.text(answer));
        assertFalse(marker.exists(), "the gadget fired");
        assertStillServing();
    }

    @Test
    void gadgetChain_asARegistryLookupName_isRefused() throws Exception {
        byte[] answer = Jrmp.invoke(server.port(), KEY_BYTES, Jrmp.call(Jrmp.Target.REGISTRY, Jrmp.REGISTRY_LOOKUP,
                Jrmp.REGISTRY_HASH, out -> out.writeObject(Gadgets.fileCreatingChain(marker))));
        assertFalse(Jrmp.returnedNormally(answer));
        assertTrue(Jrmp.text(answer).contains("Cannot cast an object to java.lang.String"), Jrmp.text(answer));
        assertFalse(marker.exists(), "the gadget fired");
        assertStillServing();
    }

    @Test
    void handWrittenCalls_reachTheServer_soTheRefusalsAboveAreTheFilters() throws Exception {
        RemoteQueue stub = (RemoteQueue) registry.lookup("tasks");
        stub.offer(io.rmiq.api.internal.ItemFrames.of(io.rmiq.serial.CompactCodec.tryEncode(42)), 0, 0, 0);
        byte[] size = Jrmp.invoke(server.port(), KEY_BYTES, Jrmp.call(stub, RemoteQueue.class.getMethod("size"),
                out -> { }));
        assertTrue(Jrmp.returnedNormally(size), Jrmp.text(size));
        byte[] lookup = Jrmp.invoke(server.port(), KEY_BYTES, Jrmp.call(Jrmp.Target.REGISTRY, Jrmp.REGISTRY_LOOKUP,
                Jrmp.REGISTRY_HASH, out -> out.writeObject("tasks")));
        assertTrue(Jrmp.returnedNormally(lookup), Jrmp.text(lookup));
    }

    @Test
    void deeplyNestedGraph_isRefused_asAPayloadAndAsAnArgument() throws Exception {
        RemoteQueue raw = (RemoteQueue) registry.lookup("tasks");
        PayloadRejectedException e = assertThrows(PayloadRejectedException.class,
                () -> raw.offer(io.rmiq.api.internal.ItemFrames.of(Gadgets.serialize(Gadgets.nestedLists(200))), 0, 0, 0));
        assertTrue(e.getMessage().contains("nesting deeper than maxDepth 64"), e.getMessage());

        byte[] answer = Jrmp.invoke(server.port(), KEY_BYTES, Jrmp.call(raw,
                RemoteQueue.class.getMethod("offer", byte[].class, long.class, long.class, long.class),
                out -> {
                    out.writeObject(Gadgets.nestedLists(200));
                    out.writeLong(0); // timeout
                    out.writeLong(0); // producer
                    out.writeLong(0); // sequence
                }));
        assertTrue(Jrmp.text(answer).contains("filter status: REJECTED"), Jrmp.text(answer));
        assertEquals(0, raw.size());
        assertStillServing();
    }

    @Test
    void hugeArrayClaims_areRefusedBeforeAllocation_andTheHeapStaysSmall() throws Exception {
        RemoteQueue raw = (RemoteQueue) registry.lookup("tasks");
        long before = heapAfterGc();
        PayloadRejectedException e = assertThrows(PayloadRejectedException.class,
                () -> raw.offer(io.rmiq.api.internal.ItemFrames.of(Gadgets.arrayClaim(Integer.MAX_VALUE - 8)), 0, 0, 0));
        assertTrue(e.getMessage().contains("array length 2147483639"), e.getMessage());

        // As arguments: 16 GiB claimed in a few bytes in place of byte[], and 2 GiB as the byte[] itself.
        Method offer = RemoteQueue.class.getMethod("offer", byte[].class, long.class, long.class, long.class);
        byte[] longs = Jrmp.call(raw, offer, out -> {
            out.writeObject(new long[0]);
            out.writeLong(0); // timeout
            out.writeLong(0); // producer
            out.writeLong(0); // sequence
        });
        byte[] bytes = Jrmp.call(raw, offer, out -> {
            out.writeObject(new byte[0]);
            out.writeLong(0); // timeout
            out.writeLong(0); // producer
            out.writeLong(0); // sequence
        });
        // 32 MB: more than any batch needs, though less than an item may be; only byte[] gets the item bound.
        byte[] fewLongs = longs.clone();
        patchLastArrayLength(fewLongs, 4_000_000);
        patchLastArrayLength(longs, Integer.MAX_VALUE - 8);
        patchLastArrayLength(bytes, Integer.MAX_VALUE - 8);
        for (int i = 0; i < 10; i++) {
            for (byte[] call : List.of(longs, bytes, fewLongs)) {
                byte[] answer = Jrmp.invoke(server.port(), KEY_BYTES, call);
                assertTrue(Jrmp.text(answer).contains("filter status: REJECTED"), Jrmp.text(answer));
            }
        }
        byte[] inner = Jrmp.invoke(server.port(), KEY_BYTES, Jrmp.call(raw, offer, out -> {
            out.writeObject(io.rmiq.api.internal.ItemFrames.of(io.rmiq.serial.CompactCodec.tryEncode(new byte[2_000_000])));
            out.writeLong(0); // timeout
            out.writeLong(0); // producer
            out.writeLong(0); // sequence
        }));
        assertTrue(Jrmp.returnedNormally(inner), "a 2 MB item is within the limits: " + Jrmp.text(inner));
        assertEquals(1, io.rmiq.api.internal.ItemFrames.decode(raw.poll(1, 0, 0), 1).length);
        await().atMost(Duration.ofSeconds(20)).until(() -> heapAfterGc() < before + (64 << 20));
        assertStillServing();
    }

    @Test
    void cyclicCollections_areStoredAsBytes_andComeBackCyclic() throws Exception {
        // Cycles are legal Java serialization: the server must not loop on them, the consumer gets them back.
        try (QueueClient client = connect()) {
            DistributedQueue<Object> q = client.queue("tasks");
            q.put(Gadgets.cycles());
            @SuppressWarnings("unchecked")
            java.util.List<Object> back = (java.util.List<Object>) q.poll(Duration.ofSeconds(5));
            assertTrue(back.get(0) == back, "the list contains itself");
            assertTrue(((java.util.Map<?, ?>) back.get(1)).get("self") == back.get(1), "the map maps to itself");
        }
        RemoteQueue raw = (RemoteQueue) registry.lookup("tasks");
        byte[] answer = Jrmp.invoke(server.port(), KEY_BYTES, Jrmp.call(raw,
                RemoteQueue.class.getMethod("offer", byte[].class, long.class, long.class, long.class),
                out -> {
                    out.writeObject(Gadgets.cycles());
                    out.writeLong(0); // timeout
                    out.writeLong(0); // producer
                    out.writeLong(0); // sequence
                }));
        // Allowed classes, so they are read (cycles are cheap to read); then they are not a byte[].
        // (the message depends on whether reflection has generated an accessor for offer yet)
        assertTrue(Jrmp.text(answer).contains("argument type mismatch")
                || Jrmp.text(answer).contains("java.lang.ClassCastException"), Jrmp.text(answer));
        assertEquals(0, raw.size());
        assertStillServing();
    }

    @Test
    void largeLegitimateItem_upToThePayloadLimit_crossesIntact() throws Exception {
        byte[] big = new byte[4 << 20];
        new java.util.Random(7).nextBytes(big);
        try (QueueClient client = connect()) {
            DistributedQueue<byte[]> q = client.queue("tasks");
            q.put(big);
            assertArrayEquals(big, q.poll(Duration.ofSeconds(10)));
        }
    }

    /** Overwrites the length of the empty array that ends a call's arguments, just before its long. */
    private static void patchLastArrayLength(byte[] stream, int length) {
        // the call ends: the array's length (4 bytes), then block data holding the three longs (0x77 0x18 + 24 bytes)
        int at = stream.length - 26 - 4;
        stream[at] = (byte) (length >>> 24);
        stream[at + 1] = (byte) (length >>> 16);
        stream[at + 2] = (byte) (length >>> 8);
        stream[at + 3] = (byte) length;
    }

    private static void assertRejectedByFilter(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.io.InvalidClassException && String.valueOf(t.getMessage()).contains("REJECTED")) {
                return;
            }
        }
        throw new AssertionError("expected a filter rejection", e);
    }

    static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private QueueClient connect() {
        return QueueClient.connect("127.0.0.1", server.port(), KEY);
    }

    private void assertStillServing() throws Exception {
        try (QueueClient client = connect()) {
            DistributedQueue<String> q = client.queue("tasks");
            q.put("still here");
            assertEquals("still here", q.poll(Duration.ofSeconds(5)));
        }
    }

}
