package io.rmiq.server;

import io.rmiq.server.journal.FileJournal;
import io.rmiq.server.store.nats.NatsStore;
import io.rmiq.server.queue.QueueConfig;
import io.rmiq.server.admission.ConnectionLimits;
import io.rmiq.transport.Authkeys;
import io.rmiq.transport.Tls;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar server.jar}: runs a {@link QueueServer} as a process until SIGTERM or Ctrl-C. */
@Command(name = "server.jar", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Runs an rmiq queue server: an RMI registry and its queues on one authenticated TCP port.",
            "Prints 'rmiq listening on HOST:PORT' on standard output once clients can connect",
            "(and then 'rmiq python port PORT' with --python-port).",
            "The authkey (16 bytes or more) comes from --authkey-file (readable by its owner only), else the "
                    + "RMIQ_AUTHKEY environment variable, else the file 'authkey' in the data directory, which is "
                    + "generated (owner-only) when missing."},
        footer = {"", "--config FILE holds any of these flags, one per line, as the flag without its dashes;",
            "a flag on the command line wins over the file. For example:",
            "  port = 1099",
            "  data-dir = /var/lib/rmiq/data",
            "  queue = tasks results:10000,lease=60",
            "  http-port = 9090",
            "  fsync = always"})
public final class Main implements Callable<Integer> {

