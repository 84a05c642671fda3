package io.rmiq.transport;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The mutual challenge-response that every rmiq connection runs before RMI sees the socket.
 *
 * <pre>
 * client -> server   "RMQ1"                                 (as soon as it connects)
 * server -> client   "RMQ1" realm[16] serverNonce[32]       (as soon as it accepts)
 * client -> server   clientNonce[32] HMAC-SHA256(key, "rmiq-client" clientNonce serverNonce realm)
 * server -> client   0x00 HMAC-SHA256(key, "rmiq-server" clientNonce serverNonce realm)
 *                or  0x01 (wrong key), then close
 * </pre>
 *
 * The key never crosses the wire; fresh nonces from both sides make every proof single-use. The
 * client proves first, so a stranger on the port learns nothing it could test keys against offline.
 * The realm names the server instance so that a client can pick the key for a stub it was handed.
 * Both sides speak first, without waiting for the other, so that the greeting costs no round trip
 * and no server thread hand-off: the server's accept thread writes it (see {@link #greet}).
 *
 * Instead of its greeting the server may send a refusal and close: {@code "RMQE" code[1] length[2]
 * message[length]} (UTF-8), e.g. when a connection limit is reached or when it requires TLS and the
 * client spoke plaintext. A refusal carries no secret and is sent before the key is proved.
 */
public final class Handshake {

    static final byte[] MAGIC = {'R', 'M', 'Q', '1'};
    static final byte[] REFUSAL = {'R', 'M', 'Q', 'E'};
    private static final int MAX_REFUSAL_TEXT = 1024;
    static final int NONCE = 32;
    static final int MAC = 32;
    /** Length of a realm id in bytes. */
    public static final int REALM = 16;
    private static final byte OK = 0;
    private static final byte WRONG_KEY = 1;

    private static final SecureRandom RANDOM = new SecureRandom();

    private Handshake() {
    }

    /** Fresh random bytes, for nonces, realms and generated keys. */
    public static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /**
     * Runs the client side on a connected socket, within its current SO_TIMEOUT.
     *
     * @return the realm the server announced, once both sides have proved the key
     * @throws HandshakeException if the server is not rmiq, rejects the key, or fails to prove it
     */
    public static byte[] client(Socket socket, KeyLookup keys, String peer) throws IOException {
        try {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            out.write(MAGIC);
            out.flush();

            byte[] magic = readFully(in, MAGIC.length, peer, "its greeting");
            if (Arrays.equals(magic, REFUSAL)) {
                throw refusal(in, peer);
            }
            if (!Arrays.equals(magic, MAGIC)) {
                throw new HandshakeException(HandshakeException.Reason.NOT_RMIQ,
                        peer + " did not answer the rmiq handshake (not an rmiq server, or a TLS mismatch)");
            }
            byte[] realm = readFully(in, REALM, peer, "its greeting");
            byte[] serverNonce = readFully(in, NONCE, peer, "its greeting");
            byte[] key = keys.keyFor(realm);
            byte[] clientNonce = random(NONCE);
            out.write(concat(clientNonce, mac(key, "rmiq-client", clientNonce, serverNonce, realm)));
            out.flush();

            byte[] verdict = readFully(in, 1, peer, "its verdict");
            if (verdict[0] == WRONG_KEY) {
                throw new HandshakeException(HandshakeException.Reason.WRONG_KEY,
                        "rmiq server at " + peer + " rejected the authkey");
            }
            byte[] proof = readFully(in, MAC, peer, "its proof");
            if (verdict[0] != OK
                    || !MessageDigest.isEqual(proof, mac(key, "rmiq-server", clientNonce, serverNonce, realm))) {
                throw new HandshakeException(HandshakeException.Reason.WRONG_KEY,
                        "server at " + peer + " could not prove it holds the authkey");
            }
            return realm;
        } catch (SocketTimeoutException e) {
            throw new HandshakeException(HandshakeException.Reason.TIMEOUT,
                    "rmiq handshake with " + peer + " timed out", e);
        }
    }

    /**
     * Sends the server's greeting, at once on accept, before the client has said anything.
     *
     * @return the server nonce, for {@link #server}
     */
    public static byte[] greet(Socket socket, byte[] realm) throws IOException {
        byte[] serverNonce = random(NONCE);
        OutputStream out = socket.getOutputStream();
        out.write(concat(MAGIC, realm, serverNonce));
        out.flush();
        return serverNonce;
    }

