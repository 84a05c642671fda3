package io.rmiq.server.transport;

import io.rmiq.api.internal.RateLimitedLog;
import io.rmiq.server.admission.ConnectionLimits;
import io.rmiq.server.admission.Handshakes;
import io.rmiq.server.admission.PeerGuard;
import io.rmiq.transport.Handshake;
import io.rmiq.transport.HandshakeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>Handshakes run in RMI's connection threads, each within an absolute deadline from accept (the
 * handshake timeout), so a peer that connects and stays silent or trickles delays nobody else; how
 * many may be under way at once is bounded, in all and per network (see {@link Handshakes}).
 *
 * <p>One instance serves the registry and every exported object, which is what makes RMI put them
 * all on one port: RMI shares a listening socket between exports whose factories are equal, and
 * identity is the equality wanted here.
 */
public final class AuthServerSocketFactory implements RMIServerSocketFactory {

    private static final Logger log = LoggerFactory.getLogger(AuthServerSocketFactory.class);
    /** Handshakes under way at once, from everyone: each holds an RMI thread for at most the handshake timeout. */
    public static final int MAX_HANDSHAKES = 256;
    /** Refusals and failed handshakes a peer can cause as fast as it connects: this many lines per 10 s. */
    private final RateLimitedLog rejections = new RateLimitedLog(20, java.time.Duration.ofSeconds(10));

