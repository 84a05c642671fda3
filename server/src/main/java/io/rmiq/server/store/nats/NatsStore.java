package io.rmiq.server.store.nats;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.rmiq.api.DeadLetter;
import io.rmiq.server.queue.QueueConfig;
import io.rmiq.server.store.QueueStore;
import io.rmiq.server.store.Store;
import io.rmiq.server.store.embedded.EmbeddedStore;
import io.rmiq.server.store.embedded.MemoryBudget;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Queues on a NATS JetStream cluster: one work-queue stream per queue (dead-letter queues included),
 * each with one durable pull consumer that every rmiq server in front of the cluster shares. JetStream
 * replicates, orders, redelivers and bounds; this server only translates and keeps its clients' leases.
 */
public final class NatsStore implements Store {

    private static final Logger log = LoggerFactory.getLogger(NatsStore.class);

    /**
     * How to reach the cluster.
     *
     * @param servers     NATS URLs, e.g. nats://n1:4222
     * @param credentials a NATS .creds file, or null
     * @param tls         the TLS context for NATS connections, or null for plain ones (unless a URL says tls://)
     * @param replicas    copies of every stream; 0: 3 when the cluster has three or more servers, else 1
     */
    public record Settings(List<String> servers, Path credentials, SSLContext tls, int replicas) {
        public Settings {
            servers = List.copyOf(servers);
            if (servers.isEmpty()) {
                throw new IllegalArgumentException("no NATS server given");
            }
            if (replicas < 0 || replicas > 5) {
                throw new IllegalArgumentException("--replicas must be 1 to 5, got " + replicas);
            }
        }

        /** Parses {@code nats://h1:4222,h2:4222} (the scheme may be left out, and repeated per server). */
        public static List<String> parseServers(String spec) {
            List<String> out = new ArrayList<>();
            for (String s : spec.split(",")) {
                String t = s.trim();
                if (t.isEmpty()) {
                    continue;
                }
                out.add(t.contains("://") ? t : "nats://" + t);
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("--store names no NATS server: '" + spec + "'");
            }
            return out;
        }
    }

    /**
     * A TLS context for NATS connections: trusting the CAs of a PKCS12 truststore (null: the JVM's), and
     * presenting the key of a PKCS12 keystore (null: none).
     */
    public static SSLContext tls(Path truststore, Path keystore, char[] password) throws IOException {
        try {
            javax.net.ssl.KeyManager[] keys = null;
            if (keystore != null) {
                javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
                        javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(pkcs12(keystore, password, "--nats-tls-keystore"), password);
                keys = kmf.getKeyManagers();
            }
            javax.net.ssl.TrustManager[] trust = null;
            if (truststore != null) {
                javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                        javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(pkcs12(truststore, password, "--nats-tls-truststore"));
                trust = tmf.getTrustManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, trust, null);
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("NATS TLS cannot be set up: " + e.getMessage(), e);
        }
    }

