package io.rmiq.server;

import io.rmiq.api.DistributedQueue;
import io.rmiq.api.NoSuchQueueException;
import io.rmiq.api.QueueStats;
import io.rmiq.api.RemoteQueue;
import io.rmiq.api.RemoteQueueManager;
import io.rmiq.api.internal.QueueHandle;
import io.rmiq.serial.AllowList;
import io.rmiq.serial.ClassFilter;
import io.rmiq.serial.PayloadCodec;
import io.rmiq.serial.SerialLimits;
import io.rmiq.server.queue.LocalQueue;
import io.rmiq.server.transport.AuthServerSocketFactory;
import io.rmiq.server.transport.ManagerService;
import io.rmiq.server.transport.QueueService;
import io.rmiq.transport.AuthClientSocketFactory;
import io.rmiq.transport.Handshake;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.rmi.NoSuchObjectException;
import java.rmi.Remote;
import java.rmi.RemoteException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.UnicastRemoteObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
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
 * server.jar} runs this same class as a process.
 *
 * <p>Thread-safe. {@link #close()} releases every blocked caller, local or remote, with
 * {@link io.rmiq.api.ServerShutdownException}.
 */
public final class QueueServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QueueServer.class);
    private static final Pattern QUEUE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");

    private final Registry registry;
    private final AuthServerSocketFactory socketFactory;
    private final Map<String, LocalQueue> queues;
    private final Map<String, QueueService> services;
    private final List<Remote> exported;
    private final PayloadCodec codec;
    private final String advertisedHost;
    private final int port;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile boolean closing;

    private QueueServer(Builder b) throws IOException {
        InetAddress bind = b.bind == null ? null : InetAddress.getByName(b.bind);
        this.advertisedHost = b.advertiseHost != null ? b.advertiseHost : Addresses.advertised(bind);
        // RMI writes this host into every stub it makes from now on; it is JVM-wide by RMI's design.
        System.setProperty("java.rmi.server.hostname", advertisedHost);

        AllowList allow = AllowList.defaults().with(b.allow);
        this.codec = new PayloadCodec(allow, SerialLimits.PAYLOAD);
        byte[] realm = Handshake.random(Handshake.REALM);
        this.socketFactory = new AuthServerSocketFactory(bind, b.authkey, realm, (int) b.handshakeTimeout.toMillis());
        AuthClientSocketFactory clientFactory = AuthClientSocketFactory.forRealm(realm);

        this.queues = new TreeMap<>();
        this.services = new LinkedHashMap<>();
        this.exported = new ArrayList<>();
        Registry reg = null;
        try {
            reg = LocateRegistry.createRegistry(b.port, clientFactory, socketFactory);
            this.port = socketFactory.localPort();
            Map<String, RemoteQueue> stubs = new TreeMap<>();
            ClassFilter callFilter = ClassFilter.serverCalls();
            for (Map.Entry<String, Integer> q : b.queues.entrySet()) {
                LocalQueue queue = new LocalQueue(q.getKey(), q.getValue());
                QueueService service = new QueueService(queue, allow, SerialLimits.PAYLOAD);
                RemoteQueue stub = (RemoteQueue) UnicastRemoteObject.exportObject(
                        service, port, clientFactory, socketFactory, callFilter);
                exported.add(service);
                queues.put(queue.name(), queue);
                services.put(queue.name(), service);
                stubs.put(queue.name(), stub);
            }
            ManagerService manager = new ManagerService(Collections.unmodifiableMap(queues), stubs);
            Remote managerStub = UnicastRemoteObject.exportObject(manager, port, clientFactory, socketFactory, callFilter);
            exported.add(manager);
            reg.rebind(RemoteQueueManager.BINDING, managerStub);
            for (Map.Entry<String, RemoteQueue> s : stubs.entrySet()) {
                reg.rebind(s.getKey(), s.getValue());
            }
        } catch (IOException | RuntimeException e) {
            unexportAll(reg);
            socketFactory.shutdown();
            throw e;
        }
        this.registry = reg;
        log.info("rmiq server on port {} ({}), advertising {} to clients; queues: {}", port,
                bind == null ? "all interfaces" : "bound to " + bind.getHostAddress(), advertisedHost, describeQueues());
    }

    /** A builder with the defaults: port 1099, all interfaces, no queues, no extra allowed classes. */
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
        return (advertisedHost.contains(":") ? "[" + advertisedHost + "]" : advertisedHost) + ":" + port;
    }

    /**
     * A handle on one of this server's queues that calls it directly, without RMI.
     *
     * @throws NoSuchQueueException if the server has no such queue
     */
    public <E> DistributedQueue<E> queue(String name) {
        QueueService service = services.get(name);
        if (service == null) {
            throw new NoSuchQueueException(name, new ArrayList<>(queues.keySet()));
        }
        return new QueueHandle<>(name, service, codec, "in-process server", null);
    }

    /** One snapshot per queue, sorted by name. */
    public List<QueueStats> stats() {
        List<QueueStats> out = new ArrayList<>();
        queues.values().forEach(q -> out.add(q.stats()));
        return out;
    }

    /** Connections refused since start for a wrong key or a foreign protocol. */
    public long authFailures() {
        return socketFactory.authFailures();
    }

    /** Listening sockets opened since start: one, since registry, queues and DGC share the port. */
    public int listeningSockets() {
        return socketFactory.serverSocketsOpened();
    }

    /**
     * Stops the server: blocked callers are released with an error, then every object is unexported
     * and the port closed. Idempotent.
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
        queues.values().forEach(LocalQueue::close);
        drain();
        unexportAll(registry);
        socketFactory.shutdown();
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
        for (LocalQueue q : queues.values()) {
            parts.add(q.capacity() == Integer.MAX_VALUE ? q.name() : q.name() + "(capacity " + q.capacity() + ")");
        }
        return String.join(", ", parts);
    }

    /** Collects a server's settings; {@link #start()} makes it. Not thread-safe. */
    public static final class Builder {
        private int port = 1099;
        private String bind;
        private String advertiseHost;
        private byte[] authkey;
        private Duration handshakeTimeout = Duration.ofSeconds(5);
        private final Map<String, Integer> queues = new LinkedHashMap<>();
        private final List<String> allow = new ArrayList<>();

        private Builder() {
        }

        /** The TCP port for everything; 0 picks a free one. Default 1099. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            this.port = port;
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
            this.handshakeTimeout = timeout;
            return this;
        }

        /** Adds an unbounded queue. */
        public Builder queue(String name) {
            return queue(name, Integer.MAX_VALUE);
        }

        /** Adds a queue that holds at most {@code capacity} items; {@code put} waits beyond that. */
        public Builder queue(String name, int capacity) {
            if (name == null || !QUEUE_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("bad queue name '" + name
                        + "': use letters, digits, '.', '_' and '-', starting with a letter or digit");
            }
            if (capacity < 1) {
                throw new IllegalArgumentException("capacity of queue '" + name + "' must be at least 1");
            }
            queues.put(name, capacity);
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
         * @throws IOException if the port cannot be opened
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
