package io.rmiq.cli;

import io.rmiq.client.QueueClient;
import io.rmiq.transport.Authkeys;
import io.rmiq.transport.Tls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Option;

/** The connection options every command shares, with their environment-variable fallbacks. */
final class Connection {

    static final Path DEFAULT_KEY_FILE = Path.of("rmiq-data", "authkey");

    @Option(names = "--host", paramLabel = "HOST[:PORT],...", description = "Server host, or a comma-separated list of servers that share one store, tried in order; an item without a port takes --port (default: $RMIQ_HOST, else localhost).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", description = "Server port (default: $RMIQ_PORT, else 1099).")
    Integer port;

    @Option(names = "--authkey-file", paramLabel = "FILE", description = "File holding the authkey (default: $RMIQ_AUTHKEY, else $RMIQ_AUTHKEY_FILE, else ./rmiq-data/authkey).")
    Path authkeyFile;

    @Option(names = "--allow", paramLabel = "PATTERN", description = "Extra payload classes this client may deserialize; repeatable.")
    List<String> allow = new ArrayList<>();

    @Option(names = "--connect-timeout", paramLabel = "SECONDS", description = "How long opening a connection may take (default: ${DEFAULT-VALUE}).")
    double connectTimeout = 5;

    @Option(names = "--read-timeout", paramLabel = "SECONDS", description = "How long one call may wait for the server's answer; more than 5 (default: ${DEFAULT-VALUE}).")
    double readTimeout = 15;

    @Option(names = "--reconnect-timeout", paramLabel = "SECONDS", description = "How long calls keep trying to reach a lost server (or the next of --host) before failing; 0 fails at once (default: ${DEFAULT-VALUE}).")
    double reconnectTimeout = 60;

    @Option(names = "--tls-truststore", paramLabel = "FILE", description = "Connect with TLS, trusting the certificates in this PKCS12 file (default: $RMIQ_TLS_TRUSTSTORE, else plaintext).")
    Path tlsTruststore;

    @Option(names = "--tls-password-file", paramLabel = "FILE", description = "File whose first line is the truststore's password (default: $RMIQ_TLS_PASSWORD).")
    Path tlsPasswordFile;

    private static final Map<String, String> env = System.getenv();

    QueueClient connect() {
        if (!(reconnectTimeout >= 0) || reconnectTimeout > 86_400) {
            throw new UsageException("--reconnect-timeout must be a number of seconds between 0 and 86400, got "
                    + reconnectTimeout);
        }
        QueueClient.Builder b = QueueClient.builder(servers()).authkey(authkey())
                .reconnectTimeout(java.time.Duration.ofMillis(Math.round(reconnectTimeout * 1000)))
                .connectTimeout(seconds(connectTimeout, "--connect-timeout"))
                .readTimeout(seconds(readTimeout, "--read-timeout"));
        allow.forEach(b::allow);
        SSLContext tls = tls();
        if (tls != null) {
            b.tls(tls);
        }
        return b.connect();
    }

    /** Gives a child process (a worker the bench starts) the same TLS settings, through its environment. */
    void passTls(ProcessBuilder pb) {
        if (tlsTruststore != null) {
            pb.environment().put("RMIQ_TLS_TRUSTSTORE", tlsTruststore.toAbsolutePath().toString());
        }
        if (tlsPasswordFile != null) {
            try {
                pb.environment().put(Tls.PASSWORD_ENV, new String(Tls.password(tlsPasswordFile)));
            } catch (IOException e) {
                throw new UsageException(e.getMessage());
            }
        }
    }

