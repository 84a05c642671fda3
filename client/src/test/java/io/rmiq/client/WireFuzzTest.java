package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.rmiq.api.DistributedQueue;
import io.rmiq.api.RemoteQueue;
import io.rmiq.serial.CompactCodec;
import io.rmiq.serial.RmiqFilterFactory;
import io.rmiq.server.QueueServer;
import io.rmiq.server.transport.AuthServerSocketFactory;
import io.rmiq.server.admission.ConnectionLimits;
import io.rmiq.transport.AuthClientSocketFactory;
import io.rmiq.transport.Keyring;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Bounded, reproducible fuzzing of the port (fixed seeds, a few thousand cases, each cut off by socket
 * timeouts): random and mutated bytes in place of the handshake, and mutated JRMP after a real one.
 * The server never lets an unproven peer through, never deserializes a class off its list (a
 * {@link Tripwire} rides in many inputs), keeps serving, and its busy threads return to baseline.
 */
class WireFuzzTest {

    static final String KEY = "wire-fuzz-test-key-0123456789abcdef";
    static final byte[] KEY_BYTES = KEY.getBytes(StandardCharsets.UTF_8);
    static final int CASES = 1500;
    /** The server's whole answer to a peer that has not proved the key: greeting, then the verdict. */
    static final int GREETING = 4 + 16 + 32;

    QueueServer server;
    final Logger transportLog = (Logger) LoggerFactory.getLogger(AuthServerSocketFactory.class);
    Level savedLevel;

    @BeforeAll
    static void filterFactory() {
        RmiqFilterFactory.install();
    }

    @BeforeEach
    void start() throws Exception {
        Tripwire.TRIPPED.set(false);
        savedLevel = transportLog.getLevel();
        transportLog.setLevel(Level.ERROR); // one WARN per refused peer would be thousands of lines
        // No back-off: after five wrong keys it would refuse every further case before the handshake.
        server = QueueServer.builder().port(0).bind("127.0.0.1").authkey(KEY)
                .connectionLimits(new ConnectionLimits(1024, 8, 5, 0))
                .handshakeTimeout(Duration.ofSeconds(2)).queue("tasks").start();
    }

    @AfterEach
    void stop() {
        server.close();
        transportLog.setLevel(savedLevel);
    }