    private final InetAddress bind;
    private final byte[] key;
    private final byte[] realm;
    private final int handshakeTimeoutMs;
    private final SSLContext tls;
    private final ConnectionLimits limits;
    private final Handshakes handshakes;
    private final AtomicLong authFailures = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicInteger serverSockets = new AtomicInteger();
    private final Set<PendingSocket> open = ConcurrentHashMap.newKeySet();
    private final PeerGuard peers;
    private volatile int localPort = -1;

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
        this.peers = new PeerGuard(limits);
        this.handshakes = new Handshakes(MAX_HANDSHAKES, handshakeTimeoutMs, peers);
    }

    /** Handshakes under way now on this port. */
    public int handshakesUnderWay() {
        return handshakes.underWay();
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
        AuthServerSocket socket = new AuthServerSocket(port);
        serverSockets.incrementAndGet();
        localPort = socket.getLocalPort();
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

    /** The per-address bookkeeping, for the server's other ports to share. */
    public PeerGuard peers() {
        return peers;
    }

    /** Listening sockets this factory has opened: one, when everything shares the port. */
    public int serverSocketsOpened() {
        return serverSockets.get();
    }

    /**
     * A listening socket whose {@code accept()} runs in RMI's accept thread: it applies the limits,
     * sends the greeting, and hands RMI a {@link PendingSocket}, whose handshake then runs in the
     * connection's own RMI thread. No thread hand-off of ours lies on a connection's path.
     */
    private final class AuthServerSocket extends ServerSocket {

        AuthServerSocket(int port) throws IOException {
            super(port, 128, bind);
        }

        @Override
        public Socket accept() throws IOException {
            while (true) {
                Socket raw;
                try {
                    raw = super.accept();
                } catch (SecurityException e) {
                    // A Security Manager policy that does not admit this address. Handled here: in RMI's
                    // accept loop ten such failures within 10 s would stop accepting for everyone for 10 s.
                    log.warn("refused a connection the security policy does not admit: {}", e.getMessage());
                    continue;
                }
                Handshakes.Pending handshake;
                try {
                    handshake = handshakes.admit(raw);
                } catch (Handshakes.Refused e) {
                    refuse(raw, e.getMessage());
                    continue;
                }
                // Counted here, in the one accept thread, over connections still in their handshake
                // too: counting only finished handshakes would let a burst past the limit.
                open.removeIf(Socket::isClosed);
                boolean full = open.size() >= limits.maxConnections();
                byte[] serverNonce = null;
                if (tls == null) {
                    // Greet from here: over TLS the greeting has to wait for the TLS handshake.
                    serverNonce = admitAndGreet(raw, full);
                    if (serverNonce == null) {
                        handshake.end(Handshakes.Outcome.FAILED);
                        continue;
                    }
                }
                byte[] nonce = serverNonce;
                PendingSocket socket = new PendingSocket(raw, r -> authenticate(r, nonce, full, handshake), s -> {
                    handshake.end(Handshakes.Outcome.FAILED); // closed before its handshake ran: RMI gave up on it
                    open.remove(s);
                });
                open.add(socket);
                return socket;
            }
        }

        /**
         * Refuses the connection if a limit says so, else sends the greeting.
         *
         * @return the server nonce, or null if the connection was refused or is gone (and closed)
         */
        private byte[] admitAndGreet(Socket socket, boolean full) {
            InetAddress from = socket.getInetAddress();
            long wait = peers.backoffLeft(from);
            if (wait > 0) {
                refuse(socket, "too many failed authentications from " + from.getHostAddress()
                        + "; try again in " + ((wait + 999) / 1000) + " s");
                return null;
            }
            if (full) {
                refuse(socket, "the server has its maximum of " + limits.maxConnections()
                        + " connections open (--max-connections)");
                return null;
            }
            try {
                socket.setTcpNoDelay(true);
                return Handshake.greet(socket, realm);
            } catch (IOException e) {
                log.debug("connection from {} failed before the handshake: {}", peer(socket), e.toString());
                closeQuietly(socket);
                return null;
            }
        }

        /**
         * Runs the handshake, in the connection's RMI thread, within the handshake timeout.
         *
         * @return the socket RMI is to use (the TLS one with TLS)
         * @throws IOException if the connection is refused or fails; it is logged here
         */
        private Socket authenticate(Socket raw, byte[] greeted, boolean full, Handshakes.Pending handshake)
                throws IOException {
            String peer = peer(raw);
            Socket socket = raw;
            try {
                // Each read within the time left; the deadline's timer closes the socket at the end anyway.
                raw.setSoTimeout((int) Math.max(1, handshakes.deadlineMillis() - handshake.ageMillis()));
                byte[] serverNonce = greeted;
                if (tls != null) {
                    raw.setTcpNoDelay(true);
                    socket = startTls(raw, peer);
                    serverNonce = admitAndGreet(socket, full);
                    if (serverNonce == null) {
                        throw new SocketException("refused");
                    }
                }
                Handshake.server(socket, key, realm, serverNonce, peer);
                if (handshake.outcome() != Handshakes.Outcome.RUNNING) {
                    throw new SocketException("the handshake ran out of time");
                }
                handshake.end(Handshakes.Outcome.AUTHENTICATED);
                accepted.incrementAndGet();
                log.debug("authenticated connection from {}", peer);
                return socket;
            } catch (HandshakeException e) {
                // A wrong key counts towards the back-off: scanners and health checks that open and close
                // the port are not guessing keys. (Counted before the total, which tests watch.)
                long wait = handshake.end(e.reason() == HandshakeException.Reason.WRONG_KEY
                        ? Handshakes.Outcome.WRONG_KEY : Handshakes.Outcome.FAILED);
                authFailures.incrementAndGet();
                reject(peer, e.getMessage(), wait);
                closeQuietly(socket);
                throw e;
            } catch (IOException e) {
                boolean slow = e instanceof java.net.SocketTimeoutException
                        || handshake.outcome() == Handshakes.Outcome.TIMED_OUT;
                handshake.end(slow ? Handshakes.Outcome.TIMED_OUT : Handshakes.Outcome.FAILED); // a no-op if the timer ended it
                Handshakes.Outcome how = handshake.outcome();
                if (how == Handshakes.Outcome.TIMED_OUT) {
                    authFailures.incrementAndGet();
                    reject(peer, "the handshake did not finish within " + handshakes.deadlineMillis()
                            + " ms of connecting (--handshake-timeout)", peers.backoffLeft(raw.getInetAddress()));
                } else if (how == Handshakes.Outcome.EVICTED) {
                    reject(peer, "its handshake was cut after " + handshake.ageMillis() + " ms to make room: "
                            + MAX_HANDSHAKES + " handshakes were under way", 0);
                } else {
                    log.debug("connection from {} failed during the handshake: {}", peer, e.toString());
                }
                closeQuietly(socket);
                throw e;
            }
        }

        private void reject(String peer, String why, long wait) {
            rejections.log("rejected connections", suffix -> log.warn("rejected connection from {}: {}{}{}", peer, why,
                    wait > 0 ? "; refusing that address for " + wait + " ms" : "", suffix));
        }

        /**
         * Starts TLS on an accepted socket, after a look at its first byte so that a plaintext rmiq
         * client is told what is wrong instead of getting a TLS error it cannot explain.
         *
         * @throws IOException if the connection was refused (and closed)
         */
        private Socket startTls(Socket raw, String peer) throws IOException {
            int first = raw.getInputStream().read();
            if (first != Handshake.TLS_HANDSHAKE_RECORD) {
                if (first >= 0) {
                    authFailures.incrementAndGet();
                    log.warn("rejected connection from {}: {}", peer, first == 'R'
                            ? "a plaintext rmiq client, but this server requires TLS"
                            : "not a TLS handshake (first byte " + String.format("%02x", first) + ")");
                    Handshake.refuse(raw, Handshake.Refusal.TLS, "this rmiq server requires TLS: give the client "
                            + "--tls-truststore FILE and its password");
                    drain(raw);
                }
                throw new SocketException("not a TLS client");
            }
            SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(raw,
                    new ByteArrayInputStream(new byte[] {(byte) first}), true);
            ssl.setUseClientMode(false);
            io.rmiq.transport.Tls.restrict(ssl);
            try {
                ssl.startHandshake();
            } catch (SSLException e) {
                authFailures.incrementAndGet();
                reject(peer, "TLS handshake failed: " + e.getMessage(), 0);
                closeQuietly(ssl);
                throw e;
            }
            return ssl;
        }

        /** Refuses a connection with a reason the client can show; over TLS only once TLS is up. */
        private void refuse(Socket socket, String why) {
            String peer = peer(socket);
            rejections.log("refusals and rejections", suffix -> log.warn("refused connection from {}: {}{}", peer, why, suffix));
            if (tls == null || socket instanceof SSLSocket) {
                Handshake.refuse(socket, Handshake.Refusal.LIMIT, why);
                drain(socket);
            }
            closeQuietly(socket);
        }
    }

    /**
     * Reads what the peer has already sent, without waiting: closing a socket with unread input
     * makes the kernel reset the connection, and the reset can overtake the refusal just written.
     */
    private static void drain(Socket s) {
        try {
            java.io.InputStream in = s.getInputStream();
            for (int n; (n = in.available()) > 0; ) {
                in.skipNBytes(Math.min(n, 64 * 1024));
            }
        } catch (IOException ignored) {
            // gone already: nothing to protect
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
