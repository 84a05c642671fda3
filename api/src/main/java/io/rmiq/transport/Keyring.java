package io.rmiq.transport;

import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLSocketFactory;

/**
 * The client-local store of authkeys, one per rmiq server instance (realm).
 *
 * <p>Why it exists: the client socket factory travels inside every stub the server hands out, so it
 * must not carry the key. It carries only the server's realm id and looks the key up here. The
 * connect call fills the keyring: its bootstrap connection learns the realm the server announces,
 * once both sides have proved the key.
 */
public final class Keyring {

    /**
     * A key and the socket settings that go with it. Timeouts in milliseconds, 0 = none; {@code tls}
     * null for plaintext connections.
     */
    public record Entry(byte[] key, int connectTimeoutMs, int handshakeTimeoutMs, int readTimeoutMs,
                        SSLSocketFactory tls) {
        public Entry {
            key = key.clone();
        }

        /** A plaintext entry. */
        public Entry(byte[] key, int connectTimeoutMs, int handshakeTimeoutMs, int readTimeoutMs) {
            this(key, connectTimeoutMs, handshakeTimeoutMs, readTimeoutMs, null);
        }

        @Override
        public byte[] key() {
            return key.clone();
        }

        @Override
        public String toString() {
            return "Entry[key=<hidden>, connectTimeoutMs=" + connectTimeoutMs + ", handshakeTimeoutMs="
                    + handshakeTimeoutMs + ", readTimeoutMs=" + readTimeoutMs + ", tls=" + (tls != null) + "]";
        }
    }

    private static final Map<String, Entry> ENTRIES = new ConcurrentHashMap<>();

    private Keyring() {
    }

    static Entry get(String realm) {
        return ENTRIES.get(realm);
    }

    static void put(String realm, Entry entry) {
        ENTRIES.put(realm, entry);
    }

    /** Learns a server's realm; an entry already there is kept, so a server cannot swap it out. */
    static void learn(String realm, Entry entry) {
        ENTRIES.putIfAbsent(realm, entry);
    }

    /** Forgets a realm, e.g. a bootstrap entry whose connect call has finished. */
    static void forget(String realm) {
        ENTRIES.remove(realm);
    }

    static String hex(byte[] realm) {
        return HexFormat.of().formatHex(realm);
    }
}
