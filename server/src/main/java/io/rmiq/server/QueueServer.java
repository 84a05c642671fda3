package io.rmiq.server;

import io.rmiq.api.DeadLetter;
import io.rmiq.api.DistributedLock;
import io.rmiq.api.DistributedQueue;
import io.rmiq.api.LeasedItem;
import io.rmiq.api.NoSuchQueueException;
import io.rmiq.api.QueueStats;
import io.rmiq.api.RemoteLocks;
import io.rmiq.api.RemoteQueue;
import io.rmiq.api.RemoteQueueManager;
import io.rmiq.api.internal.LockHandle;
import io.rmiq.api.internal.QueueHandle;
import io.rmiq.serial.AllowList;
import io.rmiq.serial.ClassFilter;
import io.rmiq.serial.PayloadCodec;
import io.rmiq.api.internal.ItemFrames;
import io.rmiq.transport.SpinningInput;
import io.rmiq.serial.SerialLimits;
import io.rmiq.server.journal.FileJournal;
import io.rmiq.server.lock.Locks;
import io.rmiq.server.metrics.Metrics;
import io.rmiq.server.metrics.StatusHttp;
import io.rmiq.server.python.PythonEndpoint;
import io.rmiq.server.python.WarmUp;
import io.rmiq.server.store.QueueStore;
import io.rmiq.server.store.Store;
import io.rmiq.server.store.embedded.EmbeddedStore;
import io.rmiq.server.store.embedded.MemoryBudget;
import io.rmiq.server.store.nats.NatsStore;
import io.rmiq.server.queue.QueueConfig;
import io.rmiq.server.queue.Sessions;
import io.rmiq.server.transport.AuthServerSocketFactory;
import io.rmiq.server.admission.Admission;
import io.rmiq.server.admission.ConnectionLimits;
import io.rmiq.server.transport.LockService;
import io.rmiq.server.transport.ReadOnlyRegistry;
import io.rmiq.server.transport.ManagerService;
import io.rmiq.server.transport.QueueService;
import io.rmiq.transport.AuthClientSocketFactory;
import io.rmiq.transport.Handshake;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.rmi.NoSuchObjectException;
import java.rmi.Remote;
import java.rmi.RemoteException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.UnicastRemoteObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An rmiq server: an RMI registry and the queues it publishes, all on one authenticated TCP port.
 *
 * <p>Start one inside a program, as a Python master starts its manager:
 * <pre>{@code
 * try (QueueServer server = QueueServer.builder().port(1099).authkey(key)
 *         .queue("tasks").queue("results").start()) {
 *     DistributedQueue<Integer> tasks = server.queue("tasks");  // no RMI round trip
 *     ...
 * }
 * }</pre>
 * Remote clients connect with {@code QueueClient.connect(host, port, key)}. {@code java -jar
 * server.jar} runs this same class as a process. Every queue {@code NAME} comes with its dead-letter
 * queue {@code NAME.dead}. With a data directory, every change is journaled there and survives a
 * restart; without one, queues live in memory only.
 *
 * <p>Thread-safe. {@link #close()} releases every blocked caller, local or remote, with
 * {@link io.rmiq.api.ServerShutdownException}.
 */
public final class QueueServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QueueServer.class);
    private static final long REAP_MILLIS = 250;

    private final Registry registry;
    private final AuthServerSocketFactory socketFactory;
    private final Store store;
    private final Map<String, QueueStore> queues;
    private final Map<String, QueueService> services = new LinkedHashMap<>();
    private final List<Remote> exported = new ArrayList<>();
    private final Map<String, Remote> bindings = new TreeMap<>();
    private final PayloadCodec codec;
    private final Sessions sessions;
    private final long localSession;
    private final MemoryBudget memory;
    private final Locks locks;
    private final LockService lockService;
    private final ScheduledExecutorService reaper;
    private final LongSupplier clock = System::currentTimeMillis;
    private final String advertisedHost;
    private final int port;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final Metrics metrics;
    private final StatusHttp http;
    private final PythonEndpoint python;
    private volatile ManagerService managerService;
    private boolean registryReadOnly;
    private volatile boolean closing;

    private QueueServer(Builder b) throws IOException {
        InetAddress bind = b.bind == null ? null : InetAddress.getByName(b.bind);
        this.advertisedHost = b.advertiseHost != null ? b.advertiseHost : Addresses.advertised(bind);
        // RMI writes this host into every stub it makes from now on; it is JVM-wide by RMI's design.
        System.setProperty("java.rmi.server.hostname", advertisedHost);

        // Read here, on the starting thread: under a Security Manager, RMI's connection threads,
        // where connections first use it, have no permission to read the setting.
        log.debug("reads watch up to {} µs before they block (-Drmiq.spinMicros)", SpinningInput.watchMicros());
        // Before this JVM reads any stream (the in-process handles do): later, the JDK refuses the
        // factory, and a client made in this JVM would read its server's answers unfiltered.
        io.rmiq.serial.RmiqFilterFactory.install();
        AllowList allow = AllowList.defaults().with(b.allow);
        SerialLimits itemLimits = SerialLimits.PAYLOAD.withMaxBytes(b.maxItemBytes, (int) b.maxItemBytes);
        // Arrays are allocated before their bytes arrive, so the call filter bounds them too: a frame
        // of items (ItemFrames) is near its target size or one item long; with room above the item
        // limit, so that a slightly large item meets the item check and its clear message.
        long frameBound = Math.max(2 * b.maxItemBytes, 2L * ItemFrames.TARGET_BYTES);
        SerialLimits callLimits = SerialLimits.CALL.withMaxBytes(b.maxCallBytes,
                (int) Math.min(frameBound, Math.min(b.maxCallBytes, Integer.MAX_VALUE - 16)));
        this.codec = new PayloadCodec(allow, itemLimits);
        Admission admission = new Admission(allow, itemLimits);
        this.sessions = new Sessions(b.sessionTimeout.toMillis());
        this.localSession = sessions.openLocal();

        this.memory = new MemoryBudget(b.maxMemory);
        this.metrics = new Metrics(new MetricsSource());
        // Up before the journal is replayed, so that /health can say "starting" (503) meanwhile.
        this.http = b.httpPort < 0 ? null : new StatusHttp(new InetSocketAddress(b.httpBind, b.httpPort), metrics,
                () -> managerService == null ? List.of() : managerService.sessions());
        // A dead letter wraps a payload that may be at the payload limit, so it gets room beyond it.
        SerialLimits p = itemLimits;
        PayloadCodec deadLetters = new PayloadCodec(AllowList.defaults(),
                new SerialLimits(p.maxDepth(), p.maxRefs(), p.maxArrayLength(), p.maxBytes() + (1 << 20)));
        try {
            this.store = b.nats != null
                    ? NatsStore.open(b.nats, b.queues.values(), clock, deadLetters::encode, b.maxItemBytes)
                    : EmbeddedStore.open(b.dataDir, b.fsync, b.segmentBytes, b.queues.values(), clock, memory,
                            deadLetters::encode);
        } catch (IOException | RuntimeException e) {
            if (http != null) {
                http.close();
            }
            throw e;
        }
        this.queues = store.queues();
        try {
            this.locks = new Locks(b.dataDir == null ? null : b.dataDir.resolve("fencing-tokens"), sessions::isLive,
                    sessions::waitMark);
        } catch (IOException e) {
            store.close();
            if (http != null) {
                http.close();
            }
            throw e;
        }
        this.lockService = new LockService(locks);

        byte[] realm = Handshake.random(Handshake.REALM);
        this.socketFactory = new AuthServerSocketFactory(bind, b.authkey, realm, (int) b.handshakeTimeout.toMillis(),
                b.tls, b.limits);
        AuthClientSocketFactory clientFactory = AuthClientSocketFactory.forRealm(realm);
        Registry reg = null;
        // The registry is read-only to clients: RMI's own registry lets a client on this very host
        // bind and unbind, so reject every object it would receive (our own binds are local calls and
        // are not deserialized), and refuse changes from remote calls (ReadOnlyRegistry) or, where
        // this JVM does not allow that, restore bindings a client removed (see guardBindings).
        if (System.getProperty("sun.rmi.registry.registryFilter") == null) {
            System.setProperty("sun.rmi.registry.registryFilter", "!*");
        }
        try {
            reg = LocateRegistry.createRegistry(b.port, clientFactory, socketFactory);
            this.registryReadOnly = ReadOnlyRegistry.guard(reg);
            if (!registryReadOnly) {
                log.info("registry: clients on this host could unbind names until the server restores them "
                        + "(within {} ms); start the JVM with --add-opens java.rmi/sun.rmi.registry=ALL-UNNAMED "
                        + "to refuse such calls outright", REAP_MILLIS);
            }
            this.port = socketFactory.localPort();
            Map<String, RemoteQueue> stubs = new TreeMap<>();
            ClassFilter callFilter = ClassFilter.serverCalls(callLimits);
            for (QueueStore queue : queues.values()) {
                QueueService service = new QueueService(queue, admission, sessions);
                RemoteQueue stub = (RemoteQueue) UnicastRemoteObject.exportObject(
                        service, port, clientFactory, socketFactory, callFilter);
                exported.add(service);
                services.put(queue.name(), service);
                stubs.put(queue.name(), stub);
            }
            RemoteLocks lockStub = (RemoteLocks) UnicastRemoteObject.exportObject(
                    lockService, port, clientFactory, socketFactory, callFilter);
            exported.add(lockService);
            ManagerService manager = new ManagerService(queues, stubs, sessions, clock,
                    this::requeueDead, lockStub, locks);
            managerService = manager;
            manager.advertisedAddress(hostPort(advertisedHost, port));
            Remote managerStub = UnicastRemoteObject.exportObject(manager, port, clientFactory, socketFactory, callFilter);
            exported.add(manager);
            bindings.put(RemoteQueueManager.BINDING, managerStub);
            bindings.putAll(stubs);
            for (Map.Entry<String, Remote> s : bindings.entrySet()) {
                reg.rebind(s.getKey(), s.getValue());
            }
        } catch (IOException | RuntimeException e) {
            unexportAll(reg);
            store.close();
            if (http != null) {
                http.close();
            }
            throw e;
        }
        this.registry = reg;
        PythonEndpoint py = null;
        if (b.pythonPort >= 0) {
            String pyBind = b.pythonBind != null ? b.pythonBind : b.bind;
            try {
                py = new PythonEndpoint(pyBind == null ? new InetSocketAddress(b.pythonPort)
                        : new InetSocketAddress(InetAddress.getByName(pyBind), b.pythonPort),
                        queues, b.authkey, localSession, (int) b.handshakeTimeout.toMillis(),
                        admission, socketFactory.peers(), store::scratch);
                if (b.tls != null) {
                    log.warn("the python port is plaintext although the RMI port uses TLS: Python's protocol has no "
                            + "TLS; use it on a trusted network or through a tunnel");
                }
            } catch (IOException | RuntimeException e) {
                unexportAll(reg);
                store.close();
                if (http != null) {
                    http.close();
                }
                throw new IOException("cannot listen for Python clients on port " + b.pythonPort + ": " + e.getMessage(), e);
            }
        }
        this.python = py;
        this.reaper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rmiq-reaper");
            t.setDaemon(true);
            return t;
        });
        reaper.scheduleWithFixedDelay(this::reap, REAP_MILLIS, REAP_MILLIS, TimeUnit.MILLISECONDS);
        reaper.scheduleWithFixedDelay(metrics::sample, 0, 5, TimeUnit.SECONDS);
        metrics.register(port);
        if (http != null) {
            http.ready(true);
            log.info("status page, /metrics and /health on http://{}:{}/", b.httpBind, http.port());
        }
        log.info("rmiq server on port {} ({}), advertising {} to clients; queues: {}", port,
                bind == null ? "all interfaces" : "bound to " + bind.getHostAddress(), advertisedHost, describeQueues());
        if (b.nats == null) {
            log.info("queues may hold up to {} MiB of heap; {}", memory.limit() >> 20, store.describe());
        } else {
            log.info("queues on {}", store.describe());
        }
        ConnectionLimits l = b.limits;
        log.info("connections: {}; at most {} open, {} per address in the handshake ({} ms timeout), back-off after "
                        + "{} wrong keys {}; items up to {} bytes, calls up to {} bytes",
                b.tls != null ? "TLS" : "plaintext (no --tls-keystore: traffic after the handshake is readable on the network)",
                l.maxConnections(), l.maxUnauthenticatedPerPeer(), b.handshakeTimeout.toMillis(),
                l.authFailuresBeforeBackoff(), l.maxBackoffMillis() == 0 ? "off" : "up to " + l.maxBackoffMillis() + " ms",
                b.maxItemBytes, b.maxCallBytes);
    }

    private void reap() {
        long now = clock.getAsLong();
        for (Sessions.Session s : sessions.expire(now)) {
            log.info("session of {} ended; returning its leased tasks", s.description());
            for (QueueStore q : queues.values()) {
                reapQuietly(() -> q.releaseSession(s.id()));
            }
            reapQuietly(() -> locks.releaseSession(s.id()));
        }
        reapQuietly(locks::expire);
        for (QueueStore q : queues.values()) {
            reapQuietly(() -> q.expireLeases(now));
        }
        if (!registryReadOnly) {
            guardBindings();
        }
    }

    /** Puts back any registry binding a client on this host removed or replaced. */
    private void guardBindings() {
        for (Map.Entry<String, Remote> b : bindings.entrySet()) {
            try {
                Remote now = registry.lookup(b.getKey());
                if (now.equals(b.getValue())) {
                    continue;
                }
            } catch (java.rmi.NotBoundException | RemoteException e) {
                // unbound: restore below
            }
            try {
                registry.rebind(b.getKey(), b.getValue());
                log.warn("a client changed the registry binding '{}'; restored it", b.getKey());
            } catch (RemoteException e) {
                log.error("could not restore the registry binding '{}': {}", b.getKey(), e.toString());
            }
        }
    }

    private interface Reaping {
        void run() throws IOException;
    }

    /** One failing queue must not keep the others' leases from coming back. */
    private void reapQuietly(Reaping r) {
        try {
            r.run();
        } catch (IOException | RuntimeException e) {
            if (!closing) {
                log.error("returning leased tasks or freeing locks failed: {}", e.toString());
            }
        }
    }

    /** Moves dead letters back onto their queue: put first, then remove, so a crash between only duplicates. */
    private int requeueDead(QueueStore queue, int max) {
        QueueStore dead = queue.deadLetters();
        try {
            LeasedItem[] letters = dead.receive(Math.max(1, Math.min(max, 10_000)), 0, localSession);
            if (letters.length == 0) {
                return 0;
            }
            byte[][] payloads = new byte[letters.length][];
            long[] ids = new long[letters.length];
            int[] attempts = new int[letters.length];
            for (int i = 0; i < letters.length; i++) {
                payloads[i] = ((DeadLetter) codec.decode(letters[i].payload())).payload();
                ids[i] = letters[i].id();
                attempts[i] = letters[i].attempt();
            }
            int moved = queue.offer(payloads, 0);
            dead.ack(Arrays.copyOf(ids, moved), Arrays.copyOf(attempts, moved), localSession);
            for (int i = moved; i < letters.length; i++) {
                dead.nack(ids[i], attempts[i], "its queue was full when asked to requeue", 0, localSession);
            }
            log.info("requeued {} dead letter{} onto '{}'", moved, moved == 1 ? "" : "s", queue.name());
            return moved;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A builder with the defaults: port 1099, all interfaces, no queues, in memory only. */
    public static Builder builder() {
        return new Builder();
    }

    /** The port everything listens on (the real one when the builder asked for 0). */
    public int port() {
        return port;
    }

    /** The host written into stubs, where remote clients connect. */
    public String advertisedHost() {
        return advertisedHost;
    }

    /** {@code advertisedHost:port}. */
    public String address() {
        return hostPort(advertisedHost, port);
    }

    private static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * A handle on one of this server's queues that calls it directly, without RMI. Its leases belong
     * to the server's own session, which never times out.
     *
     * @throws NoSuchQueueException if the server has no such queue
     */
    public <E> DistributedQueue<E> queue(String name) {
        QueueService service = services.get(name);
        if (service == null) {
            throw new NoSuchQueueException(name, new ArrayList<>(queues.keySet()));
        }
        return new QueueHandle<>(name, service, codec, "in-process server", null, () -> localSession, log::warn, 0, null);
    }

    /** The queue's wire interface, called directly: for tests of the wire calls without RMI. */
    RemoteQueue queueService(String name) {
        return services.get(name);
    }

    /** The manager's wire interface, called directly: for tests of the wire calls without RMI. */
    RemoteQueueManager managerService() {
        return managerService;
    }

    /** The locks' wire interface, called directly: for tests of the wire calls without RMI. */
    RemoteLocks lockService() {
        return lockService;
    }

    /**
     * A handle on a named lock that calls the server directly, without RMI. Its holds belong to the
     * server's own session, which never ends: they last until unlocked, or until their lease runs out.
     */
    public DistributedLock lock(String name) {
        return new LockHandle(name, lockService, "in-process server", null, () -> localSession);
    }

    /** One snapshot per queue, dead-letter queues included, sorted by name. */
    public List<QueueStats> stats() {
        List<QueueStats> out = new ArrayList<>();
        queues.values().forEach(q -> out.add(q.stats()));
        return out;
    }

    /** Heap the queues hold now (payloads plus per-task cost), and the most they may hold. */
    public long memoryUsed() {
        return memory.used();
    }

    /** The most heap the queues may hold. */
    public long memoryLimit() {
        return memory.limit();
    }

    /** The port Python clients connect to, or -1 when the Python endpoint is off. */
    /** Completes with the put/get pairs of the Python endpoint's warm-up (none without a Python port). */
    java.util.concurrent.CompletableFuture<Integer> pythonWarmUp() {
        return python == null ? java.util.concurrent.CompletableFuture.completedFuture(0) : python.warmUp();
    }

    public int pythonPort() {
        return python == null ? -1 : python.port();
    }

    /** The HTTP status port, or -1 when HTTP is off. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    /** What the metrics read: always the live figures. */
    private final class MetricsSource implements Metrics.Source {
        @Override
        public List<QueueStats> queues() {
            return stats();
        }

        @Override
        public String advertisedAddress() {
            return socketFactory == null ? advertisedHost : address();
        }

        @Override
        public long connectionsAccepted() {
            return socketFactory == null ? 0 : socketFactory.accepted();
        }

        @Override
        public long authFailures() {
            return (socketFactory == null ? 0 : socketFactory.authFailures()) + (python == null ? 0 : python.authFailures());
        }

        @Override
        public int sessions() {
            return sessions.remote();
        }

        @Override
        public int locksHeld() {
            Locks l = locks; // null while the journal is read: the HTTP port is already up then
            return l == null ? 0 : l.held();
        }

        @Override
        public long memoryUsed() {
            return memory.used();
        }

        @Override
        public long memoryLimit() {
            return memory.limit();
        }
    }

    /** Connections refused since start for a wrong key or a foreign protocol, Python's included. */
    public long authFailures() {
        return socketFactory.authFailures() + (python == null ? 0 : python.authFailures());
    }

    /** Listening sockets opened since start: one, since registry, queues and DGC share the port. */
    public int listeningSockets() {
        return socketFactory.serverSocketsOpened();
    }

    /**
     * Stops the server: blocked callers are released with an error, then every object is unexported,
     * the port closed and the journal flushed and closed. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        log.info("rmiq server on port {} shutting down", port);
        if (http != null) {
            http.ready(false);
        }
        if (python != null) {
            python.close();
        }
        reaper.shutdown(); // not shutdownNow: an interrupt must not land in a journal write
        try {
            reaper.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        queues.values().forEach(QueueStore::close);
        locks.close();
        drain();
        unexportAll(registry);
        try {
            store.close();
        } catch (IOException e) {
            log.error("closing the store failed: {}", e.toString(), e);
        }
        metrics.unregister();
        if (http != null) {
            http.close();
        }
        terminated.countDown();
        log.info("rmiq server on port {} stopped", port);
    }

    /** Waits until {@link #close()} has finished. */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Lets the calls that closing the queues has just released send their answers: RMI refuses a
     * gentle unexport while a call is still dispatching or writing its result.
     */
    private void drain() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        for (Remote r : exported) {
            try {
                while (!UnicastRemoteObject.unexportObject(r, false) && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
            } catch (NoSuchObjectException e) {
                // already gone
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void unexportAll(Registry reg) {
        for (Remote r : exported) {
            unexport(r);
        }
        if (reg != null) {
            unexport(reg);
        }
    }

    private static void unexport(Remote r) {
        try {
            // Forced: whatever drain() could not finish in time is cut off.
            UnicastRemoteObject.unexportObject(r, true);
        } catch (NoSuchObjectException e) {
            // already gone
        }
    }

    private String describeQueues() {
        List<String> parts = new ArrayList<>();
        for (QueueStore q : queues.values()) {
            if (q.deadLetters() == null) {
                continue;
            }
            QueueConfig c = q.config();
            parts.add(q.name() + (c.capacity() == Integer.MAX_VALUE ? "" : "(capacity " + c.capacity() + ")"));
        }
        return String.join(", ", parts) + " (each with NAME.dead)";
    }

    /** Collects a server's settings; {@link #start()} makes it. Not thread-safe. */
    public static final class Builder {
        private int port = 1099;
        private String bind;
        private String advertiseHost;
        private byte[] authkey;
        private Duration handshakeTimeout = Duration.ofSeconds(5);
        private Duration sessionTimeout = Duration.ofSeconds(10);
        private Path dataDir;
        private NatsStore.Settings nats;
        private FileJournal.Fsync fsync = FileJournal.Fsync.INTERVAL;
        private long segmentBytes = FileJournal.DEFAULT_SEGMENT_BYTES;
        private long maxMemory = Runtime.getRuntime().maxMemory() / 2;
        private int httpPort = -1;
        private String httpBind = "127.0.0.1";
        private int pythonPort = -1;
        private String pythonBind;
        private final Map<String, QueueConfig> queues = new LinkedHashMap<>();
        private final List<String> allow = new ArrayList<>();
        private SSLContext tls;
        private ConnectionLimits limits = ConnectionLimits.DEFAULTS;
        private long maxItemBytes = SerialLimits.PAYLOAD.maxBytes();
        private long maxCallBytes = SerialLimits.CALL.maxBytes();

        private Builder() {
        }

        /**
         * Runs every connection inside TLS with this context (see {@link io.rmiq.transport.Tls#server});
         * the authkey handshake then runs inside TLS. Default: plaintext.
         */
        public Builder tls(SSLContext context) {
            this.tls = context;
            return this;
        }

        /** Connection counts and the back-off for addresses that keep failing. Default {@link ConnectionLimits#DEFAULTS}. */
        public Builder connectionLimits(ConnectionLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** The largest item a client may put, in bytes. Default 16 MiB. */
        public Builder maxItemBytes(long bytes) {
            if (bytes < 1024 || bytes > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("the item size limit must be 1 KiB to 2 GiB, got " + bytes);
            }
            this.maxItemBytes = bytes;
            return this;
        }

        /** The most bytes one call (a batch of items) may carry. Default 256 MiB. */
        public Builder maxCallBytes(long bytes) {
            if (bytes < 1024) {
                throw new IllegalArgumentException("the call size limit must be at least 1 KiB, got " + bytes);
            }
            this.maxCallBytes = bytes;
            return this;
        }

        private static int checkPort(int port, String what) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException(what + " must be 0..65535, got " + port);
            }
            return port;
        }

        /** The TCP port for everything; 0 picks a free one. Default 1099. */
        public Builder port(int port) {
            this.port = checkPort(port, "port");
            return this;
        }

        /** The local address to listen on. Default: all interfaces. */
        public Builder bind(String address) {
            this.bind = address;
            return this;
        }

        /** The host clients are told to connect to. Default: the bind address, else a non-loopback one. */
        public Builder advertiseHost(String host) {
            this.advertiseHost = host;
            return this;
        }

        /** The shared secret. Required. */
        public Builder authkey(byte[] key) {
            Objects.requireNonNull(key, "authkey");
            if (key.length == 0) {
                throw new IllegalArgumentException("authkey must not be empty");
            }
            this.authkey = key.clone();
            return this;
        }

        /** The shared secret, as UTF-8. Required. */
        public Builder authkey(String key) {
            return authkey(key.getBytes(StandardCharsets.UTF_8));
        }

        /** How long a new connection may take to authenticate. Default 5 seconds. */
        public Builder handshakeTimeout(Duration timeout) {
            if (timeout.toMillis() < 100 || timeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("handshake timeout must be at least 100 ms");
            }
            this.handshakeTimeout = timeout;
            return this;
        }

        /** How long a client may stay silent before its leased tasks go back. Default 10 seconds. */
        public Builder sessionTimeout(Duration timeout) {
            if (timeout.toMillis() < 500) {
                throw new IllegalArgumentException("session timeout must be at least 500 ms");
            }
            this.sessionTimeout = timeout;
            return this;
        }

        /** Journals every change in {@code dir}/journal and restores from it at start. Default: memory only. */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        /**
         * Keeps the queues on a NATS JetStream cluster instead of in this JVM (see {@link NatsStore}); several
         * servers with the same settings serve the same queues. Default: the embedded store.
         */
        public Builder nats(NatsStore.Settings settings) {
            this.nats = settings;
            return this;
        }

        /** When the journal reaches the disk: see {@link FileJournal.Fsync}. Default {@code INTERVAL}. */
        public Builder fsync(FileJournal.Fsync policy) {
            this.fsync = Objects.requireNonNull(policy, "fsync");
            return this;
        }

        /** Size at which the journal starts a new segment file. Default 64 MiB. */
        public Builder segmentBytes(long bytes) {
            if (bytes < 4096) {
                throw new IllegalArgumentException("segment size must be at least 4096 bytes");
            }
            this.segmentBytes = bytes;
            return this;
        }

        /**
         * The heap all queues together may hold: payloads plus {@value MemoryBudget#TASK_OVERHEAD} bytes per
         * task. Beyond it, producers wait as on a full queue. Default: half the JVM's maximum heap.
         */
        public Builder maxMemory(long bytes) {
            if (bytes < 1 << 20) {
                throw new IllegalArgumentException("the memory limit must be at least 1 MiB");
            }
            this.maxMemory = bytes;
            return this;
        }

        /** Serves the status page, /metrics and /health on this port (0 picks one). Default: off. */
        public Builder httpPort(int port) {
            this.httpPort = checkPort(port, "HTTP port");
            return this;
        }

        /** The address the HTTP port listens on. Default: 127.0.0.1, this machine only. */
        public Builder httpBind(String address) {
            this.httpBind = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * Serves Python's multiprocessing.managers clients on this port (0 picks one), with the same
         * authkey. Default: off. See {@link PythonEndpoint}.
         */
        public Builder pythonPort(int port) {
            this.pythonPort = checkPort(port, "Python port");
            return this;
        }

        /** The address the Python port listens on. Default: the {@link #bind} address. */
        public Builder pythonBind(String address) {
            this.pythonBind = address;
            return this;
        }

        /** Adds an unbounded queue with the default lease (30 s) and attempts (5). */
        public Builder queue(String name) {
            return queue(QueueConfig.of(name));
        }

        /** Adds a queue that holds at most {@code capacity} tasks; {@code put} waits beyond that. */
        public Builder queue(String name, int capacity) {
            return queue(new QueueConfig(name, capacity, QueueConfig.DEFAULT_LEASE_MILLIS,
                    QueueConfig.DEFAULT_MAX_ATTEMPTS));
        }

        /** Adds (or replaces) a queue. */
        public Builder queue(QueueConfig config) {
            if (config.name().endsWith(".dead")) {
                throw new IllegalArgumentException("bad queue name '" + config.name()
                        + "': names ending in .dead belong to the dead-letter queues rmiq makes for each queue");
            }
            queues.put(config.name(), config);
            return this;
        }

        /** Allows payload classes matching a pattern (com.example.Point, com.example.*, com.example.**). */
        public Builder allow(String pattern) {
            allow.add(AllowList.validate(pattern));
            return this;
        }

        /**
         * Starts the server.
         *
         * @throws IOException if the port cannot be opened or the journal cannot be read
         */
        public QueueServer start() throws IOException {
            if (authkey == null) {
                throw new IllegalStateException("an authkey is required: call authkey(...)");
            }
            try {
                return new QueueServer(this);
            } catch (RemoteException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                throw new IOException("cannot listen on port " + port + ": " + cause.getMessage(), e);
            }
        }
    }
}
