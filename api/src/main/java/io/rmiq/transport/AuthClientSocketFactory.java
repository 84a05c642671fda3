package io.rmiq.transport;

import java.io.IOException;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.rmi.server.RMIClientSocketFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Opens authenticated connections to one rmiq server instance. Serialized inside every stub, so its
 * only state is the server's realm id: the key comes from the client-local {@link Keyring}.
 *
 * <p>Instances are equal when their realms are, which lets RMI share connections between all stubs of
 * one server, and lets the server export everything on one port.
 */
public final class AuthClientSocketFactory implements RMIClientSocketFactory, Serializable {
    private static final long serialVersionUID = 1L;
    private static final String BOOTSTRAP = "bootstrap-";

    private final String realm;
    /** Connections a bootstrap factory opened, closed by {@link #release}; never serialized. */
    private final transient List<Socket> opened = new ArrayList<>();

    private AuthClientSocketFactory(String realm) {
        this.realm = Objects.requireNonNull(realm, "realm");
    }

    /** The factory a server puts in its stubs. */
    public static AuthClientSocketFactory forRealm(byte[] realm) {
        return new AuthClientSocketFactory(Keyring.hex(realm));
    }

    /**
     * A factory for the first contact with a server whose realm is not known yet: its connections
     * use {@code entry}, and teach the keyring the realm the server announces.
     */
    public static AuthClientSocketFactory bootstrap(Keyring.Entry entry) {
        String id = BOOTSTRAP + Keyring.hex(Handshake.random(8));
        Keyring.put(id, entry);
        return new AuthClientSocketFactory(id);
    }

    /**
     * Drops a bootstrap factory's entry once the stubs it fetched are in hand, and closes the
     * connections it opened: RMI would keep them idle for a while, each holding a server thread,
     * though nothing will use them again.
     */
    public void release() {
        if (realm.startsWith(BOOTSTRAP)) {
            Keyring.forget(realm);
            List<Socket> mine;
            synchronized (this) {
                mine = new ArrayList<>(opened);
                opened.clear();
            }
            for (Socket s : mine) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing is all that was wanted
                }
            }
        }
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        String peer = host + ":" + port;
        Keyring.Entry entry = Keyring.get(realm);
        if (entry == null) {
            throw new HandshakeException(HandshakeException.Reason.NO_KEY,
                    "no authkey known for the rmiq server at " + peer
                            + "; reach it through QueueClient.connect in this JVM");
        }
        Socket plain = new Socket();
        Socket socket = plain;
        try {
            socket.setTcpNoDelay(true);
            socket.setKeepAlive(true);
            socket.connect(new InetSocketAddress(host, port), entry.connectTimeoutMs());
            socket.setSoTimeout(entry.handshakeTimeoutMs());
            if (entry.tls() != null) {
                socket = startTls(socket, entry.tls(), host, port, peer);
            }
            boolean bootstrap = realm.startsWith(BOOTSTRAP);
            byte[] announced = Handshake.client(socket, r -> {
                if (!bootstrap && !Keyring.hex(r).equals(realm)) {
                    throw new HandshakeException(HandshakeException.Reason.RESTARTED,
                            "the rmiq server at " + peer + " is not the instance this client was "
                                    + "connected to (it restarted); connect again");
                }
                return entry.key();
            }, peer);
            if (bootstrap) {
                Keyring.learn(Keyring.hex(announced), entry);
            }
            socket.setSoTimeout(entry.readTimeoutMs());
            Socket connection = new ClientSocket(socket, plain);
            if (bootstrap) {
                synchronized (this) {
                    opened.add(connection);
                }
            }
            return connection;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Runs the TLS handshake on a connected socket; the rmiq handshake then runs inside it. */
    private static Socket startTls(Socket plain, SSLSocketFactory tls, String host, int port, String peer)
            throws IOException {
        SSLSocket ssl = (SSLSocket) tls.createSocket(plain, host, port, true);
        try {
            ssl.setUseClientMode(true);
            Tls.restrict(ssl);
            ssl.startHandshake();
            return ssl;
        } catch (SocketTimeoutException e) {
            ssl.close();
            throw new HandshakeException(HandshakeException.Reason.TIMEOUT,
                    "TLS handshake with " + peer + " timed out", e);
        } catch (SSLException e) {
            ssl.close();
            throw new HandshakeException(HandshakeException.Reason.TLS, tlsFailure(e, peer), e);
        }
    }

    /** Says what a failed TLS handshake most likely means, in the user's terms. */
    private static String tlsFailure(SSLException e, String peer) {
        String m = String.valueOf(e.getMessage());
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.security.cert.CertPathBuilderException
                    || c instanceof java.security.cert.CertificateException) {
                return "the rmiq server at " + peer + " presented a certificate that the TLS truststore does not "
                        + "trust (" + m + ")";
            }
        }
        if (m.contains("Unsupported or unrecognized SSL message")) {
            return "the rmiq server at " + peer + " does not use TLS: connect without --tls-truststore, "
                    + "or start the server with --tls-keystore";
        }
        return "TLS handshake with the rmiq server at " + peer + " failed: " + m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthClientSocketFactory f && f.realm.equals(realm);
    }

    @Override
    public int hashCode() {
        return realm.hashCode();
    }

    @Override
    public String toString() {
        return "AuthClientSocketFactory[" + realm + "]";
    }
}