    /**
     * Runs the rest of the server side on a greeted socket, within its current SO_TIMEOUT.
     *
     * @throws HandshakeException if the peer is not rmiq, is too slow, or proves a different key;
     *                            the socket should then be closed
     */
    public static void server(Socket socket, byte[] key, byte[] realm, byte[] serverNonce, String peer)
            throws IOException {
        try {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            // The magic alone first, so that garbage is dropped at once rather than at the timeout.
            byte[] magic = readFully(in, MAGIC.length, peer, "a greeting");
            if (magic[0] == TLS_HANDSHAKE_RECORD && magic[1] == 3) {
                throw new HandshakeException(HandshakeException.Reason.TLS,
                        "a TLS client, but this server has no --tls-keystore");
            }
            if (!Arrays.equals(magic, MAGIC)) {
                throw new HandshakeException(HandshakeException.Reason.NOT_RMIQ,
                        "not an rmiq handshake (first bytes " + printable(magic) + ")");
            }
            byte[] clientNonce = readFully(in, NONCE, peer, "a nonce");
            byte[] proof = readFully(in, MAC, peer, "a proof");
            if (!MessageDigest.isEqual(proof, mac(key, "rmiq-client", clientNonce, serverNonce, realm))) {
                out.write(WRONG_KEY);
                out.flush();
                throw new HandshakeException(HandshakeException.Reason.WRONG_KEY, "wrong authkey");
            }
            out.write(concat(new byte[] {OK}, mac(key, "rmiq-server", clientNonce, serverNonce, realm)));
            out.flush();
        } catch (SocketTimeoutException e) {
            throw new HandshakeException(HandshakeException.Reason.TIMEOUT, "handshake timed out", e);
        }
    }

    /** Both server steps in a row: {@link #greet}, then {@link #server}. */
    public static void server(Socket socket, byte[] key, byte[] realm, String peer) throws IOException {
        server(socket, key, realm, greet(socket, realm), peer);
    }

    /** The first byte of a TLS ClientHello: a handshake record. */
    public static final byte TLS_HANDSHAKE_RECORD = 0x16;

    /** Why a server turns a connection away before the handshake. */
    public enum Refusal {
        /** A limit of the server's was reached; trying later may work. */
        LIMIT(HandshakeException.Reason.REFUSED),
        /** The two sides disagree about TLS. */
        TLS(HandshakeException.Reason.TLS);

        final HandshakeException.Reason reason;

        Refusal(HandshakeException.Reason reason) {
            this.reason = reason;
        }
    }

    /**
     * Tells the peer, in place of the greeting, why its connection is refused; best effort, since the
     * caller closes the socket next either way. Never blocks for long: the text is short and the socket
     * is fresh, so the write fits the socket's send buffer.
     */
    public static void refuse(Socket socket, Refusal why, String message) {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(text.length, MAX_REFUSAL_TEXT);
        byte[] frame = concat(REFUSAL, new byte[] {(byte) why.ordinal(), (byte) (n >>> 8), (byte) n},
                Arrays.copyOf(text, n));
        try {
            OutputStream out = socket.getOutputStream();
            out.write(frame);
            out.flush();
        } catch (IOException ignored) {
            // the peer is gone or not listening: it learns nothing, and the socket is closed next
        }
    }

    private static HandshakeException refusal(InputStream in, String peer) throws IOException {
        byte[] head = readFully(in, 3, peer, "its refusal");
        int n = Math.min(((head[1] & 0xff) << 8) | (head[2] & 0xff), MAX_REFUSAL_TEXT);
        String text = new String(readFully(in, n, peer, "its refusal"), StandardCharsets.UTF_8);
        Refusal[] all = Refusal.values();
        HandshakeException.Reason reason = head[0] >= 0 && head[0] < all.length
                ? all[head[0]].reason : HandshakeException.Reason.REFUSED;
        return new HandshakeException(reason, "rmiq server at " + peer + " refused the connection: " + text);
    }

    /** HMAC-SHA256 of a label and the parts, under the key. */
    static byte[] mac(byte[] key, String label, byte[]... parts) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(label.getBytes(StandardCharsets.US_ASCII));
            for (byte[] p : parts) {
                mac.update(p);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    private static byte[] readFully(InputStream in, int n, String peer, String what) throws IOException {
        byte[] b = new byte[n];
        try {
            new DataInputStream(in).readFully(b);
        } catch (EOFException e) {
            throw new HandshakeException(HandshakeException.Reason.NOT_RMIQ,
                    peer + " closed the connection before sending " + what, e);
        }
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] all = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    private static String printable(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(b.length, 8); i++) {
            s.append(String.format("%02x", b[i] & 0xff));
        }
        return s.toString();
    }

    /** Where the client side finds the key for the realm a server announces. */
    @FunctionalInterface
    public interface KeyLookup {
        byte[] keyFor(byte[] realm) throws HandshakeException;
    }
}
