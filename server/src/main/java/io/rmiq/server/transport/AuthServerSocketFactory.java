package io.rmiq.server.transport;

import io.rmiq.transport.Handshake;
import io.rmiq.transport.HandshakeException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.rmi.server.RMIServerSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server sockets whose {@code accept()} hands RMI only connections that have passed the rmiq
 * handshake. Unauthenticated bytes never reach RMI, and so never reach deserialization.
 *
 * <p>Why a pool: handshakes run on their own bounded threads, so a peer that connects and stays
 * silent delays nobody else's accept; it is cut off at the handshake timeout.
 *
 * <p>One instance serves the registry and every exported object, which is what makes RMI put them
 * all on one port: RMI shares a listening socket between exports whose factories are equal, and
 * identity is the equality wanted here.
 */
public final class AuthServerSocketFactory implements RMIServerSocketFactory {

    private static final Logger log = LoggerFactory.getLogger(AuthServerSocketFactory.class);
    private static final int MAX_HANDSHAKES = 64;

    private final InetAddress bind;
    private final byte[] key;
    private final byte[] realm;
    private final int handshakeTimeoutMs;
    private final ThreadPoolExecutor handshakes;
    private final AtomicLong authFailures = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicInteger serverSockets = new AtomicInteger();
    private volatile int localPort = -1;

    /**
     * @param bind the address to listen on, or null for all interfaces
     */
    public AuthServerSocketFactory(InetAddress bind, byte[] key, byte[] realm, int handshakeTimeoutMs) {
        this.bind = bind;
        this.key = key.clone();
        this.realm = realm.clone();
        this.handshakeTimeoutMs = handshakeTimeoutMs;
        AtomicInteger n = new AtomicInteger();
        this.handshakes = new ThreadPoolExecutor(0, MAX_HANDSHAKES, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "rmiq-handshake-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
        AuthServerSocket socket = new AuthServerSocket(port);
        serverSockets.incrementAndGet();
        localPort = socket.getLocalPort();
        socket.start();
        return socket;
    }

    /** The port the last listening socket was bound to, or -1 before the first. */
    public int localPort() {
        return localPort;
    }

    /** Connections refused for a wrong key or a foreign protocol since start. */
    public long authFailures() {
        return authFailures.get();
    }

    /** Connections that passed the handshake since start. */
    public long accepted() {
        return accepted.get();
    }

    /** Listening sockets this factory has opened: one, when everything shares the port. */
    public int serverSocketsOpened() {
        return serverSockets.get();
    }

    /** Stops the handshake threads; listening sockets are closed by RMI when the last export goes. */
    public void shutdown() {
        handshakes.shutdownNow();
    }

    private final class AuthServerSocket extends ServerSocket {
        private final BlockingQueue<Socket> ready = new LinkedBlockingQueue<>();
        private final Thread acceptor;

        AuthServerSocket(int port) throws IOException {
            super(port, 128, bind);
            acceptor = new Thread(this::acceptLoop, "rmiq-accept-" + getLocalPort());
            acceptor.setDaemon(true);
        }

        void start() {
            acceptor.start();
        }

        private Socket rawAccept() throws IOException {
            return super.accept();
        }

        private void acceptLoop() {
            while (!isClosed()) {
                Socket raw;
                try {
                    raw = rawAccept();
                } catch (IOException | SecurityException e) { // a Security Manager refusing one peer's address
                    if (!isClosed()) {
                        log.warn("accept on port {} failed: {}", getLocalPort(), e.toString());
                    }
                    continue;
                }
                try {
                    handshakes.execute(() -> authenticate(raw));
                } catch (RejectedExecutionException e) {
                    log.warn("refused connection from {}: {} handshakes already in progress",
                            peer(raw), MAX_HANDSHAKES);
                    closeQuietly(raw);
                }
            }
        }

        private void authenticate(Socket raw) {
            String peer = peer(raw);
            try {
                raw.setTcpNoDelay(true);
                raw.setSoTimeout(handshakeTimeoutMs);
                Handshake.server(raw, key, realm, peer);
                raw.setSoTimeout(0);
                accepted.incrementAndGet();
                ready.add(raw);
                log.debug("authenticated connection from {}", peer);
                if (isClosed()) {
                    closeQuietly(raw);
                }
            } catch (HandshakeException e) {
                authFailures.incrementAndGet();
                log.warn("rejected connection from {}: {}", peer, e.getMessage());
                closeQuietly(raw);
            } catch (IOException e) {
                log.debug("connection from {} failed during the handshake: {}", peer, e.toString());
                closeQuietly(raw);
            }
        }

        @Override
        public Socket accept() throws IOException {
            try {
                while (true) {
                    Socket s = ready.poll(500, TimeUnit.MILLISECONDS);
                    if (s != null) {
                        return s;
                    }
                    if (isClosed()) {
                        throw new SocketException("rmiq server socket closed");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SocketException("interrupted while accepting");
            }
        }

        @Override
        public void close() throws IOException {
            super.close();
            // null while ServerSocket's constructor closes a socket it could not bind
            for (Socket s; ready != null && (s = ready.poll()) != null; ) {
                closeQuietly(s);
            }
        }
    }

    private static String peer(Socket s) {
        return s.getInetAddress().getHostAddress() + ":" + s.getPort();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do: the peer is gone either way
        }
    }
}
