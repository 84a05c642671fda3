package io.rmiq.transport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.util.Collections;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS settings from PKCS12 files, the way server.jar, client.jar and embedding programs read them.
 *
 * <p>The server presents the key and certificate of its keystore; the client trusts exactly the
 * certificates in its truststore. Host names are not checked: LAN servers are often reached by
 * address, and the authkey handshake that runs inside TLS already proves the server holds the key.
 * So put only your servers' certificates (or your own CA's) in the truststore.
 */
public final class Tls {

    /** The environment variable a TLS password may come from when no password file is given. */
    public static final String PASSWORD_ENV = "RMIQ_TLS_PASSWORD";

    private Tls() {
    }

    /**
     * Limits a connection to TLS 1.3 and 1.2 with authenticated encryption (AES-GCM, ChaCha20-Poly1305):
     * the JDK still enables TLS 1.2's CBC suites with SHA-1 MACs, which rmiq's two ends never need.
     */
    public static void restrict(javax.net.ssl.SSLSocket socket) {
        java.util.List<String> protocols = new java.util.ArrayList<>();
        for (String p : socket.getEnabledProtocols()) {
            if (p.equals("TLSv1.3") || p.equals("TLSv1.2")) {
                protocols.add(p);
            }
        }
        java.util.List<String> suites = new java.util.ArrayList<>();
        for (String c : socket.getEnabledCipherSuites()) {
            if (c.contains("_GCM_") || c.contains("CHACHA20_POLY1305")) {
                suites.add(c);
            }
        }
        socket.setEnabledProtocols(protocols.toArray(new String[0]));
        socket.setEnabledCipherSuites(suites.toArray(new String[0]));
    }

    /**
     * A server context presenting the (single) key entry of a PKCS12 keystore.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static SSLContext server(Path keystore, char[] password) throws IOException {
        KeyStore ks = load(keystore, password, "keystore");
        try {
            boolean hasKey = false;
            for (String alias : Collections.list(ks.aliases())) {
                hasKey |= ks.isKeyEntry(alias);
            }
            if (!hasKey) {
                throw new IOException("TLS keystore " + keystore + " holds no private key: make it with "
                        + "keytool -genkeypair (see the README's Security section)");
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return context;
        } catch (UnrecoverableKeyException e) {
            throw new IOException("TLS keystore " + keystore + ": the key's password differs from the keystore's", e);
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS keystore " + keystore + " cannot be used: " + e.getMessage(), e);
        }
    }

    /**
     * A client context trusting the certificates of a PKCS12 truststore and nothing else.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static SSLContext client(Path truststore, char[] password) throws IOException {
        KeyStore ks = load(truststore, password, "truststore");
        try {
            if (ks.size() == 0) {
                throw new IOException("TLS truststore " + truststore + " holds no certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS truststore " + truststore + " cannot be used: " + e.getMessage(), e);
        }
    }

    /**
     * The password in a file (its first line), else in {@value #PASSWORD_ENV}.
     *
     * @param file the password file, or null to use the environment
     * @throws IOException if neither gives a password
     */
    public static char[] password(Path file) throws IOException {
        if (file != null) {
            try {
                String text = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (text.isEmpty()) {
                    throw new IOException("TLS password file " + file + " is empty");
                }
                Authkeys.checkPrivate(file, "TLS password file");
                return text.lines().findFirst().orElseThrow().toCharArray();
            } catch (NoSuchFileException e) {
                throw new IOException("TLS password file " + file + " does not exist", e);
            }
        }
        String env = System.getenv(PASSWORD_ENV);
        if (env == null || env.isEmpty()) {
            throw new IOException("a TLS password is needed: give --tls-password-file FILE or set " + PASSWORD_ENV);
        }
        return env.toCharArray();
    }

    private static KeyStore load(Path file, char[] password, String what) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            return ks;
        } catch (NoSuchFileException e) {
            throw new IOException("TLS " + what + " " + file + " does not exist", e);
        } catch (IOException e) {
            // PKCS12 reports a wrong password as an IOException caused by UnrecoverableKeyException.
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new IOException("TLS " + what + " " + file + ": wrong password", e);
            }
            throw new IOException("TLS " + what + " " + file + " is not a readable PKCS12 file: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS " + what + " " + file + " cannot be read: " + e.getMessage(), e);
        }
    }
}