    @Option(names = "--port", paramLabel = "PORT", description = "TCP port for the registry, the queues and DGC; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = 1099;

    @Option(names = "--bind", paramLabel = "ADDR", description = "Local address to listen on (default: all interfaces).")
    String bind;

    @Option(names = "--advertise-host", paramLabel = "HOST", description = "Host or address clients are told to connect to (default: the --bind address, else this machine's first non-loopback address).")
    String advertiseHost;

    @Option(names = ConfigFile.FLAG, paramLabel = "FILE", description = "Read flags from this .properties file first (see below).")
    Path config; // read before parsing, by ConfigFile: here for --help

    @Option(names = "--authkey-file", paramLabel = "FILE", description = "File holding the shared authkey.")
    Path authkeyFile;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Directory for the server's files (default: ${DEFAULT-VALUE}).")
    Path dataDir = Path.of("rmiq-data");

    @Option(names = "--store", paramLabel = "embedded|nats://HOST:PORT[,...]", description = "Where the queues live: 'embedded' keeps them in this server (memory plus the journal in --data-dir); nats://n1:4222,n2:4222,n3:4222 keeps them on a NATS JetStream cluster, which several rmiq servers may share (default: ${DEFAULT-VALUE}).")
    String store = "embedded";

    @Option(names = "--replicas", paramLabel = "N", description = "With a NATS store: copies of each queue's stream, 1 to 5 (default: 3 when the cluster has three or more servers, else 1).")
    Integer replicas;

    @Option(names = "--nats-creds", paramLabel = "FILE", description = "With a NATS store: the .creds file (user JWT and NKey seed) this server connects with.")
    Path natsCreds;

    @Option(names = "--nats-tls-truststore", paramLabel = "FILE", description = "With a NATS store: connect over TLS, trusting the CA certificates in this PKCS12 file (a tls:// URL alone trusts the JVM's default CAs).")
    Path natsTlsTruststore;

    @Option(names = "--nats-tls-keystore", paramLabel = "FILE", description = "With a NATS store: present the key and certificate in this PKCS12 file (for NATS servers that verify clients).")
    Path natsTlsKeystore;

    @Option(names = "--nats-tls-password-file", paramLabel = "FILE", description = "File whose first line is the password of --nats-tls-truststore and --nats-tls-keystore (default: $RMIQ_TLS_PASSWORD).")
    Path natsTlsPasswordFile;

    @Option(names = "--queue", paramLabel = "NAME[:CAPACITY][,lease=SECONDS][,max-attempts=N]", description = "A queue to serve, optionally bounded, with its own lease time and attempts; repeatable. 'tasks' and 'results' are always served, unbounded unless given here. Each queue NAME also gets its dead-letter queue NAME.dead.")
    List<String> queues = new ArrayList<>();

    @Option(names = "--lease", paramLabel = "SECONDS", description = "How long a received task stays invisible without an ack or an extension, for queues that do not say (default: ${DEFAULT-VALUE}).")
    double leaseSeconds = QueueConfig.DEFAULT_LEASE_MILLIS / 1000.0;

    @Option(names = "--max-attempts", paramLabel = "N", description = "Deliveries before a task moves to NAME.dead, for queues that do not say (default: ${DEFAULT-VALUE}).")
    int maxAttempts = QueueConfig.DEFAULT_MAX_ATTEMPTS;

    @Option(names = "--fsync", paramLabel = "always|interval|never", description = "When the journal reaches the disk: before each put returns (always, with group commit), at least every 100 ms (interval), or when the OS decides (never). Every policy writes a put to the journal file before it returns, so it survives kill -9 (default: ${DEFAULT-VALUE}).")
    String fsync = "interval";

    @Option(names = "--max-memory", paramLabel = "SIZE", description = "Heap all queues together may hold (payloads plus about 100 bytes a task), e.g. 512m or 2g; beyond it producers wait as on a full queue (default: half the JVM's maximum heap).")
    String maxMemory;

    @Option(names = "--session-timeout", paramLabel = "SECONDS", description = "How long a client may go silent before its leased tasks go back to their queues (default: ${DEFAULT-VALUE}).")
    double sessionTimeoutSeconds = 10;

    @Option(names = "--allow", paramLabel = "PATTERN", description = "Extra payload classes allowed to deserialize: com.example.Point, com.example.* or com.example.**; repeatable.")
    List<String> allow = new ArrayList<>();

    @Option(names = "--http-port", paramLabel = "PORT", description = "Serve a status page, /metrics (Prometheus) and /health on this port; 0 picks a free one (default: off).")
    Integer httpPort;

    @Option(names = "--http-bind", paramLabel = "ADDR", description = "Address the HTTP port listens on (default: ${DEFAULT-VALUE}, this machine only).")
    String httpBind = "127.0.0.1";

    @Option(names = "--python-port", paramLabel = "PORT", description = "Also serve Python multiprocessing.managers clients (BaseManager.connect()) on this port, with the same authkey; get_NAME_queue is queue NAME (get_task_queue is 'tasks'); 0 picks a free one (default: off).")
    Integer pythonPort;

    @Option(names = "--python-bind", paramLabel = "ADDR", description = "Address the Python port listens on (default: the --bind address, else all interfaces).")
    String pythonBind;

    @Option(names = "--tls-keystore", paramLabel = "FILE", description = "Run every connection inside TLS, with the key and certificate in this PKCS12 file; clients then need --tls-truststore (default: plaintext).")
    Path tlsKeystore;

    @Option(names = "--tls-password-file", paramLabel = "FILE", description = "File whose first line is the keystore's password (default: $RMIQ_TLS_PASSWORD).")
    Path tlsPasswordFile;

    @Option(names = "--handshake-timeout", paramLabel = "SECONDS", description = "How long a new connection may take to authenticate, counted from accept; a timer then closes it (default: ${DEFAULT-VALUE}).")
    double handshakeTimeoutSeconds = 5;

    @Option(names = "--max-connections", paramLabel = "N", description = "Authenticated connections open at once; each holds a thread (default: ${DEFAULT-VALUE}).")
    int maxConnections = ConnectionLimits.DEFAULTS.maxConnections();

    @Option(names = "--max-unauthenticated-per-peer", paramLabel = "N", description = "Connections one network (an IPv4 /24, an IPv6 /64; each loopback address on its own) may have in the handshake at once (default: ${DEFAULT-VALUE}).")
    int maxUnauthenticatedPerPeer = ConnectionLimits.DEFAULTS.maxUnauthenticatedPerPeer();

    @Option(names = "--auth-failures", paramLabel = "N", description = "Failed handshakes in a row from one address (wrong keys, and handshakes too slow) before it must wait (default: ${DEFAULT-VALUE}).")
    int authFailures = ConnectionLimits.DEFAULTS.authFailuresBeforeBackoff();

    @Option(names = "--auth-backoff", paramLabel = "SECONDS", description = "The longest wait for an address that keeps failing: 1 s, doubling per further failure; 0 turns it off (default: ${DEFAULT-VALUE}).")
    double authBackoffSeconds = ConnectionLimits.DEFAULTS.maxBackoffMillis() / 1000.0;

    @Option(names = "--max-item-bytes", paramLabel = "SIZE", description = "Largest item a client may put, e.g. 1m (default: 16m).")
    String maxItemBytes;

    @Option(names = "--max-call-bytes", paramLabel = "SIZE", description = "Most bytes one call (a batch of items) may carry (default: 256m).")
    String maxCallBytes;

    @Option(names = "--log-dir", paramLabel = "DIR", description = "Also log to DIR/rmiq.log, rolled daily and kept 14 days (default: standard error only).")
    Path logDir;

    private static boolean userLogging;

    public static void main(String[] args) {
        // RMI keeps an idle connection thread for a minute by default; after a burst of connections
        // (a flood of handshakes, say) the server should be back to its baseline within seconds.
        if (System.getProperty("sun.rmi.transport.tcp.threadKeepAliveTime") == null) {
            try {
                System.setProperty("sun.rmi.transport.tcp.threadKeepAliveTime", "5000");
            } catch (SecurityException e) {
                // a policy without the permission: RMI keeps its default of a minute
            }
        }
        // Before the first logger exists: the server jar's own logging setup, unless the user gave one.
        userLogging = System.getProperty("logback.configurationFile") != null;
        if (!userLogging) {
            System.setProperty("logback.configurationFile", "rmiq-server-logback.xml");
        }
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler((e, argv) -> {
            System.err.println("server.jar: " + e.getMessage() + " (see --help)");
            return CommandLine.ExitCode.USAGE;
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof SecurityException) {
                System.err.println("server.jar: the Security Manager's policy refuses it: " + e.getMessage()
                        + "; security.policy grants what the flags name (--data-dir, --port, --authkey-file, --log-dir,"
                        + " --tls-keystore ...: give the path with its flag, and with =default also as -Drmiq.*),"
                        + " or add a permission line for it (see the README's 'Running under the Security Manager')");
                return CommandLine.ExitCode.USAGE;
            }
            throw e;
        });
        String[] all;
        try {
            all = ConfigFile.expand(args, cli.getCommandSpec());
        } catch (ConfigFile.Invalid e) {
            System.err.println("server.jar: " + e.getMessage());
            System.exit(CommandLine.ExitCode.USAGE);
            return;
        }
        cli.setOverwrittenOptionsAllowed(true); // the command line's value after the file's
        System.exit(cli.execute(all));
    }

