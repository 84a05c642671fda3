package io.rmiq.server.python;

import io.rmiq.server.store.QueueStore;
import io.rmiq.server.store.Store;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays a CPython queue proxy against the Python endpoint once, at start: the same requests, byte for
 * byte, over a loopback socket, through the same code as a real client's. Why: the JVM compiles that
 * path only once it has run it thousands of times, so without this a Python client's first seconds
 * were up to 10 % slower than through CPython's own manager (which has nothing to warm up).
 *
 * <p>It touches no user data: the connection is served against a private queue that no client can
 * name, built as the served ones are (the same journal, in a directory of its own that is deleted
 * afterwards), so that what the JVM compiles for it still fits when real clients come. The connection
 * never reaches the Python port, so it needs no authkey.
 */
public final class WarmUp {

    private static final Logger log = LoggerFactory.getLogger(WarmUp.class);
    public static final String QUEUE = "warmup";
    /**
     * Put/get pairs: past the JIT's thresholds for compiling the hot path fully. C2 wants about
     * 15,000 calls of a method, and the request's own put and get run once per pair: with 12,000
     * pairs, C2 compiled them (and the queue's store and take) during the first real client's
     * requests instead, and that client ran at 0.44-0.95x of CPython's manager on a busy machine.
     */
    static final int PAIRS = 48_000;
    /** At most this long, however slow the machine (48,000 pairs took 3.5 s on an idle 2-core one). */
    static final long MAX_MILLIS = 8_000;

    /** Makes a scratch queue ({@link Store#scratch}); one at a time. */
    @FunctionalInterface
    public interface Scratches {
        Store.Scratch open(String name) throws IOException;
    }

    /** Serves one connection as the endpoint serves an authenticated one, against the given queues. */
    @FunctionalInterface
    interface Server {
        void serve(Socket socket, Map<String, QueueStore> queues) throws IOException;
    }

    private WarmUp() {
    }