    /** The TLS context the options ask for, or null for plaintext. */
    SSLContext tls() {
        Path store = tlsTruststore;
        if (store == null && env.get("RMIQ_TLS_TRUSTSTORE") != null && !env.get("RMIQ_TLS_TRUSTSTORE").isBlank()) {
            store = Path.of(env.get("RMIQ_TLS_TRUSTSTORE").strip());
        }
        if (store == null) {
            if (tlsPasswordFile != null) {
                throw new UsageException("--tls-password-file needs --tls-truststore");
            }
            return null;
        }
        try {
            return Tls.client(store, Tls.password(tlsPasswordFile));
        } catch (IOException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static java.time.Duration seconds(double value, String flag) {
        if (!(value > 0) || value > 3_600) {
            throw new UsageException(flag + " must be a number of seconds between 0 and 3600, got " + value);
        }
        return java.time.Duration.ofMillis(Math.round(value * 1000));
    }

    String host() {
        return host != null ? host : env.getOrDefault("RMIQ_HOST", "localhost");
    }

    /** The servers of --host (or $RMIQ_HOST): HOST, HOST:PORT, [V6]:PORT, comma-separated. */
    List<java.net.InetSocketAddress> servers() {
        String spec = host();
        String from = host != null ? "--host" : "RMIQ_HOST";
        List<java.net.InetSocketAddress> out = new ArrayList<>();
        for (String item : spec.split(",", -1)) {
            String it = item.strip();
            if (it.isEmpty()) {
                throw new UsageException(from + " has an empty item: '" + spec + "'");
            }
            String h = it;
            int p = -1;
            if (it.startsWith("[")) {
                int end = it.indexOf(']');
                if (end < 0) {
                    throw new UsageException(from + ": '" + it + "' opens [ without closing it");
                }
                h = it.substring(1, end);
                String rest = it.substring(end + 1);
                if (rest.startsWith(":")) {
                    p = parsePort(rest.substring(1), from, it);
                } else if (!rest.isEmpty()) {
                    throw new UsageException(from + ": '" + it + "' is not HOST, HOST:PORT or [IPV6]:PORT");
                }
            } else if (it.indexOf(':') >= 0 && it.indexOf(':') == it.lastIndexOf(':')) {
                h = it.substring(0, it.indexOf(':'));
                p = parsePort(it.substring(it.indexOf(':') + 1), from, it);
            }
            if (h.isEmpty()) {
                throw new UsageException(from + ": '" + it + "' has no host");
            }
            out.add(java.net.InetSocketAddress.createUnresolved(h, p < 0 ? port() : p));
        }
        return out;
    }

    private static int parsePort(String text, String from, String item) {
        try {
            int p = Integer.parseInt(text.strip());
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new UsageException(from + ": '" + item + "' has no port number 1..65535 after ':'");
    }

    int port() {
        if (port != null) {
            return port;
        }
        String p = env.get("RMIQ_PORT");
        if (p == null || p.isBlank()) {
            return 1099;
        }
        try {
            return Integer.parseInt(p.strip());
        } catch (NumberFormatException e) {
            throw new UsageException("RMIQ_PORT is not a port number: '" + p + "'");
        }
    }

    byte[] authkey() {
        if (authkeyFile != null) {
            return read(authkeyFile, "--authkey-file");
        }
        String key = env.get("RMIQ_AUTHKEY");
        if (key != null && !key.isBlank()) {
            try {
                return Authkeys.strong(Authkeys.fromText(key), "RMIQ_AUTHKEY");
            } catch (IOException e) {
                throw new UsageException(e.getMessage());
            }
        }
        String file = env.get("RMIQ_AUTHKEY_FILE");
        if (file != null && !file.isBlank()) {
            return read(Path.of(file.strip()), "RMIQ_AUTHKEY_FILE");
        }
        if (Files.isReadable(DEFAULT_KEY_FILE)) {
            return read(DEFAULT_KEY_FILE, "the default key file");
        }
        throw new UsageException("no authkey: give --authkey-file FILE or set RMIQ_AUTHKEY or RMIQ_AUTHKEY_FILE "
                + "(a server started without one stores its generated key in rmiq-data/authkey)");
    }

    private static byte[] read(Path file, String from) {
        try {
            return Authkeys.strong(Authkeys.readFile(file), from);
        } catch (IOException e) {
            throw new UsageException("cannot use the authkey file given by " + from + ": " + e.getMessage());
        }
    }

    /** A mistake in how the command was called: exit code 2. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
