package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DistributedQueue;
import io.rmiq.server.QueueServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A put whose connection drops after the server stored it, before the reply reaches the client, is
 * retried by the client and stored once. The drop is injected by a relay between client and server
 * that, when armed, cuts the connection instead of forwarding the server's next reply.
 */
class IdempotentPutTest {

    static final String KEY = "idempotent-put-test-key";
    private QueueServer server;
    private CuttingRelay relay;
    private QueueClient client;

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (relay != null) {
            relay.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** Relays 127.0.0.2:PORT to 127.0.0.1:PORT; armed, it drops the next server-to-client bytes and cuts. */
    static final class CuttingRelay implements AutoCloseable {
        final ServerSocket listener;
        final AtomicBoolean armed = new AtomicBoolean();
        final AtomicInteger cuts = new AtomicInteger();
        final List<Socket> sockets = new CopyOnWriteArrayList<>();

        CuttingRelay(int port) throws IOException {
            listener = new ServerSocket();
            listener.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), port));
            Thread t = new Thread(this::accept, "relay-accept");
            t.setDaemon(true);
            t.start();
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket c = listener.accept();
                    Socket s = new Socket(InetAddress.getByName("127.0.0.1"), listener.getLocalPort());
                    sockets.add(c);
                    sockets.add(s);
                    pump(c, s, false);
                    pump(s, c, true);
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void pump(Socket from, Socket to, boolean reply) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[65536];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        if (reply && armed.compareAndSet(true, false)) {
                            cuts.incrementAndGet();
                            from.close();
                            to.close();
                            return;
                        }
                        out.write(buf, 0, n);
                        out.flush();
                    }
                } catch (IOException e) {
                    // cut or closed
                } finally {
                    try {
                        from.close();
                        to.close();
                    } catch (IOException e) {
                        // closing anyway
                    }
                }
            }, "relay-pump");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void aPutWhoseReplyIsLost_isRetried_andStoredOnce() throws Exception {
        int port = RideThroughTest.freePort();
        // The server advertises the relay's address in its stubs, so every call goes through it.
        server = QueueServer.builder().port(port).bind("127.0.0.1").advertiseHost("127.0.0.2").authkey(KEY)
                .queue("tasks").start();
        relay = new CuttingRelay(port);
        client = QueueClient.builder("127.0.0.2", port).authkey(KEY).reconnectTimeout(Duration.ofSeconds(20)).connect();
        DistributedQueue<String> tasks = client.queue("tasks");
        tasks.put("warm"); // the connection the put will use is open and pooled
        assertEquals("warm", tasks.get());

        relay.armed.set(true);
        tasks.put("once");
        assertEquals(1, relay.cuts.get(), "the reply of the put was cut");
        assertEquals(1, server.<String>queue("tasks").size(), "the retried put was stored once");

        relay.armed.set(true);
        tasks.putAll(List.of("b1", "b2", "b3"));
        assertEquals(2, relay.cuts.get());
        assertEquals(List.of("once", "b1", "b2", "b3"), server.<String>queue("tasks").take(10, Duration.ZERO));
        assertTrue(relay.cuts.get() >= 2);
    }
}