    /**
     * Runs the warm-up on a daemon thread; the endpoint serves clients meanwhile.
     *
     * @return completed with the pairs done
     */
    static CompletableFuture<Integer> start(Server server, Scratches scratches) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                done.complete(run(server, scratches, PAIRS, MAX_MILLIS));
            } catch (RuntimeException | Error e) {
                log.warn("the python warm-up failed; python clients are served all the same", e);
                done.completeExceptionally(e);
            }
        }, "rmiq-python-warmup");
        t.setDaemon(true);
        t.start();
        return done;
    }

    /**
     * Runs {@link #ROUNDS} rounds, each on a connection and a scratch queue (and name) of its own:
     * what each new client brings the first time (a new connection, a new journal, a name not seen
     * yet) is then seen while the JVM still watches, instead of undoing its compiled code later.
     *
     * @return the put/get pairs done
     */
    static int run(Server server, Scratches scratches, int pairs, long maxMillis) {
        int done = 0;
        long start = System.nanoTime();
        long end = start + TimeUnit.MILLISECONDS.toNanos(maxMillis);
        try {
            for (int round = 1; round <= ROUNDS && System.nanoTime() - end < 0; round++) {
                String name = round == 1 ? QUEUE : QUEUE + "-" + round;
                done += round(server, scratches, name, pairs / ROUNDS, end);
            }
        } catch (IOException | SecurityException e) {
            // A Security Manager policy that does not let the server connect to itself: no warm-up, then.
            log.debug("python warm-up ended after {} pairs: {}", done, e.toString());
        }
        log.debug("python warm-up: {} put/get pairs in {} ms", done, (System.nanoTime() - start) / 1_000_000);
        return done;
    }

    static final int ROUNDS = 4;

    private static int round(Server server, Scratches scratches, String name, int pairs, long end) throws IOException {
        int done = 0;
        try (Store.Scratch scratch = scratches.open(name);
                ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket client = new Socket()) {
            listener.setSoTimeout(2_000);
            client.connect(listener.getLocalSocketAddress(), 2_000);
            Socket served = listener.accept();
            listener.close();
            if (served.getPort() != client.getLocalPort()) {
                served.close(); // another local process got in first: serve it nothing
                throw new IOException("a connection from another process reached the warm-up's socket");
            }
            Thread serving = new Thread(() -> {
                try {
                    // The same kind of map as the served queues', for the same reason as the journal.
                    server.serve(served, java.util.Collections.unmodifiableMap(
                            new java.util.TreeMap<>(Map.of(name, scratch.queue()))));
                } catch (IOException e) {
                    log.debug("python warm-up connection ended: {}", e.toString());
                }
            }, "rmiq-python-warmup-server");
            serving.setDaemon(true);
            serving.start();
            client.setTcpNoDelay(true);
            client.setSoTimeout(2_000);
            DataOutputStream out = new DataOutputStream(client.getOutputStream());
            DataInputStream in = new DataInputStream(client.getInputStream());
            call(out, in, ACCEPT_CONNECTION);
            byte[] get = get(name);
            for (; done < pairs && System.nanoTime() - end < 0; done++) {
                if (done % 100 == 99) {
                    // Now and then as slowly as a busy client: the server's wait for a request that is late.
                    java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
                }
                call(out, in, put(name, done));
                call(out, in, get);
            }
        }
        return done;
    }

    private static void call(DataOutputStream out, DataInputStream in, byte[] request) throws IOException {
        out.writeInt(request.length);
        out.write(request);
        out.flush();
        int n = in.readInt();
        if (n < 0 || n > 1 << 20) {
            throw new IOException("unexpected reply length " + n);
        }
        byte[] reply = new byte[n];
        in.readFully(reply);
        if (!new String(reply, StandardCharsets.ISO_8859_1).contains("#RETURN")) {
            throw new IOException("the endpoint did not return: "
                    + io.rmiq.server.PeerText.escape(new String(reply, StandardCharsets.ISO_8859_1)));
        }
    }

    /** {@code (None, 'accept_connection', (), {})} as CPython 3.8+ pickles it (protocol 4). */
    static final byte[] ACCEPT_CONNECTION = pickle("(N\u008c\u0011accept_connection\u0094)}\u0094t\u0094.");

    /** {@code (ident, 'get', (), {'timeout': 10})}, as a queue proxy's {@code q.get(timeout=10)}. */
    static byte[] get(String ident) {
        return pickle("(" + str(ident) + "\u008c\u0003get\u0094)}\u0094\u008c\u0007timeout\u0094K\nst\u0094.");
    }

    /** A short ASCII string, memoized, as CPython pickles it. */
    private static String str(String ascii) {
        return "\u008c" + (char) ascii.length() + ascii + "\u0094";
    }

    /**
     * {@code (ident, 'put', (item,), {})}: an int of each of pickle's widths, and now and then a
     * string, so that each of those paths is compiled.
     */
    static byte[] put(String ident, int i) {
        String item = switch (i % 4) {
            case 0 -> "K" + (char) (i & 0xff);
            case 1 -> "M" + (char) ((256 + i) & 0xff) + (char) (((256 + i) >> 8) & 0xff); // i < 65,280
            case 2 -> "J" + le32(1_000_000 + i);
            default -> "\u008c\u0004task\u0094";
        };
        return pickle("(" + str(ident) + "\u008c\u0003put\u0094" + item + "\u0085\u0094}\u0094t\u0094.");
    }

    private static String le32(int v) {
        return new String(new char[] {(char) (v & 0xff), (char) ((v >> 8) & 0xff), (char) ((v >> 16) & 0xff),
                (char) ((v >>> 24) & 0xff)});
    }

    /** Protocol 4's header and one frame around {@code body} (each char one byte). */
    private static byte[] pickle(String body) {
        byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + 11);
        out.write(0x80);
        out.write(4);
        out.write(0x95);
        long n = b.length;
        for (int k = 0; k < 8; k++) {
            out.write((int) (n >> (8 * k)) & 0xff);
        }
        out.write(b, 0, b.length);
        return out.toByteArray();
    }
}