    @Override
    public Integer call() throws Exception {
        installSecurityManagerIfAsked();
        if (logDir != null) {
            try {
                java.nio.file.Files.createDirectories(logDir);
            } catch (IOException e) {
                System.err.println("server.jar: cannot use --log-dir " + logDir + ": " + e.getMessage());
                return CommandLine.ExitCode.USAGE;
            }
            System.setProperty("rmiq.logDir", logDir.toAbsolutePath().toString());
            if (!userLogging) {
                System.setProperty("logback.configurationFile", "rmiq-server-logback-file.xml");
            }
        }
        Logger log = LoggerFactory.getLogger(Main.class);
        QueueServer.Builder builder = QueueServer.builder();
        try {
            if (maxMemory != null) {
                builder.maxMemory(size(maxMemory, "--max-memory"));
            }
            if (httpPort != null) {
                builder.httpPort(httpPort).httpBind(httpBind);
            }
            if (pythonPort != null) {
                builder.pythonPort(pythonPort).pythonBind(pythonBind);
            }
            builder.port(port).bind(bind).advertiseHost(advertiseHost).dataDir(dataDir)
                    .fsync(fsyncPolicy(fsync)).sessionTimeout(seconds(sessionTimeoutSeconds, "--session-timeout"));
            QueueSpec defaults = new QueueSpec(seconds(leaseSeconds, "--lease").toMillis(), maxAttempts);
            builder.queue(defaults.parse("tasks")).queue(defaults.parse("results"));
            for (String spec : queues) {
                builder.queue(defaults.parse(spec));
            }
            allow.forEach(builder::allow);
            builder.handshakeTimeout(seconds(handshakeTimeoutSeconds, "--handshake-timeout"));
            if (!(authBackoffSeconds >= 0) || authBackoffSeconds > 86_400) {
                throw new IllegalArgumentException("--auth-backoff must be 0 to 86400 seconds, got " + authBackoffSeconds);
            }
            builder.connectionLimits(new ConnectionLimits(maxConnections, maxUnauthenticatedPerPeer, authFailures,
                    Math.round(authBackoffSeconds * 1000)));
            if (maxItemBytes != null) {
                builder.maxItemBytes(size(maxItemBytes, "--max-item-bytes"));
            }
            if (maxCallBytes != null) {
                builder.maxCallBytes(size(maxCallBytes, "--max-call-bytes"));
            }
            if (tlsKeystore != null) {
                builder.tls(Tls.server(tlsKeystore, Tls.password(tlsPasswordFile)));
                log.info("TLS: key and certificate from {}", tlsKeystore.toAbsolutePath());
            } else if (tlsPasswordFile != null) {
                throw new IllegalArgumentException("--tls-password-file needs --tls-keystore");
            }
            natsStore(builder, log);
            builder.authkey(authkey(log));
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("server.jar: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        }
        QueueServer server;
        try {
            server = builder.start();
        } catch (IOException e) {
            System.err.println("server.jar: " + e.getMessage());
            log.error("could not start: {}", e.getMessage());
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "rmiq-shutdown"));
        System.out.println("rmiq listening on " + server.address());
        if (server.pythonPort() >= 0) {
            System.out.println("rmiq python port " + server.pythonPort());
        }
        System.out.flush();
        while (!server.awaitTermination(java.time.Duration.ofDays(1))) {
            // runs until the shutdown hook closes the server
        }
        return 0;
    }

    private void natsStore(QueueServer.Builder builder, Logger log) throws IOException {
        boolean nats = !store.strip().equalsIgnoreCase("embedded");
        if (!nats) {
            if (replicas != null || natsCreds != null || natsTlsTruststore != null || natsTlsKeystore != null
                    || natsTlsPasswordFile != null) {
                throw new IllegalArgumentException("--replicas and the --nats-* flags need --store nats://...");
            }
            return;
        }
        if (!store.strip().toLowerCase(java.util.Locale.ROOT).matches("(nats|tls)://.*")) {
            throw new IllegalArgumentException("bad --store '" + store + "': use embedded or nats://HOST:PORT[,HOST:PORT...]");
        }
        if (natsCreds != null && !java.nio.file.Files.isReadable(natsCreds)) {
            throw new IllegalArgumentException("--nats-creds " + natsCreds + " is not a readable file");
        }
        javax.net.ssl.SSLContext tls = null;
        if (natsTlsTruststore != null || natsTlsKeystore != null) {
            tls = NatsStore.tls(natsTlsTruststore, natsTlsKeystore, Tls.password(natsTlsPasswordFile));
        } else if (natsTlsPasswordFile != null) {
            throw new IllegalArgumentException("--nats-tls-password-file needs --nats-tls-truststore or --nats-tls-keystore");
        }
        builder.nats(new NatsStore.Settings(NatsStore.Settings.parseServers(store), natsCreds, tls,
                replicas == null ? 0 : replicas));
        log.info("store: NATS JetStream at {}", store.strip());
    }

    private static FileJournal.Fsync fsyncPolicy(String value) {
        try {
            return FileJournal.Fsync.valueOf(value.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad --fsync '" + value + "': use always, interval or never");
        }
    }

    private static long size(String value, String flag) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)(\\d+)([kmg]?)b?").matcher(value.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("bad " + flag + " '" + value + "': use bytes or a size such as 512m or 2g");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase(java.util.Locale.ROOT)) {
            case "k" -> n << 10;
            case "m" -> n << 20;
            case "g" -> n << 30;
            default -> n;
        };
    }

    private static java.time.Duration seconds(double value, String flag) {
        if (!(value > 0) || value > 86_400 * 365) {
            throw new IllegalArgumentException(flag + " must be a positive number of seconds, got " + value);
        }
        return java.time.Duration.ofMillis(Math.round(value * 1000));
    }

    private byte[] authkey(Logger log) throws IOException {
        if (authkeyFile != null) {
            byte[] key = Authkeys.strong(Authkeys.readFile(authkeyFile), "--authkey-file " + authkeyFile);
            log.info("authkey: read from {}", authkeyFile.toAbsolutePath());
            return key;
        }
        String env = System.getenv("RMIQ_AUTHKEY");
        if (env != null && !env.isBlank()) {
            byte[] key = Authkeys.strong(Authkeys.fromText(env), "RMIQ_AUTHKEY");
            log.info("authkey: from the RMIQ_AUTHKEY environment variable");
            return key;
        }
        byte[] key = GeneratedKey.storedOrGenerated(dataDir);
        log.info("authkey: stored in {} (owner-only); give clients a copy with --authkey-file",
                dataDir.resolve(GeneratedKey.FILE_NAME).toAbsolutePath());
        return key;
    }

    /**
     * {@code -Djava.security.manager=allow -Djava.security.policy=FILE} only permits a Security
     * Manager on JDK 17; it takes {@code =default} to install one. A user who names a policy means it
     * to apply, so the server installs the manager itself, once its flags are parsed and before it
     * does anything else. The properties the policy expands ({@code rmiq.data.dir}, {@code rmiq.port},
     * {@code rmiq.authkey.file} ...) then come from the flags, unless given with -D: a flag need not be
     * said twice. (With {@code =default} the JVM reads the policy before any flag is parsed.)
     */
    @SuppressWarnings("removal")
    private void installSecurityManagerIfAsked() {
        if ("allow".equals(System.getProperty("java.security.manager"))
                && System.getProperty("java.security.policy") != null && System.getSecurityManager() == null) {
            forThePolicy("rmiq.data.dir", dataDir);
            forThePolicy("rmiq.port", port);
            forThePolicy("rmiq.http.port", httpPort);
            forThePolicy("rmiq.python.port", pythonPort);
            forThePolicy("rmiq.log.dir", logDir);
            forThePolicy("rmiq.authkey.file", authkeyFile);
            forThePolicy("rmiq.tls.keystore", tlsKeystore);
            forThePolicy("rmiq.tls.password.file", tlsPasswordFile);
            forThePolicy("rmiq.nats.creds", natsCreds);
            System.setSecurityManager(new SecurityManager());
            System.err.println("server.jar: Security Manager installed with the policy "
                    + System.getProperty("java.security.policy"));
        }
    }

    private static void forThePolicy(String property, Object flag) {
        if (flag != null && System.getProperty(property) == null) {
            System.setProperty(property, flag instanceof Path p ? p.toAbsolutePath().normalize().toString() : flag.toString());
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"rmiq server " + (v == null ? "(development build)" : v)};
        }
    }
}
