package io.rmiq.client;

import io.rmiq.api.DeadLetter;
import io.rmiq.api.DistributedLock;
import io.rmiq.api.DistributedQueue;
import io.rmiq.api.NoSuchQueueException;
import io.rmiq.api.QueueStats;
import io.rmiq.api.RemoteQueueManager;
import io.rmiq.api.RmiqException;
import io.rmiq.api.ServerUnavailableException;
import io.rmiq.api.SessionInfo;
import io.rmiq.api.internal.Failures;
import io.rmiq.api.internal.LockHandle;
import io.rmiq.api.internal.QueueHandle;
import io.rmiq.api.internal.RateLimitedLog;
import io.rmiq.serial.AllowList;
import io.rmiq.serial.ClassFilter;
import io.rmiq.serial.PayloadCodec;
import io.rmiq.serial.RmiqFilterFactory;
import io.rmiq.serial.SerialLimits;
import io.rmiq.transport.AuthClientSocketFactory;
import io.rmiq.transport.Keyring;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection to an rmiq server, and the way to its queues.
 *
 * <pre>{@code
 * try (QueueClient client = QueueClient.connect("10.0.0.5", 1099, key)) {
 *     DistributedQueue<Integer> tasks = client.queue("tasks");
 *     tasks.put(42);
 * }
 * }</pre>
 *
 * <p>Every TCP connection it opens proves the authkey with a challenge-response before RMI sees the
 * socket; the key never crosses the wire. Everything the server sends back is deserialized under an
 * allow list (JDK values, rmiq's types and the patterns given to {@link Builder#allow}), without
 * replacing the host JVM's own deserialization filter.
 *
 * <p>Calls ride through a server restart or a lost connection: a call that cannot reach the server
 * is tried again, with capped and jittered back-off, on the next server of the list if there are
 * several, until one answers or {@link Builder#reconnectTimeout} has passed since the client lost
 * them (then {@link ServerUnavailableException}). A waiting call keeps its own deadline meanwhile.
 * Puts carry this client's producer id and a sequence number, so a put retried after its reply was
 * lost is stored once. Queue handles stay valid throughout.
 *
 * <p>Thread-safe; share one client and its queue handles between threads.
 */
public final class QueueClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QueueClient.class);
    private final RateLimitedLog warnings = new RateLimitedLog(Duration.ofSeconds(10));
    private static final ClassFilter RESULTS = ClassFilter.clientCalls();
    private static final Pattern ENDPOINT = Pattern.compile("endpoint:\\[([^,\\]]*):(\\d+)[,\\]]");
    private static volatile boolean warnedFilter;

    private final List<InetSocketAddress> servers;
    private int serverIndex; // guarded by this: the server calls go to; moves on when one is lost
    private final String peer;
    private final Outage outage;
    /** Names this client's puts, with {@link #sequences}: random, so that clients need not coordinate. */
    private final long producer;
    private final AtomicLong sequences = new AtomicLong();
    private final Keyring.Entry entry;
    private final PayloadCodec codec;
    private final SessionKeeper session;
    private final ReconnectingLocks locks = new ReconnectingLocks(this);
    private final Interrupts interrupts = new Interrupts(this::cancelWaits);
    private volatile RemoteQueueManager manager;
    private volatile boolean closed;

    private QueueClient(List<InetSocketAddress> servers, Keyring.Entry entry, PayloadCodec codec, Duration reconnect) {
        this.servers = List.copyOf(servers);
        this.peer = describe(this.servers);
        this.outage = new Outage(reconnect, () -> peer);
        long id = 0;
        while (id == 0) {
            id = new java.security.SecureRandom().nextLong();
        }
        this.producer = id;
        this.entry = entry;
        this.codec = codec;
        this.session = new SessionKeeper(this);
    }

    private static String describe(List<InetSocketAddress> servers) {
        List<String> names = new ArrayList<>();
        for (InetSocketAddress a : servers) {
            String host = a.getHostString();
            names.add((host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort());
        }
        return String.join(", ", names);
    }

    /** Who this client is, for the server's operators; looked up once, since it may ask DNS. */
    private static volatile String self;

    static String describeThisProcess() {
        String s = self;
        if (s == null) {
            String name;
            try {
                name = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                name = "unknown host";
            }
            s = "pid " + ProcessHandle.current().pid() + " on " + name;
            self = s;
        }
        return s;
    }

    /**
     * Connects with the default settings.
     *
     * @throws io.rmiq.api.AuthenticationException    if the server rejects the key, within seconds
     * @throws ServerUnavailableException              if the server cannot be reached
     */
    public static QueueClient connect(String host, int port, String authkey) {
        return builder(host, port).authkey(authkey).connect();
    }

    /** As {@link #connect(String, int, String)}, with the key as bytes. */
    public static QueueClient connect(String host, int port, byte[] authkey) {
        return builder(host, port).authkey(authkey).connect();
    }

    /**
     * Connects to the first of {@code servers} that answers; on failure, calls move on to the next.
     * The servers must share one store (on the embedded store each server has queues of its own).
     */
    public static QueueClient connect(List<InetSocketAddress> servers, String authkey) {
        return builder(servers).authkey(authkey).connect();
    }

    /** As {@link #connect(List, String)}, with the key as bytes. */
    public static QueueClient connect(List<InetSocketAddress> servers, byte[] authkey) {
        return builder(servers).authkey(authkey).connect();
    }

    /** Settings for a list of servers that share one store; see {@link #connect(List, String)}. */
    public static Builder builder(List<InetSocketAddress> servers) {
        return new Builder(servers);
    }

    /** Settings beyond host, port and key: allowed classes and timeouts. */
    public static Builder builder(String host, int port) {
        return new Builder(host, port);
    }

    /**
     * A handle on the named queue. It stays valid across reconnections.
     *
     * @throws NoSuchQueueException naming the queue and listing those the server has
     */
    public <E> DistributedQueue<E> queue(String name) {
        call(() -> manager().queue(name)); // fails now, not at first use, if there is no such queue
        return new QueueHandle<>(name, new ReconnectingQueue(this, name), codec, peer, RESULTS, session, this::warn,
                producer, sequences);
    }

    /**
     * The named queue as a {@link java.util.concurrent.BlockingQueue}, for code written against the
     * JDK interface; see {@link BlockingQueueView} for what each method does remotely.
     *
     * @throws NoSuchQueueException naming the queue and listing those the server has
     */
    public <E> BlockingQueueView<E> blockingQueue(String name) {
        DistributedQueue<E> q = queue(name);
        return new BlockingQueueView<>(q, () -> stats().stream().filter(s -> s.name().equals(name)).findFirst()
                .map(s -> s.capacity() == Integer.MAX_VALUE ? Integer.MAX_VALUE
                        : Math.max(0, s.capacity() - s.size() - s.inFlight()))
                .orElse(Integer.MAX_VALUE));
    }

    /** One warning line per 10 s at most: a misconfigured consumer meets the same items again and again. */
    private void warn(String message) {
        warnings.log("such warnings", suffix -> log.warn("{}{}", message, suffix));
    }

    /**
     * A handle on the named lock. Its holds belong to this client's session: if this JVM dies or loses
     * the server, the server frees them within its session timeout; {@link #close()} ends the session
     * and so frees them at once. Take one handle per holder (usually per thread).
     */
    public DistributedLock lock(String name) {
        if (closed) {
            throw new IllegalStateException("this QueueClient for " + peer + " is closed");
        }
        return new LockHandle(name, locks, peer, RESULTS, session);
    }

    /**
     * Moves up to {@code max} dead letters of {@code queue} back onto it as fresh tasks.
     *
     * @return how many moved
     * @throws NoSuchQueueException if there is no such queue (name the queue, not its .dead queue)
     */
    public int requeueDead(String queue, int max) {
        return call(() -> manager().requeueDead(queue, max));
    }

    /** How this client serializes items, with its allow list: for payloads carried inside payloads. */
    public PayloadCodec codec() {
        return codec;
    }

    /** Deserializes a dead letter's payload under this client's allow list. */
    public Object decode(DeadLetter letter) {
        return codec.decode(letter.payload());
    }

    /** The server's client sessions (workers and other clients), oldest first. */
    public List<SessionInfo> sessions() {
        return new ArrayList<>(call(() -> manager().sessions()));
    }

    /**
     * Removes every waiting item of {@code queue} for good.
     *
     * @return how many were removed
     */
    public int purge(String queue) {
        return call(() -> manager().purge(queue));
    }

    /** One snapshot per queue, sorted by name. */
    public List<QueueStats> stats() {
        return new ArrayList<>(call(() -> manager().stats()));
    }

    /** The {@code host:port} the server advertises in its stubs, where this client's calls go. */
    public String advertisedAddress() {
        return call(() -> manager().advertisedAddress());
    }

    /** The server's heap in use, in bytes, after a garbage collection when {@code collectFirst}. */
    public long serverHeapUsedBytes(boolean collectFirst) {
        return call(() -> manager().heapUsedBytes(collectFirst));
    }

    /** The server's {@code host:port}, as given to connect. */
    public String address() {
        return peer;
    }

    /**
     * Ends this client's session, so tasks it received and did not ack go back to their queues at
     * once. RMI closes its idle connections by itself shortly after.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true; // first: a wait that the goodbye below ends must not start another
            outage.close();
            session.close();
        }
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this QueueClient for " + peer + " is closed");
        }
    }

    /** Runs a wait of {@code session} on the server so that an interrupt of the caller ends it at once. */
    <T> T interruptibly(long session, java.util.function.Supplier<T> wait) {
        return interrupts.during(session, wait);
    }

    private void cancelWaits(long session) {
        try {
            goodbye(() -> {
                manager().cancelWaits(session);
                return null;
            });
        } catch (RuntimeException e) {
            log.debug("cancelling the waits of an interrupted thread failed: {}", e.toString());
        }
    }

    /** Calls the server with rmiq's result filter, translating failures, riding through an outage. */
    <T> T call(Callable<T> c) {
        checkOpen();
        try {
            return RmiqFilterFactory.during(RESULTS, () -> ride(c::call, 0, null));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw Failures.translate(e, peer, RESULTS);
        }
    }

    /** As {@link #call}, but once: for heartbeats and goodbyes, which have their own schedule. */
    <T> T callOnce(Callable<T> c) {
        checkOpen();
        return goodbye(c);
    }

    /** As {@link #callOnce}, also once the client is closed: for ending its session and its waits. */
    <T> T goodbye(Callable<T> c) {
        RemoteQueueManager used = manager;
        try {
            return RmiqFilterFactory.during(RESULTS, c);
        } catch (Exception e) {
            RmiqException r = Failures.translate(e, peer, RESULTS);
            if (Outage.isOutage(r)) {
                lost(used);
            }
            throw r;
        }
    }

    /** One call that may need the server to be looked up again. */
    @FunctionalInterface
    interface Attempt<T> {
        T run() throws Exception;
    }

    /**
     * Runs {@code attempt}, trying again through an outage (see {@link Outage#ride}); once the
     * call's own {@code deadline} (nanoTime, 0 for none) passes meanwhile, returns {@code otherwise}.
     */
    <T> T ride(Attempt<T> attempt, long deadline, T otherwise) {
        RemoteQueueManager[] used = new RemoteQueueManager[1];
        return outage.ride(() -> {
            checkOpen();
            used[0] = manager;
            try {
                return attempt.run();
            } catch (java.rmi.RemoteException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new java.rmi.RemoteException(e.getMessage(), e);
            }
        }, deadline, otherwise, e -> Failures.translate(e, peer, RESULTS), () -> lost(used[0]));
    }

    /**
     * A call through {@code failed} could not reach the server: find it again on the next call, it may
     * have restarted, and move on to the next server if there are several. A failure of an older
     * manager does not throw away a newer one.
     */
    synchronized void lost(RemoteQueueManager failed) {
        if (manager == failed) { // both null: the lookup itself failed
            manager = null;
            serverIndex = (serverIndex + 1) % servers.size();
        }
    }

    /** The manager in use now, possibly null before the first lookup. */
    RemoteQueueManager currentManager() {
        return manager;
    }

    /** The server's manager, looked up again if the last call lost it. */
    RemoteQueueManager manager() throws Exception {
        RemoteQueueManager m = manager;
        if (m == null) {
            synchronized (this) {
                m = manager;
                if (m == null) {
                    m = lookup();
                    manager = m;
                }
            }
        }
        return m;
    }

    /**
     * Finds the server's manager through its registry and checks that the address the server
     * advertises in its stubs is one this client can reach.
     */
    private RemoteQueueManager lookup() throws Exception {
        InetSocketAddress server = servers.get(serverIndex);
        AuthClientSocketFactory bootstrap = AuthClientSocketFactory.bootstrap(entry);
        RemoteQueueManager m;
        try {
            Registry registry = LocateRegistry.getRegistry(server.getHostString(), server.getPort(), bootstrap);
            m = (RemoteQueueManager) registry.lookup(RemoteQueueManager.BINDING);
        } finally {
            bootstrap.release();
        }
        try {
            m.sessionTimeoutMillis();
        } catch (java.rmi.RemoteException e) {
            throw unreachableAdvertisedAddress(m, e);
        }
        log.debug("connected to rmiq server at {}", server);
        return m;
    }

    private Exception unreachableAdvertisedAddress(Object stub, java.rmi.RemoteException e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        Matcher m = ENDPOINT.matcher(String.valueOf(stub));
        boolean network = root instanceof java.net.SocketException || root instanceof SocketTimeoutException
                || root instanceof java.net.UnknownHostException;
        if (!network || !m.find()) {
            return e;
        }
        String advertised = m.group(1) + ":" + m.group(2);
        return new ServerUnavailableException("reached the rmiq registry at " + describe(List.of(servers.get(serverIndex))) + ", but the server advertises "
                + advertised + " for its queues, which this client cannot reach (" + root.getMessage()
                + "); start the server with --advertise-host set to an address its clients can reach", e);
    }

    private static void installFilter() {
        if (!RmiqFilterFactory.install() && !warnedFilter) {
            warnedFilter = true;
            log.warn("rmiq could not install its deserialization filter factory: this JVM had already "
                    + "deserialized something or set a factory. Results from rmiq servers are filtered only "
                    + "by the JVM-wide filter; start the JVM with "
                    + "-Djdk.serialFilterFactory=io.rmiq.serial.RmiqFilterFactory to filter them.");
        }
    }

    /**
     * First contact: each server once, in order, without riding through anything, so that a client
     * pointed at the wrong address or key is told at once. Throws the last server's failure.
     */
    private void firstContact() {
        RuntimeException last = null;
        for (int i = 0; i < servers.size(); i++) {
            try {
                callOnce(this::manager);
                return;
            } catch (RuntimeException e) {
                if (!Outage.isOutage(e)) {
                    throw e;
                }
                last = e; // callOnce moved on to the next server
            }
        }
        throw last;
    }

    /** Collects connection settings. Not thread-safe. */
    public static final class Builder {
        private List<InetSocketAddress> servers;
        private byte[] authkey;
        private final List<String> allow = new ArrayList<>();
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration handshakeTimeout = Duration.ofSeconds(5);
        private Duration readTimeout = Duration.ofSeconds(15);
        private Duration reconnectTimeout = Duration.ofSeconds(60);
        private SSLContext tls;

        private Builder(String host, int port) {
            Objects.requireNonNull(host, "host");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be 1..65535, got " + port);
            }
            this.servers = List.of(InetSocketAddress.createUnresolved(host, port));
        }

        private Builder(List<InetSocketAddress> servers) {
            servers(servers);
        }

        /**
         * Servers that share one store, tried in order; when one is lost, calls move on to the next.
         * Replaces the host and port given to {@link QueueClient#builder(String, int)}.
         */
        public Builder servers(List<InetSocketAddress> servers) {
            if (servers == null || servers.isEmpty()) {
                throw new IllegalArgumentException("at least one server is required");
            }
            List<InetSocketAddress> copy = new ArrayList<>();
            for (InetSocketAddress a : servers) {
                Objects.requireNonNull(a, "server address");
                if (a.getPort() < 1) {
                    throw new IllegalArgumentException("server " + a + " has no port");
                }
                copy.add(InetSocketAddress.createUnresolved(a.getHostString(), a.getPort()));
            }
            this.servers = copy;
            return this;
        }

        /**
         * How long calls keep trying to reach a lost server (or the next of the list) before they
         * throw {@link ServerUnavailableException}. Default 60 seconds; zero fails at once.
         */
        public Builder reconnectTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative()) {
                throw new IllegalArgumentException("reconnect timeout must be zero or more");
            }
            this.reconnectTimeout = timeout;
            return this;
        }

        /** The shared secret. Required. */
        public Builder authkey(byte[] key) {
            if (key == null || key.length == 0) {
                throw new IllegalArgumentException("authkey must not be empty");
            }
            this.authkey = key.clone();
            return this;
        }

        /** The shared secret, as UTF-8. Required. */
        public Builder authkey(String key) {
            return authkey(key == null ? null : key.getBytes(StandardCharsets.UTF_8));
        }

        /** Allows payload classes matching a pattern (com.example.Point, com.example.*, com.example.**). */
        public Builder allow(String pattern) {
            allow.add(AllowList.validate(pattern));
            return this;
        }

        /**
         * Connects inside TLS, trusting what this context trusts (see {@link io.rmiq.transport.Tls#client});
         * the authkey handshake then runs inside TLS. The server must run TLS too. Default: plaintext.
         */
        public Builder tls(SSLContext context) {
            this.tls = context;
            return this;
        }

        /** How long opening a TCP connection may take. Default 5 seconds. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connect timeout");
            return this;
        }

        /** How long the authkey handshake may take. Default 5 seconds. */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = positive(timeout, "handshake timeout");
            return this;
        }

        /**
         * How long one call may wait for the server's answer, so that a server that died without closing
         * its connections is noticed. Default 15 seconds; it must exceed the long-poll slice of
         * {@value QueueHandle#SLICE_MILLIS} ms.
         */
        public Builder readTimeout(Duration timeout) {
            if (timeout.toMillis() <= QueueHandle.SLICE_MILLIS) {
                throw new IllegalArgumentException("read timeout must exceed the long-poll slice of " + QueueHandle.SLICE_MILLIS
                        + " ms (a waiting call holds its connection that long), got " + timeout.toMillis() + " ms");
            }
            this.readTimeout = timeout;
            return this;
        }

        private static Duration positive(Duration d, String what) {
            if (d.isNegative() || d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what + " must be positive");
            }
            return d;
        }

        /**
         * Connects and authenticates.
         *
         * @throws io.rmiq.api.AuthenticationException if the server rejects the key
         * @throws ServerUnavailableException           if the server cannot be reached in time, naming
         *                                              both addresses when the registry answers but the
         *                                              address the server advertises does not
         */
        public QueueClient connect() {
            if (authkey == null) {
                throw new IllegalStateException("an authkey is required: call authkey(...)");
            }
            installFilter();
            Keyring.Entry entry = new Keyring.Entry(authkey, (int) connectTimeout.toMillis(),
                    (int) handshakeTimeout.toMillis(), (int) readTimeout.toMillis(),
                    tls == null ? null : tls.getSocketFactory());
            QueueClient client = new QueueClient(servers, entry,
                    new PayloadCodec(AllowList.defaults().with(allow), SerialLimits.PAYLOAD), reconnectTimeout);
            client.firstContact();
            return client;
        }
    }
}
