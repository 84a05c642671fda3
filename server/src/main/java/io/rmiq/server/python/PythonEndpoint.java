package io.rmiq.server.python;

import io.rmiq.api.LeasedItem;
import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.ServerShutdownException;
import io.rmiq.api.internal.RateLimitedLog;
import io.rmiq.serial.PickledCodec;
import io.rmiq.serial.SerialLimits;
import io.rmiq.server.python.RequestReader.Request;
import io.rmiq.server.python.RequestReader.Span;
import io.rmiq.server.store.QueueStore;
import io.rmiq.server.admission.Admission;
import io.rmiq.server.admission.Handshakes;
import io.rmiq.server.admission.PeerGuard;
import io.rmiq.transport.SpinningInput;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves Python's {@code multiprocessing.managers} clients: a {@code BaseManager} subclass with
 * {@code register('get_task_queue')} that {@code connect()}s here works unchanged, each typeid
 * {@code get_NAME_queue} standing for the queue NAME (or NAMEs: {@code get_task_queue} is
 * {@code tasks}). The wire protocol is described in PYTHON-WIRE.md.
 *
 * <p>One thread per connection, as in CPython: a proxy's connection stays open and may block in a
 * get while other short connections come and go.
 */
public final class PythonEndpoint implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PythonEndpoint.class);
    /** Exactly CPython's list for a Queue: a proxy gets these methods and no others. */
    private static final Object[] EXPOSED = {"empty", "full", "get", "get_nowait", "join", "put", "put_nowait",
            "qsize", "task_done"};
    /** A negative timeout, as a caller gave it. */
    private static final double NEGATIVE = -2;
    /** A blocking call without a timeout waits in slices of this, so that close() is noticed. */
    private static final long SLICE_MILLIS = 1_000;
    /** Room for the request around the largest item. */
    private static final long REQUEST_OVERHEAD = 64 * 1024;
    /** How long a request may take to arrive once its first byte has, beyond 10 ms per KB of it. */
    static final long REQUEST_MILLIS = 30_000;

    private final Map<String, QueueStore> queues;
    private final byte[] authkey;
    private final long session;
    private final int handshakeMillis;
    private final Admission admission;
    private final SerialLimits limits;
    /** The largest request: the largest item plus room for the call around it. */
    private final long maxFrame;
    /** Bytes of requests being read, over all connections: an eighth of the heap, at least two of the largest. */
    private final Frames.Budget requestBytes;
    /** A thread each: beyond this many, new connections are closed at once rather than exhaust the JVM. */
    private final int maxConnections;
    /** Shared with the RMI port: handshakes per network, and the back-off after wrong keys. */
    private final PeerGuard peers;
    /** Python handshakes under way: a cap of their own, each a thread for at most the handshake timeout. */
    public static final int MAX_HANDSHAKES = 64;
    private final Handshakes handshakes;
    /** Refusals and failed handshakes a peer can cause as fast as it connects: this many lines per 10 s. */
    private final RateLimitedLog rejections = new RateLimitedLog(20, java.time.Duration.ofSeconds(10));
    private final ServerSocket listener;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    /** The authenticated connections: only these count towards --max-connections. */
    private final Set<Socket> served = ConcurrentHashMap.newKeySet();
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong authFailures = new AtomicLong();
    private final java.util.concurrent.CompletableFuture<Integer> warmUp;
    private final Thread acceptor;
    private volatile boolean closed;

    /**
     * Starts listening.
     *
     * @param queues  the server's queues by name
     * @param session the server's own session, which leases items between taking them and handing
     *                them over, so an item whose reply cannot be sent goes back to its queue
     * @param admission the server's item check; a request may be its limit plus 64 KiB
     * @param warmUpQueue makes the private queue of the start's warm-up (see {@link WarmUp})
     */
    public PythonEndpoint(InetSocketAddress address, Map<String, QueueStore> queues, byte[] authkey, long session,
            int handshakeMillis, Admission admission, PeerGuard peers, WarmUp.Scratches warmUpQueue) throws IOException {
        this.admission = admission;
        this.limits = admission.limits();
        this.peers = peers;
        this.maxFrame = limits.maxBytes() + REQUEST_OVERHEAD;
        this.requestBytes = new Frames.Budget(Math.max(2 * maxFrame, Runtime.getRuntime().maxMemory() / 8));
        this.maxConnections = peers.limits().maxConnections();
        this.queues = queues;
        this.authkey = authkey.clone();
        this.session = session;
        this.handshakeMillis = handshakeMillis;
        this.handshakes = new Handshakes(MAX_HANDSHAKES, handshakeMillis, peers);
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(address, 128);
        this.acceptor = new Thread(this::acceptLoop, "rmiq-python-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        this.warmUp = WarmUp.start(this::serveWarmUp, warmUpQueue);
        log.info("python endpoint listening on {}:{}", address.getAddress() == null || address.getAddress().isAnyLocalAddress()
                ? "0.0.0.0" : address.getAddress().getHostAddress(), port());
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Completes with the put/get pairs the start's warm-up ran (see {@link WarmUp}). */
    public java.util.concurrent.CompletableFuture<Integer> warmUp() {
        return warmUp;
    }

    /** Connections refused for a wrong key or a failed handshake since start. */
    public long authFailures() {
        return authFailures.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.error("python endpoint stopped accepting: {}", e.toString());
                }
                return;
            }
            String refusal = served.size() >= maxConnections ? "already " + maxConnections + " python connections open"
                    : null;
            Handshakes.Pending handshake = null;
            if (refusal == null) {
                try {
                    handshake = handshakes.admit(s);
                } catch (Handshakes.Refused e) {
                    refusal = e.getMessage();
                }
            }
            if (refusal != null) {
                // Python's client has no way to show a reason before the handshake: it sees the close.
                String why = refusal;
                SocketAddress peer = s.getRemoteSocketAddress();
                rejections.log("refusals and rejections", suffix -> log.warn("python client {} refused: {}{}", peer, why, suffix));
                try {
                    s.close();
                } catch (IOException e) {
                    // closing anyway
                }
                continue;
            }
            open.add(s);
            Handshakes.Pending admitted = handshake;
            Thread t = new Thread(() -> serve(s, admitted), "rmiq-python-" + connections.incrementAndGet());
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(Socket s, Handshakes.Pending handshake) {
        SocketAddress peer = s.getRemoteSocketAddress();
        try (s) {
            s.setTcpNoDelay(true);
            // Each read within the time left; the deadline's timer closes the socket at the end anyway.
            s.setSoTimeout((int) Math.max(1, handshakeMillis - handshake.ageMillis()));
            DataInputStream in = input(s);
            DataOutputStream out = output(s);
            try {
                WireAuth.serverSide(in, out, authkey);
                if (handshake.outcome() != Handshakes.Outcome.RUNNING) {
                    throw new java.net.SocketException("the handshake ran out of time");
                }
                handshake.end(Handshakes.Outcome.AUTHENTICATED);
            } catch (WireAuth.Failed e) {
                authFailures.incrementAndGet();
                long wait = handshake.end(Handshakes.Outcome.WRONG_KEY);
                reject(peer, e.getMessage(), wait);
                return;
            } catch (IOException e) {
                boolean slow = e instanceof java.net.SocketTimeoutException
                        || handshake.outcome() == Handshakes.Outcome.TIMED_OUT;
                handshake.end(slow ? Handshakes.Outcome.TIMED_OUT : Handshakes.Outcome.FAILED); // a no-op if the timer ended it
                Handshakes.Outcome how = handshake.outcome();
                authFailures.incrementAndGet();
                reject(peer, how == Handshakes.Outcome.TIMED_OUT ? "the handshake did not finish within " + handshakeMillis
                        + " ms of connecting (--handshake-timeout)" : how == Handshakes.Outcome.EVICTED
                        ? "its handshake was cut to make room: " + MAX_HANDSHAKES + " python handshakes were under way"
                        : "the handshake failed: " + e, peers.backoffLeft(s.getInetAddress()));
                return;
            } finally {
                handshake.end(Handshakes.Outcome.FAILED); // a no-op unless something unexpected was thrown
            }
            s.setSoTimeout(0);
            served.add(s);
            new Connection(s, peer, in, out, queues).run();
        } catch (IOException e) {
            if (!closed) {
                log.debug("python client {} connection ended: {}", peer, e.toString());
            }
        } finally {
            served.remove(s);
            open.remove(s);
        }
    }

    private static DataInputStream input(Socket s) throws IOException {
        // As on the RMI port: a request that follows its answer within the moment finds this core awake.
        return new DataInputStream(new BufferedInputStream(SpinningInput.wrap(s.getInputStream(), s.getInputStream())));
    }

    private static DataOutputStream output(Socket s) throws IOException {
        return new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
    }

    /** Serves {@link WarmUp}'s connection, already authenticated, against its own private queues. */
    private void serveWarmUp(Socket s, Map<String, QueueStore> privateQueues) throws IOException {
        try (s) {
            s.setTcpNoDelay(true);
            new Connection(s, s.getRemoteSocketAddress(), input(s), output(s), privateQueues).run();
        }
    }

    private void reject(SocketAddress peer, String why, long wait) {
        rejections.log("rejected python clients", suffix -> log.warn("python client {} refused: {}{}{}", peer, why,
                wait > 0 ? "; refusing that address for " + wait + " ms" : "", suffix));
    }

    /** Thrown to end a connection after its reply has been sent. */
    private static final class Hangup extends Exception {
        Hangup() {
            super(null, null, false, false);
        }
    }

    /** One authenticated connection: one-shot calls (create, incref ...) or a proxy's long-lived one. */
    private final class Connection {
        private final Socket socket;
        private final SocketAddress peer;
        private final DataInputStream in;
        private final DataOutputStream out;
        private final Map<String, QueueStore> queues;
        private boolean serving; // a proxy's connection: after accept_connection

        Connection(Socket socket, SocketAddress peer, DataInputStream in, DataOutputStream out,
                Map<String, QueueStore> queues) {
            this.queues = queues;
            this.socket = socket;
            this.peer = peer;
            this.in = in;
            this.out = out;
        }

        void run() throws IOException {
            while (!closed && serveOne()) {
                // One request per call: a method run once per connection would only be compiled on
                // the stack, afresh for each connection; this one is compiled once, for all of them.
            }
        }

        /** Reads and answers one request; returns whether the connection goes on. */
        private boolean serveOne() throws IOException {
            byte[] frame;
            try {
                frame = Frames.readRequest(in, socket, maxFrame, REQUEST_MILLIS, requestBytes);
            } catch (Frames.Refused e) {
                String why = e.getMessage();
                rejections.log("refused python requests", suffix -> log.warn(
                        "python client {}: {}; closing its connection{}", peer, why, suffix));
                traceback(why);
                return false;
            } catch (Frames.TooLarge e) {
                log.warn("python client {} sent a request of {} bytes, over the limit of {}; closing its connection",
                        peer, e.length, maxFrame);
                traceback("request of " + e.length + " bytes exceeds the limit of " + maxFrame + " bytes");
                return false;
            } catch (java.io.EOFException e) {
                return false;
            }
            Request request;
            Object[] call;
            try {
                request = RequestReader.read(frame, requestBytes);
                call = shape(request.value());
            } catch (IOException | RuntimeException e) {
                String why = io.rmiq.server.PeerText.escape(e.getMessage()); // may quote the peer's bytes
                rejections.log("unreadable python requests", suffix -> log.warn(
                        "python client {} sent a request that is not a valid call pickle: {}{}", peer, why, suffix));
                traceback("could not read the request: " + why);
                // CPython serves one request per connection outside a proxy's; in a proxy's, as CPython's
                // server does, it goes on: the frame was read whole, the connection is in step.
                return serving;
            }
            try {
                if (call[0] == null) {
                    boolean accept = "accept_connection".equals(call[1]);
                    publicCall((String) call[1], (Object[]) call[2]);
                    if (accept) {
                        serving = true;
                    } else if (!serving) {
                        return false; // CPython serves one request per connection outside a proxy's
                    }
                } else {
                    queueCall(call, request);
                }
                return true;
            } catch (Hangup h) {
                return false;
            }
        }

        /** {@code (ident, method, args, kwds)} with the types CPython sends. */
        private Object[] shape(Object value) {
            if (!(value instanceof Object[] t) || t.length != 4 || !(t[0] == null || t[0] instanceof String)
                    || !(t[1] instanceof String) || !(t[2] instanceof Object[]) || !(t[3] instanceof Map)) {
                throw new IllegalArgumentException("expected a tuple (ident, method, args, kwds), got "
                        + describe(value));
            }
            return t;
        }

        private void publicCall(String method, Object[] args) throws IOException, Hangup {
            switch (method) {
                case "dummy", "incref", "decref", "accept_connection" -> ret(null);
                case "create" -> {
                    String typeid = args.length > 0 && args[0] instanceof String s ? s : null;
                    String name = typeid == null ? null : queueFor(typeid);
                    if (name == null) {
                        traceback("rmiq serves no typeid " + typeid + "; it serves get_NAME_queue for the queues "
                                + queueNames() + " (get_task_queue is 'tasks', get_result_queue is 'results')");
                        throw new Hangup();
                    }
                    ret(new Object[] {name, EXPOSED});
                }
                case "shutdown" -> {
                    // A remote shutdown would stop every Java and Python client; the operator does that.
                    traceback("rmiq does not let clients shut the server down");
                }
                default -> traceback("rmiq's python endpoint does not support '" + method + "'");
            }
        }

        private void queueCall(Object[] call, Request request) throws IOException, Hangup {
            String ident = (String) call[0];
            String method = (String) call[1];
            Object[] args = (Object[]) call[2];
            Map<?, ?> kwds = (Map<?, ?>) call[3];
            QueueStore q = queues.get(ident);
            if (q == null) {
                traceback("no queue '" + ident + "' on this rmiq server");
                return;
            }
            try {
                switch (method) {
                    case "put" -> put(q, args, kwds, request, true);
                    case "put_nowait" -> put(q, args, kwds, request, false);
                    case "get" -> get(q, args, kwds, true);
                    case "get_nowait" -> get(q, args, kwds, false);
                    case "qsize" -> ret(q.size());
                    case "empty" -> ret(q.size() == 0);
                    case "full" -> ret(q.config().capacity() != Integer.MAX_VALUE && q.size() >= q.config().capacity());
                    // rmiq counts no unfinished tasks: task_done has nothing to do, and join waits
                    // until the queue holds nothing (see README "Python clients").
                    case "task_done" -> ret(null);
                    case "join" -> {
                        while (q.size() > 0) {
                            check();
                            Thread.sleep(50);
                        }
                        ret(null);
                    }
                    default -> traceback("queue proxies have no method '" + method + "'");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Hangup();
            } catch (ServerShutdownException e) {
                traceback(e.getMessage());
                throw new Hangup();
            } catch (ArgumentError e) {
                traceback(method + "(): " + e.getMessage());
            }
        }

        private void put(QueueStore q, Object[] args, Map<?, ?> kwds, Request request, boolean mayBlock)
                throws IOException, InterruptedException, ArgumentError {
            Object item;
            Span itemSpan = null;
            if (args.length > 0) {
                item = args[0];
                Span argsSpan = request.span().elements().get(2);
                if (argsSpan.elements() != null && !argsSpan.elements().isEmpty()) {
                    itemSpan = argsSpan.elements().get(0);
                }
            } else if (kwds.containsKey("item")) {
                item = kwds.get("item");
                itemSpan = keywordSpan(request, kwds, "item");
            } else {
                throw new ArgumentError("missing the item");
            }
            Object block = arg(args, kwds, 1, "block", Boolean.TRUE);
            double timeout = timeout(arg(args, kwds, 2, "timeout", null));
            boolean bounded = q.config().capacity() != Integer.MAX_VALUE;
            if (timeout == NEGATIVE) {
                if (bounded && mayBlock && !Boolean.FALSE.equals(block)) {
                    error(new PythonValues.BuiltinError("ValueError", "'timeout' must be a non-negative number"));
                    return;
                }
                timeout = -1; // as queue.Queue: an unbounded queue never waits, so it never looks
            }
            // The producer's own bytes are what a Python consumer gets back, whatever the item is; plain
            // data also keeps its exact Java form, which is what a Java consumer gets.
            byte[] compact = itemSpan != null && request.fragments().usesClasses(itemSpan) ? null : PythonValues.plain(item);
            byte[] stored;
            if (itemSpan == null) {
                if (compact == null) {
                    throw new ArgumentError("pass an item that is not plain data (a tuple, an object ...) positionally");
                }
                stored = compact;
            } else {
                byte[] pickle = request.fragments().standalone(itemSpan, PythonValues::opcodes);
                stored = compact != null ? PickledCodec.encodeExact(pickle, compact) : PythonValues.kept(pickle, item, limits);
                if (stored.length > limits.maxBytes() && compact != null && compact.length <= limits.maxBytes()) {
                    stored = compact; // the value, exact, if both forms together would not fit
                }
            }
            try {
                admission.checkSize(q.name(), 0, stored.length);
            } catch (PayloadRejectedException e) {
                throw new ArgumentError(e.getMessage());
            }
            byte[][] batch = {stored};
            boolean wait = mayBlock && !Boolean.FALSE.equals(block);
            if (!wait || timeout >= 0) {
                if (q.offer(batch, wait ? (long) (timeout * 1000) : 0) == 1) {
                    ret(null);
                } else {
                    error(PythonValues.FULL);
                }
                return;
            }
            while (q.offer(batch, SLICE_MILLIS) == 0) {
                check();
            }
            ret(null);
        }

        private void get(QueueStore q, Object[] args, Map<?, ?> kwds, boolean mayBlock)
                throws IOException, InterruptedException, ArgumentError {
            Object block = arg(args, kwds, 0, "block", Boolean.TRUE);
            double timeout = timeout(arg(args, kwds, 1, "timeout", null));
            boolean wait = mayBlock && !Boolean.FALSE.equals(block);
            if (timeout == NEGATIVE) {
                if (wait) {
                    error(new PythonValues.BuiltinError("ValueError", "'timeout' must be a non-negative number"));
                    return;
                }
                timeout = -1;
            }
            LeasedItem[] got;
            if (!wait || timeout >= 0) {
                got = q.receive(1, wait ? (long) (timeout * 1000) : 0, session);
            } else {
                while ((got = q.receive(1, SLICE_MILLIS, session)).length == 0) {
                    check();
                }
            }
            if (got.length == 0) {
                error(PythonValues.EMPTY);
                return;
            }
            LeasedItem item = got[0];
            byte[] reply;
            try {
                reply = PythonValues.returnItem(item.payload(), limits);
            } catch (PayloadRejectedException e) {
                // Put back for Java consumers; after the queue's max attempts it moves to NAME.dead.
                q.nack(item.id(), item.attempt(), "a Python client cannot read it: " + e.getMessage(), 0, session);
                log.warn("python client {} took item {} of '{}', which {}; returned it to the queue",
                        peer, item.id(), q.name(), e.getMessage());
                traceback("item " + item.id() + " of queue '" + q.name() + "' " + e.getMessage()
                        + "; it went back to the queue (after " + q.config().maxAttempts() + " attempts it moves to "
                        + q.name() + ".dead)");
                return;
            }
            try {
                Frames.write(out, reply);
            } catch (IOException e) {
                q.nack(item.id(), item.attempt(), "python client went away", 0, session);
                throw e;
            }
            q.ack(new long[] {item.id()}, new int[] {item.attempt()}, session);
        }

        private Object arg(Object[] args, Map<?, ?> kwds, int index, String name, Object dflt) {
            if (args.length > index) {
                return args[index];
            }
            return kwds.containsKey(name) ? kwds.get(name) : dflt;
        }

        /** Seconds, or -1 for none. */
        /** Seconds, -1 for none, or {@link #NEGATIVE}, which queue.Queue refuses only where it would wait. */
        private double timeout(Object t) throws ArgumentError {
            if (t == null) {
                return -1;
            }
            if (t instanceof Number n && !(t instanceof Double d && d.isNaN())) {
                return n.doubleValue() < 0 ? NEGATIVE : Math.min(n.doubleValue(), 1e9);
            }
            throw new ArgumentError("'timeout' must be a non-negative number, got " + describe(t));
        }

        /** The span of keyword argument {@code name}'s value, if the request's dict kept its order. */
        private Span keywordSpan(Request request, Map<?, ?> kwds, String name) {
            Span kw = request.span().elements().get(3);
            if (!(kwds instanceof java.util.LinkedHashMap) || kw.elements() == null
                    || kw.elements().size() != 2 * kwds.size()) {
                return null;
            }
            int i = 0;
            for (Object k : kwds.keySet()) {
                if (name.equals(k)) {
                    return kw.elements().get(2 * i + 1);
                }
                i++;
            }
            return null;
        }

        private void check() {
            if (closed) {
                throw new ServerShutdownException("rmiq server is shutting down");
            }
        }

        private void ret(Object value) throws IOException {
            Frames.write(out, PythonValues.dumps(new Object[] {"#RETURN", value}));
        }

        private void error(Object exception) throws IOException {
            Frames.write(out, PythonValues.dumps(new Object[] {"#ERROR", exception}));
        }

        /** Python raises this as RemoteError, with our message as its text. */
        private void traceback(String message) {
            try {
                Frames.write(out, PythonValues.dumps(new Object[] {"#TRACEBACK", "rmiq: " + message + "\n"}));
            } catch (IOException e) {
                // the peer is gone; nothing more to tell it
            }
        }
    }

    private static final class ArgumentError extends Exception {
        ArgumentError(String message) {
            super(message, null, false, false);
        }
    }

    /** {@code get_X_queue} names queue X, else Xs: get_task_queue is 'tasks'. */
    private String queueFor(String typeid) {
        if (!typeid.startsWith("get_") || !typeid.endsWith("_queue") || typeid.length() <= "get__queue".length()) {
            return null;
        }
        String x = typeid.substring(4, typeid.length() - 6);
        if (queues.containsKey(x)) {
            return x;
        }
        return queues.containsKey(x + "s") ? x + "s" : null;
    }

    private List<String> queueNames() {
        return queues.keySet().stream().filter(n -> !n.endsWith(".dead")).sorted().toList();
    }

    private static String describe(Object v) {
        if (v == null) {
            return "None";
        }
        return v instanceof Object[] a ? "a tuple of " + a.length : v.getClass().getSimpleName();
    }

    /** Stops accepting, and cuts every open connection. */
    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        // The warm-up ends at its next request; wait, so that its scratch journal is gone when we are.
        try {
            warmUp.get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.debug("the python warm-up had not ended at close: {}", e.toString());
        }
    }
}
