package io.rmiq.server.transport;

import io.rmiq.transport.Handshake;
import io.rmiq.transport.HandshakeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.rmi.server.RMIServerSocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
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
    private final SSLContext tls;
    private final ConnectionLimits limits;
    private final ThreadPoolExecutor handshakes;
    private final AtomicLong authFailures = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicInteger serverSockets = new AtomicInteger();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Map<InetAddress, Peer> peers = new ConcurrentHashMap<>();
    private volatile int localPort = -1;

    /** What the server remembers about one address: handshakes under way and wrong keys in a row. */
    private static final class Peer {
        // Changed only inside the map's compute calls; read outside them, hence volatile.
        volatile int handshaking;
        volatile int failures;
        volatile long blockedUntil;
    }

    /** A plaintext factory with the default limits. */
    public AuthServerSocketFactory(InetAddress bind, byte[] key, byte[] realm, int handshakeTimeoutMs) {
        this(bind, key, realm, handshakeTimeoutMs, null, ConnectionLimits.DEFAULTS);
    }

    /**
     * @param bind the address to listen on, or null for all interfaces
     * @param tls  the server's TLS context, or null for plaintext; with it, the rmiq handshake and
     *             everything after it run inside TLS
     */
    public AuthServerSocketFactory(InetAddress bind, byte[] key, byte[] realm, int handshakeTimeoutMs,
                                   SSLContext tls, ConnectionLimits limits) {
        this.bind = bind;
        this.key = key.clone();
        this.realm = realm.clone();
        this.handshakeTimeoutMs = handshakeTimeoutMs;
        this.tls = tls;
        this.limits = limits;
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

    /** Connections turned away by a limit or a back-off since start. */
    public long refused() {
        return refused.get();
    }

    /** Authenticated connections open now. */
    public int openConnections() {
        open.removeIf(Socket::isClosed);
        return open.size();
    }

    /** Whether connections run inside TLS. */
    public boolean tls() {
        return tls != null;
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
                InetAddress from = raw.getInetAddress();
                if (!startHandshake(from)) {
                    refuse(raw, "more than " + limits.maxUnauthenticatedPerPeer() + " connections from "
                            + from.getHostAddress() + " are still in the handshake");
                    continue;
                }
                try {
                    handshakes.execute(() -> {
                        try {
                            authenticate(raw);
                        } finally {
                            endHandshake(from);
                        }
                    });
                } catch (RejectedExecutionException e) {
                    endHandshake(from);
                    refuse(raw, MAX_HANDSHAKES + " handshakes are already in progress; try again shortly");
                }
            }
        }

        private void authenticate(Socket raw) {
            String peer = peer(raw);
            Socket socket = raw;
            try {
                raw.setTcpNoDelay(true);
                raw.setSoTimeout(handshakeTimeoutMs);
                if (tls != null) {
                    socket = startTls(raw, peer);
                    if (socket == null) {
                        return;
                    }
                }
                long wait = backoffLeft(raw.getInetAddress());
                if (wait > 0) {
                    refuse(socket, "too many failed authentications from " + raw.getInetAddress().getHostAddress()
                            + "; try again in " + ((wait + 999) / 1000) + " s");
                    return;
                }
                if (openConnections() >= limits.maxConnections()) {
                    refuse(socket, "the server has its maximum of " + limits.maxConnections()
                            + " connections open (--max-connections)");
                    return;
                }
                Handshake.server(socket, key, realm, peer);
                socket.setSoTimeout(0);
                authenticated(raw.getInetAddress());
                accepted.incrementAndGet();
                open.add(socket);
                ready.add(socket);
                log.debug("authenticated connection from {}", peer);
                if (isClosed()) {
                    closeQuietly(socket);
                }
            } catch (HandshakeException e) {
                authFailures.incrementAndGet();
                // Only a wrong key counts towards the back-off: scanners and health checks that open
                // and close the port are not guessing keys.
                long wait = e.reason() == HandshakeException.Reason.WRONG_KEY ? failed(raw.getInetAddress()) : 0;
                log.warn("rejected connection from {}: {}{}", peer, e.getMessage(),
                        wait > 0 ? "; refusing that address for " + wait + " ms" : "");
                closeQuietly(socket);
            } catch (IOException e) {
                log.debug("connection from {} failed during the handshake: {}", peer, e.toString());
                closeQuietly(socket);
            }
        }

        /**
         * Starts TLS on an accepted socket, after a look at its first byte so that a plaintext rmiq
         * client is told what is wrong instead of getting a TLS error it cannot explain.
         *
         * @return the TLS socket, or null if the connection was refused (and closed)
         */
        private Socket startTls(Socket raw, String peer) throws IOException {
            int first;
            try {
                first = raw.getInputStream().read();
            } catch (SocketTimeoutException e) {
                log.debug("connection from {} sent nothing within the handshake timeout", peer);
                closeQuietly(raw);
                return null;
            }
            if (first != Handshake.TLS_HANDSHAKE_RECORD) {
                if (first >= 0) {
                    authFailures.incrementAndGet();
                    log.warn("rejected connection from {}: {}", peer, first == 'R'
                            ? "a plaintext rmiq client, but this server requires TLS"
                            : "not a TLS handshake (first byte " + String.format("%02x", first) + ")");
                    Handshake.refuse(raw, Handshake.Refusal.TLS, "this rmiq server requires TLS: give the client "
                            + "--tls-truststore FILE and its password");
                }
                closeQuietly(raw);
                return null;
            }
            SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(raw,
                    new ByteArrayInputStream(new byte[] {(byte) first}), true);
            ssl.setUseClientMode(false);
            try {
                ssl.startHandshake();
            } catch (SSLException e) {
                authFailures.incrementAndGet();
                log.warn("rejected connection from {}: TLS handshake failed: {}", peer, e.getMessage());
                closeQuietly(ssl);
                return null;
            }
            return ssl;
        }

        /** Refuses a connection with a reason the client can show; over TLS only once TLS is up. */
        private void refuse(Socket socket, String why) {
            refused.incrementAndGet();
            log.warn("refused connection from {}: {}", peer(socket), why);
            if (tls == null || socket instanceof SSLSocket) {
                Handshake.refuse(socket, Handshake.Refusal.LIMIT, why);
            }
            closeQuietly(socket);
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

    private boolean startHandshake(InetAddress from) {
        boolean[] ok = {false};
        peers.compute(from, (a, p) -> {
            Peer q = p == null ? new Peer() : p;
            if (q.handshaking < limits.maxUnauthenticatedPerPeer()) {
                q.handshaking++;
                ok[0] = true;
            }
            return q;
        });
        return ok[0];
    }

    private void endHandshake(InetAddress from) {
        // Forget an address with nothing under way and nothing held against it, so the map stays small.
        peers.computeIfPresent(from, (a, p) -> {
            p.handshaking--;
            return p.handshaking == 0 && p.failures == 0 ? null : p;
        });
    }

    private long backoffLeft(InetAddress from) {
        Peer p = peers.get(from);
        if (p == null) {
            return 0;
        }
        return Math.max(0, p.blockedUntil - System.currentTimeMillis());
    }

    /** Counts a wrong key from an address; returns how long that address must now wait. */
    private long failed(InetAddress from) {
        long[] wait = {0};
        peers.compute(from, (a, p) -> {
            Peer q = p == null ? new Peer() : p;
            q.failures++;
            wait[0] = limits.backoffMillis(q.failures);
            q.blockedUntil = System.currentTimeMillis() + wait[0];
            return q;
        });
        return wait[0];
    }

    private void authenticated(InetAddress from) {
        peers.computeIfPresent(from, (a, p) -> {
            p.failures = 0;
            p.blockedUntil = 0;
            return p;
        });
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
