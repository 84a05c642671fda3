package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rmiq.client.Processes.Proc;
import io.rmiq.client.Processes.ServerProc;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The security review's probe: 300 handshakes from five loopback addresses (127.0.0.2-6), each
 * trickling one byte a second, against a real server.jar. Each is cut at the handshake deadline, an
 * honest client from 127.0.0.1 is served meanwhile, on the RMI port and on the Python port, and the
 * server's threads fall back afterwards.
 */
class SlowPeersProcessIT extends ProcessTestBase {

    static final int SOCKETS = 300;
    static final int DEADLINE_SECONDS = 2;

    /** Keeps {@link #SOCKETS} connections trickling: one byte each per second, a new one for each the server cut. */
    static final class Trickle implements AutoCloseable {
        private final int port;
        private final byte[] bytes;
        private final List<Socket> live = new ArrayList<>();
        private final List<Integer> sent = new ArrayList<>();
        private final List<Long> opened = new ArrayList<>();
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        final AtomicInteger cut = new AtomicInteger();
        /** Connections the server cut after being open longer than the deadline plus a margin. */
        final AtomicInteger lingered = new AtomicInteger();
        private int next;

        Trickle(int port, byte[] bytes) {
            this.port = port;
            this.bytes = bytes;
            for (int i = 0; i < SOCKETS; i++) {
                live.add(null);
                sent.add(0);
                opened.add(0L);
            }
            timer.scheduleWithFixedDelay(this::tick, 0, 1, TimeUnit.SECONDS);
        }

        private synchronized void tick() {
            for (int i = 0; i < SOCKETS; i++) {
                Socket s = live.get(i);
                if (s == null) {
                    s = open();
                    live.set(i, s);
                    sent.set(i, 0);
                    opened.set(i, System.nanoTime());
                    if (s == null) {
                        continue;
                    }
                }
                try {
                    // A closed connection shows up as a failed write, or as the end of what it sends us.
                    while (s.getInputStream().available() > 0) {
                        s.getInputStream().read();
                    }
                    OutputStream out = s.getOutputStream();
                    out.write(bytes[Math.min(sent.get(i), bytes.length - 1)]);
                    out.flush();
                    sent.set(i, sent.get(i) + 1);
                    s.setSoTimeout(1);
                    try {
                        if (s.getInputStream().read() < 0) {
                            throw new IOException("closed by the server");
                        }
                    } catch (java.net.SocketTimeoutException stillOpen) {
                        // still waiting for our next byte, as intended
                    }
                } catch (IOException e) {
                    gone(i, s);
                }
            }
        }

        private void gone(int i, Socket s) {
            cut.incrementAndGet();
            if ((System.nanoTime() - opened.get(i)) / 1_000_000_000 > DEADLINE_SECONDS + 3) {
                lingered.incrementAndGet();
            }
            try {
                s.close();
            } catch (IOException ignored) {
                // gone anyway
            }
            live.set(i, null);
        }

