package io.rmiq.server.python;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Requests on the Python port: real sockets on 127.0.0.1, a peer that declares much and sends little. */
class FramesTest {

    private final ExecutorService readers = Executors.newCachedThreadPool();
    private ServerSocket listener;

    @AfterEach
    void close() throws Exception {
        readers.shutdownNow();
        if (listener != null) {
            listener.close();
        }
    }

    /** A connected pair: the peer's end, and the server's end. */
    private Socket[] pair() throws Exception {
        if (listener == null) {
            listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        }
        Socket peer = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        return new Socket[] {peer, listener.accept()};
    }

    private static byte[] header(int n) {
        return new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
    }

    private CompletableFuture<byte[]> read(Socket server, long millis, Frames.Budget budget) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return Frames.readRequest(new DataInputStream(new BufferedInputStream(server.getInputStream())), server,
                        32 << 20, millis, budget);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, readers);
    }

    @Test
    void aDeclaredLength_holdsOnlyWhatHasArrived() throws Exception {
        Frames.Budget budget = new Frames.Budget(1L << 30);
        Socket[] s = pair();
        OutputStream out = s[0].getOutputStream();
        out.write(header(16 << 20));
        out.write(new byte[1000]);
        out.flush();
        CompletableFuture<byte[]> reading = read(s[1], 60_000, budget);
        await().atMost(Duration.ofSeconds(10)).until(() -> budget.used() > 0);
        assertEquals(64 * 1024, budget.used(), "the first chunk, not the 16 MiB declared");
        s[0].close();
        assertThrows(Exception.class, () -> reading.get(10, TimeUnit.SECONDS));
        assertEquals(0, budget.used(), "given back when the read ends");
    }

    @Test
    void aRequestThatTrickles_isCutAtItsDeadline() throws Exception {
        Socket[] s = pair();
        OutputStream out = s[0].getOutputStream();
        out.write(header(1000));
        out.write(new byte[10]);
        out.flush();
        CompletableFuture<byte[]> reading = read(s[1], 300, new Frames.Budget(1L << 30));
        Exception e = assertThrows(Exception.class, () -> reading.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof Frames.Refused && e.getCause().getMessage().contains("did not arrive within 310 ms")
                && e.getCause().getMessage().contains("10 came"), String.valueOf(e.getCause()));
    }

    @Test
    void requestsBeyondTheSharedBudget_areRefused_andAWholeOneIsRead() throws Exception {
        Frames.Budget budget = new Frames.Budget(100 * 1024);
        Socket[] first = pair();
        first[0].getOutputStream().write(header(1 << 20));
        CompletableFuture<byte[]> holding = read(first[1], 60_000, budget);
        await().atMost(Duration.ofSeconds(10)).until(() -> budget.used() == 64 * 1024);
        Socket[] second = pair();
        second[0].getOutputStream().write(header(1 << 20));
        Exception e = assertThrows(Exception.class, () -> read(second[1], 60_000, budget).get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof Frames.Refused && e.getCause().getMessage().contains("does not fit"),
                String.valueOf(e.getCause()));
        first[0].close();
        assertThrows(Exception.class, () -> holding.get(10, TimeUnit.SECONDS));
        // With the budget free again, a whole request of several chunks arrives intact.
        Socket[] third = pair();
        byte[] body = new byte[90 * 1024];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) i;
        }
        CompletableFuture<byte[]> whole = read(third[1], 60_000, new Frames.Budget(1L << 20));
        third[0].getOutputStream().write(header(body.length));
        third[0].getOutputStream().write(body);
        assertArrayEquals(body, whole.get(10, TimeUnit.SECONDS));
    }
}