    @Test
    void handshake_randomAndMutatedBytes_neverAuthenticate_norDeserialize() throws Exception {
        List<byte[]> seeds = new ArrayList<>(List.of(
                "RMQ1".getBytes(StandardCharsets.US_ASCII),
                concat("RMQ1".getBytes(StandardCharsets.US_ASCII), new byte[32], new byte[32]),
                Gadgets.serialize(new Tripwire()),
                jrmpHeader(),
                concat(jrmpHeader(), new byte[] {0x50}, tripwireCall()),
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        int baseline = busyThreads();
        long failuresBefore = server.authFailures();
        Random random = new Random(20261125);
        java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < CASES; i++) {
                byte[] input = i % 5 == 0 ? randomBytes(random, 200) : mutate(seeds.get(i % seeds.size()), random);
                byte[] answer = rawExchange(input);
                if (startsWith(answer, "RMQE")) {
                    refusals.incrementAndGet(); // a refusal frame (a limit), sent in place of the greeting
                    continue;
                }
                // At most the greeting and a "wrong key" verdict: nothing past the handshake is ever reached.
                assertTrue(answer.length <= GREETING + 1, "case " + i + ": " + answer.length + " bytes back");
                if (answer.length == GREETING + 1) {
                    assertEquals(1, answer[GREETING], "case " + i + ": the verdict must be 'wrong key'");
                }
            }
        });
        assertTrue(refusals.get() < CASES / 10, "most cases should reach the handshake: " + refusals + " refused");
        assertFalse(Tripwire.TRIPPED.get(), "the server deserialized bytes from an unauthenticated peer");
        assertEquals(0, server.stats().stream().mapToLong(s -> s.size()).sum());
        assertTrue(server.authFailures() - failuresBefore > CASES / 2, "the refusals were counted");
        await().atMost(Duration.ofSeconds(30)).until(() -> busyThreads() <= baseline);
        assertStillServing();
    }

    @Test
    void afterTheHandshake_mutatedJrmp_isRefusedOrServed_neverDeserializingForeignClasses() throws Exception {
        var registry = java.rmi.registry.LocateRegistry.getRegistry("127.0.0.1", server.port(),
                AuthClientSocketFactory.bootstrap(new Keyring.Entry(KEY_BYTES, 5_000, 10_000, 30_000)));
        RemoteQueue tasks = (RemoteQueue) registry.lookup("tasks");
        Method offer = RemoteQueue.class.getMethod("offer", byte[].class, long.class, long.class, long.class);
        Method size = RemoteQueue.class.getMethod("size");
        byte[] item = CompactCodec.tryEncode(List.of(1, "two", 3L));
        List<byte[]> seeds = List.of(
                call(Jrmp.call(Jrmp.Target.REGISTRY, Jrmp.REGISTRY_LOOKUP, Jrmp.REGISTRY_HASH,
                        out -> out.writeObject("tasks"))),
                call(Jrmp.call(tasks, size, out -> { })),
                call(Jrmp.call(tasks, offer, out -> {
                    out.writeObject(io.rmiq.api.internal.ItemFrames.of(item, Gadgets.serialize(List.of(1, 2))));
                    out.writeLong(0); // timeout
                    out.writeLong(0); // producer
                    out.writeLong(0); // sequence
                })),
                call(Jrmp.call(tasks, offer, out -> { // the tripwire as a payload: scanned, never read
                    out.writeObject(io.rmiq.api.internal.ItemFrames.of(Gadgets.serialize(new Tripwire())));
                    out.writeLong(0); // timeout
                    out.writeLong(0); // producer
                    out.writeLong(0); // sequence
                })),
                call(tripwireCall(tasks, offer)),
                concat(jrmpHeader(), new byte[] {0x52, 0x52}), // pings
                concat(jrmpHeader(), new byte[] {0x54}, new byte[14])); // a DGC ack for a UID nobody holds
        // Unmutated, the tripwire seeds reach the filter: what keeps the tripwire from firing is the filter.
        assertTrue(Jrmp.text(Jrmp.exchange(server.port(), KEY_BYTES, false, seeds.get(4), 3_000))
                .contains("filter status: REJECTED"));
        int header = jrmpHeader().length;
        int baseline = busyThreads();
        Random random = new Random(4);
        int served = 0;
        int answered = 0;
        long start = System.nanoTime();
        for (int i = 0; i < CASES; i++) {
            byte[] seed = seeds.get(i % seeds.size());
            int keep = random.nextInt(5) == 0 ? 0 : header; // mostly past the header, to reach RMI's readers
            byte[] input = i % 10 == 0 ? randomBytes(random, 300) : concat(java.util.Arrays.copyOf(seed, keep),
                    mutate(java.util.Arrays.copyOfRange(seed, keep, seed.length), random));
            byte[] answer = Jrmp.exchange(server.port(), KEY_BYTES, false, input, 3_000);
            byte[] reply = answer.length > 0 && answer[0] == 0x4e ? stripAck(answer) : new byte[0];
            if (reply.length > 0 && reply[0] == 0x51) { // ReturnData: RMI read the call far enough to answer it
                answered++;
            }
            if (Jrmp.returnedNormally(reply)) {
                served++;
            }
        }
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(60).toNanos(), "fuzzing took too long");
        // Else the mutations only ever broke the framing, and the readers behind it went untested.
        assertTrue(answered > CASES / 5 && served > 0, "answered " + answered + ", served " + served);
        assertFalse(Tripwire.TRIPPED.get(), "the server deserialized a class that is not on its allow list");
        await().atMost(Duration.ofSeconds(30)).until(() -> busyThreads() <= baseline);
        assertStillServing();
    }

    /** The JRMP stream-protocol header and the client's endpoint, which the server reads after its ack. */
    static byte[] jrmpHeader() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeInt(0x4a524d49);
        out.writeShort(2);
        out.writeByte(0x4b);
        out.writeUTF("127.0.0.1");
        out.writeInt(0);
        return b.toByteArray();
    }

    static byte[] call(byte[] body) throws IOException {
        return concat(jrmpHeader(), new byte[] {0x50}, body);
    }

    /** A registry lookup whose name is a tripwire. */
    static byte[] tripwireCall() throws IOException {
        return Jrmp.call(Jrmp.Target.REGISTRY, Jrmp.REGISTRY_LOOKUP, Jrmp.REGISTRY_HASH,
                out -> out.writeObject(new Tripwire()));
    }

    /** An offer whose items frame is a list holding a tripwire. */
    static byte[] tripwireCall(RemoteQueue tasks, Method offer) throws IOException {
        return Jrmp.call(tasks, offer, out -> {
            out.writeObject(new ArrayList<>(List.of(new Tripwire())));
            out.writeLong(0); // timeout
            out.writeLong(0); // producer
            out.writeLong(0); // sequence
        });
    }

    /** The answer without the ProtocolAck and the endpoint the server echoes (UTF host, int port). */
    static byte[] stripAck(byte[] answer) {
        if (answer.length < 3) {
            return new byte[0];
        }
        int hostLength = (answer[1] & 0xff) << 8 | answer[2] & 0xff;
        int from = 3 + hostLength + 4;
        return from >= answer.length ? new byte[0] : java.util.Arrays.copyOfRange(answer, from, answer.length);
    }

    static boolean startsWith(byte[] answer, String ascii) {
        byte[] prefix = ascii.getBytes(StandardCharsets.US_ASCII);
        return answer.length >= prefix.length
                && java.util.Arrays.equals(answer, 0, prefix.length, prefix, 0, prefix.length);
    }

    static byte[] mutate(byte[] seed, Random r) {
        byte[] b = seed.clone();
        int[] interesting = {0, 0xff, 0x7f, 0x80, 0x70, 0x71, 0x73, 0x75, 0x77, 0x7a};
        for (int n = 1 + r.nextInt(r.nextBoolean() ? 1 : 4); n > 0; n--) {
            int at = b.length == 0 ? 0 : r.nextInt(b.length);
            switch (r.nextInt(6)) {
                case 0 -> {
                    if (b.length > 0) {
                        b[at] ^= (byte) (1 << r.nextInt(8));
                    }
                }
                case 1 -> {
                    if (b.length > 0) {
                        b[at] = (byte) interesting[r.nextInt(interesting.length)];
                    }
                }
                case 2 -> b = java.util.Arrays.copyOf(b, at);
                case 3 -> b = concat(java.util.Arrays.copyOf(b, at), randomBytes(r, 16),
                        java.util.Arrays.copyOfRange(b, at, b.length));
                case 4 -> b = concat(java.util.Arrays.copyOf(b, at),
                        java.util.Arrays.copyOfRange(b, Math.min(b.length, at + 1 + r.nextInt(16)), b.length));
                default -> {
                    int[] ints = {0x7fffffff, 0xffffffff, 0x00010000, 0, 0x7ffffff0};
                    int v = ints[r.nextInt(ints.length)];
                    for (int k = 0; k < 4 && at + k < b.length; k++) {
                        b[at + k] = (byte) (v >>> (24 - 8 * k));
                    }
                }
            }
        }
        return b;
    }

    static byte[] randomBytes(Random r, int max) {
        byte[] b = new byte[r.nextInt(max + 1)];
        r.nextBytes(b);
        return b;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    /** Sends bytes to the port with no handshake of ours, half-closes, and returns what came back. */
    private byte[] rawExchange(byte[] input) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5_000);
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            try {
                s.getOutputStream().write(input);
                s.shutdownOutput();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[256];
                for (int n; (n = in.read(buf)) > 0; ) {
                    answer.write(buf, 0, n);
                }
            } catch (java.net.SocketException closed) {
                // the server closed first: a refusal like any other
            }
            return answer.toByteArray();
        }
    }

    /**
     * Threads serving a connection now: RMI's connection threads not back in their pool (RMI renames
     * those "(idle)"), and handshake threads not waiting for work.
     */
    static int busyThreads() {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String name = t.getName();
            if (name.startsWith("RMI TCP Connection(") && !name.contains("(idle)")
                    || name.startsWith("rmiq-handshake-") && t.getState() == Thread.State.RUNNABLE) {
                n++;
            }
        }
        return n;
    }

    private void assertStillServing() throws InterruptedException {
        try (QueueClient client = QueueClient.connect("127.0.0.1", server.port(), KEY)) {
            DistributedQueue<String> q = client.queue("tasks");
            int before = q.size(); // served fuzz cases may have left items
            q.put("still here");
            assertEquals(before + 1, q.size());
        }
    }
}