        private Socket open() {
            Socket s = new Socket();
            try {
                s.bind(new InetSocketAddress("127.0.0." + (2 + next++ % 5), 0));
                s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
                return s;
            } catch (IOException e) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // never connected
                }
                return null;
            }
        }

        @Override
        public synchronized void close() throws Exception {
            timer.shutdownNow();
            timer.awaitTermination(10, TimeUnit.SECONDS);
            for (Socket s : live) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }

    static int threads(Proc server) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + server.process.pid() + "/status"))) {
            if (line.startsWith("Threads:")) {
                return Integer.parseInt(line.substring(8).strip());
            }
        }
        throw new AssertionError("no thread count for the server process");
    }

    @Test
    void trickledHandshakes_onTheRmiPort_areCut_whileAnHonestClientIsServed() throws Exception {
        ServerProc server = procs.server(dir, "--handshake-timeout", String.valueOf(DEADLINE_SECONDS));
        honestStats(server);
        await().pollDelay(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(30)).until(() -> true); // idle RMI threads go
        int baseline = threads(server.proc());

        int peak;
        try (Trickle trickle = new Trickle(server.port(), new byte[] {'R', 'M', 'Q', '1', 0})) {
            await().atMost(Duration.ofSeconds(30)).until(() -> trickle.cut.get() >= SOCKETS);
            for (int i = 0; i < 3; i++) {
                long millis = honestStats(server);
                System.out.println("honest client served in " + millis + " ms while " + SOCKETS + " handshakes trickle");
                assertTrue(millis < 5_000, millis + " ms");
            }
            peak = threads(server.proc());
            assertEquals(0, trickle.lingered.get(), "every trickled handshake was cut within its deadline");
        }
        System.out.println("server threads: baseline " + baseline + ", under the trickle " + peak);
        await().atMost(Duration.ofSeconds(60)).until(() -> threads(server.proc()) <= baseline + 5);
    }

    @Test
    void trickledHandshakes_onThePythonPort_areCut_whileAnHonestPythonClientIsServed() throws Exception {
        String python = runs("python3");
        assumeTrue(python != null, "python3 is not on PATH");
        ServerProc server = procs.server(dir, "--python-port", "0", "--handshake-timeout", String.valueOf(DEADLINE_SECONDS));
        String line = server.proc().awaitLine("rmiq python port", LONG);
        int pythonPort = Integer.parseInt(line.substring(line.lastIndexOf(' ') + 1));
        honestPython(python, pythonPort);
        await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30)).until(() -> true);
        int baseline = threads(server.proc());

        int peak;
        // CPython's answer to the challenge is a 4-byte length and then the bytes: sent one a second.
        try (Trickle trickle = new Trickle(pythonPort, new byte[] {0, 0, 0, 48, 'x'})) {
            await().atMost(Duration.ofSeconds(30)).until(() -> trickle.cut.get() >= SOCKETS);
            for (int i = 0; i < 3; i++) {
                String ok = honestPython(python, pythonPort);
                System.out.println("honest python client: " + ok + " while " + SOCKETS + " handshakes trickle");
            }
            peak = threads(server.proc());
            assertEquals(0, trickle.lingered.get(), "every trickled handshake was cut within its deadline");
        }
        System.out.println("server threads: baseline " + baseline + ", under the trickle " + peak);
        assertTrue(peak < baseline + 100, "python handshakes have a cap of their own: " + peak + " threads");
        await().atMost(Duration.ofSeconds(60)).until(() -> threads(server.proc()) <= baseline + 5);
    }

    /** client.jar-like work from this JVM at 127.0.0.1: connect and read stats; returns the milliseconds. */
    private long honestStats(ServerProc server) throws Exception {
        long start = System.nanoTime();
        try (QueueClient c = QueueClient.builder(server.host(), server.port())
                .authkey(Files.readString(dir.resolve("rmiq-data/authkey")).strip())
                .reconnectTimeout(Duration.ZERO).connect()) {
            assertTrue(!c.stats().isEmpty());
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    private String honestPython(String python, int port) throws Exception {
        Proc p = procs.command(dir, List.of(python, "-u", Path.of("src/test/python/probe.py").toAbsolutePath().toString(),
                "127.0.0.1", String.valueOf(port), dir.resolve("rmiq-data/authkey").toString(), "connect-timed"));
        assertEquals(0, p.awaitExit(Duration.ofSeconds(60)), p.all());
        String last = p.out.get(p.out.size() - 1);
        assertTrue(last.startsWith("ok"), p.all());
        double seconds = Double.parseDouble(last.substring(last.lastIndexOf(" in ") + 4, last.length() - 2));
        assertTrue(seconds < 5, last);
        return last;
    }

    private static String runs(String exe) {
        try {
            Process p = new ProcessBuilder(exe, "--version").redirectErrorStream(true).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? exe : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }
}