    private static java.security.KeyStore pkcs12(Path file, char[] password, String flag) throws IOException {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            return ks;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException(flag + " " + file + " does not exist", e);
        } catch (java.security.GeneralSecurityException | IOException e) {
            throw new IOException(flag + " " + file + " cannot be read (a PKCS12 file and its password?): "
                    + e.getMessage(), e);
        }
    }

    private final Connection nc;
    private final Settings settings;
    private final int replicas;
    private final LongSupplier clock;
    private final Dispatcher acks;
    private final Map<String, QueueStore> queues = new TreeMap<>();

    /** @param maxItemBytes the largest item admission lets through, to warn when NATS takes less */
    public static NatsStore open(Settings settings, Collection<QueueConfig> configs, LongSupplier clock,
            Function<DeadLetter, byte[]> deadLetterCodec, long maxItemBytes) throws IOException {
        Connection nc = connect(settings);
        try {
            return new NatsStore(nc, settings, configs, clock, deadLetterCodec, maxItemBytes);
        } catch (IOException | RuntimeException e) {
            closeQuietly(nc);
            throw e;
        }
    }

    private NatsStore(Connection nc, Settings settings, Collection<QueueConfig> configs, LongSupplier clock,
            Function<DeadLetter, byte[]> deadLetterCodec, long maxItemBytes) throws IOException {
        this.nc = nc;
        this.settings = settings;
        this.clock = clock;
        long maxPayload = nc.getServerInfo().getMaxPayload();
        if (maxPayload - NatsQueue.HEADER_ROOM < maxItemBytes) {
            log.warn("NATS takes messages of up to {} bytes (its max_payload), less than --max-item-bytes {}: "
                    + "larger items will be refused; raise max_payload in the nats-server configuration",
                    maxPayload, maxItemBytes);
        }
        int servers = nc.getServerInfo().getConnectURLs().size();
        this.replicas = settings.replicas() > 0 ? settings.replicas() : servers >= 3 ? 3 : 1;
        List<NatsQueue> all = new ArrayList<>();
        JetStreamManagement jsm = nc.jetStreamManagement();
        for (QueueConfig config : configs) {
            QueueConfig deadConfig = QueueConfig.deadLettersOf(config);
            NatsQueue dead = declare(jsm, deadConfig, null, null);
            NatsQueue queue = declare(jsm, config, dead, deadLetterCodec);
            all.add(queue);
            all.add(dead);
        }
        this.acks = nc.createDispatcher();
        for (NatsQueue q : all) {
            queues.put(q.name(), q);
            acks.subscribe(q.ackSubjects(), m -> q.roomMayHaveOpened());
        }
    }

    private static Connection connect(Settings s) throws IOException {
        Options.Builder o = new Options.Builder()
                .servers(s.servers().toArray(new String[0]))
                .connectionName("rmiq-server")
                .connectionTimeout(Duration.ofSeconds(5))
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(500))
                .errorListener(new Errors())
                .connectionListener(NatsStore::connectionEvent);
        if (s.credentials() != null) {
            o.authHandler(Nats.credentials(s.credentials().toString()));
        }
        if (s.tls() != null) {
            o.sslContext(s.tls());
        }
        try {
            return Nats.connect(o.build());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted connecting to NATS", e);
        } catch (IOException e) {
            throw new IOException("could not connect to NATS at " + String.join(",", s.servers()) + ": "
                    + e.getMessage(), e);
        }
    }

    private static void connectionEvent(Connection conn, ConnectionListener.Events event) {
        switch (event) {
            case DISCONNECTED -> log.warn("lost the connection to NATS; reconnecting");
            case RECONNECTED -> log.info("reconnected to NATS at {}", conn.getConnectedUrl());
            case CONNECTED -> log.info("connected to NATS at {}", conn.getConnectedUrl());
            default -> log.debug("NATS connection: {}", event);
        }
    }

    /** Creates the queue's stream and consumer, or brings them in line with the operator's settings. */
    private NatsQueue declare(JetStreamManagement jsm, QueueConfig config, NatsQueue dead,
            Function<DeadLetter, byte[]> codec) throws IOException {
        String stream = streamName(config.name());
        String subject = "rmiq.q." + token(config.name());
        StreamConfiguration want = StreamConfiguration.builder()
                .name(stream)
                .description("rmiq queue " + config.name())
                .subjects(subject)
                .retentionPolicy(RetentionPolicy.WorkQueue)
                .storageType(StorageType.File)
                .replicas(replicas)
                .discardPolicy(DiscardPolicy.New)
                .maxMessages(config.capacity() == Integer.MAX_VALUE ? -1 : config.capacity())
                .build();
        try {
            StreamInfo have = streamInfo(jsm, stream);
            if (have == null) {
                try {
                    jsm.addStream(want);
                } catch (JetStreamApiException e) {
                    if (e.getApiErrorCode() != 10058) { // made by another rmiq server meanwhile
                        throw e;
                    }
                    update(jsm, config, Objects.requireNonNull(streamInfo(jsm, stream)), want);
                }
            } else {
                update(jsm, config, have, want);
            }
            jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder()
                    .durable(NatsQueue.CONSUMER)
                    .ackPolicy(AckPolicy.Explicit)
                    .ackWait(Duration.ofMillis(config.leaseMillis()))
                    .maxDeliver(-1)
                    .maxAckPending(-1)
                    .maxPullWaiting(4096)
                    .build());
        } catch (JetStreamApiException e) {
            throw new IOException("JetStream refused the stream of queue '" + config.name() + "': "
                    + e.getErrorDescription() + " (" + e.getApiErrorCode() + ")", e);
        }
        return new NatsQueue(config, nc, stream, subject, dead, codec, clock);
    }

    private static StreamInfo streamInfo(JetStreamManagement jsm, String stream)
            throws IOException, JetStreamApiException {
        try {
            return jsm.getStreamInfo(stream);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == 10059) { // stream not found
                return null;
            }
            throw e;
        }
    }

    private static void update(JetStreamManagement jsm, QueueConfig config, StreamInfo have, StreamConfiguration want)
            throws IOException, JetStreamApiException {
        StreamConfiguration c = have.getConfiguration();
        if (c.getMaxMsgs() == want.getMaxMsgs() && c.getReplicas() == want.getReplicas()) {
            return;
        }
        log.warn("queue '{}' on NATS had capacity {} and {} replica(s); now {} and {}", config.name(),
                c.getMaxMsgs() < 0 ? "unbounded" : c.getMaxMsgs(), c.getReplicas(),
                want.getMaxMsgs() < 0 ? "unbounded" : want.getMaxMsgs(), want.getReplicas());
        jsm.updateStream(StreamConfiguration.builder(c).maxMessages(want.getMaxMsgs())
                .replicas(want.getReplicas()).build());
    }

    /** JetStream names allow neither '.' nor '*' nor '>'; '_' is doubled so that the mapping stays one to one. */
    static String token(String queue) {
        return queue.replace("_", "__").replace(".", "_d");
    }

    static String streamName(String queue) {
        return "RMIQ_" + token(queue);
    }

    @Override
    public Map<String, QueueStore> queues() {
        return Collections.unmodifiableMap(queues);
    }

    @Override
    public String describe() {
        return "NATS JetStream at " + String.join(",", settings.servers()) + " (connected to " + nc.getConnectedUrl()
                + "), " + replicas + " replica" + (replicas == 1 ? "" : "s") + " per stream";
    }

    /**
     * In this JVM's memory: the warm-up exercises the front end's code, and a scratch stream on a
     * shared cluster would outlive a server killed during it.
     */
    @Override
    public Scratch scratch(String name) throws IOException {
        return EmbeddedStore.memoryScratch(name, clock, MemoryBudget.unlimited());
    }

    @Override
    public void close() {
        queues.values().forEach(QueueStore::close);
        closeQuietly(nc);
    }

    private static void closeQuietly(Connection nc) {
        try {
            nc.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** jnats' own reports, through SLF4J rather than java.util.logging. */
    private static final class Errors implements ErrorListener {
        @Override
        public void errorOccurred(Connection conn, String error) {
            log.warn("NATS reported: {}", error);
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            log.warn("NATS connection problem: {}", exp.toString(), exp);
        }

        @Override
        public void slowConsumerDetected(Connection conn, Consumer consumer) {
            log.warn("NATS: this server reads its messages too slowly");
        }
    }
}
