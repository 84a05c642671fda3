package io.rmiq.server.admission;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The handshakes under way on one port, each with an absolute deadline from accept: when it passes,
 * a timer closes the raw socket, however the peer trickles its bytes. A read timeout alone would not
 * do: one byte just inside it, again and again, would hold the handshake open forever.
 *
 * <p>At most {@code max} run at once. When they are all taken, a new connection is still admitted:
 * the oldest handshake of the network with the most under way is cut instead. An honest handshake
 * takes a millisecond, so what is cut is a slow one, and a flood from a few networks cannot lock
 * everyone else out.
 */
public final class Handshakes {

    /** One thread closes the sockets of every port's handshakes that ran out of time. */
    private static final ScheduledThreadPoolExecutor TIMER = timer();

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "rmiq-handshake-deadlines");
            thread.setDaemon(true);
            return thread;
        });
        t.setRemoveOnCancelPolicy(true); // most handshakes finish in time: drop their timers at once
        // Now, from the thread starting the server: made later from RMI's accept thread, the thread
        // would need modifyThreadGroup under a Security Manager.
        t.prestartAllCoreThreads();
        return t;
    }

    /** How a handshake ended. */
    public enum Outcome {
        /** Still under way. */
        RUNNING,
        AUTHENTICATED,
        /** The peer proved a wrong key. */
        WRONG_KEY,
        /** Failed or abandoned by the peer. */
        FAILED,
        /** Its deadline passed and its socket was closed. */
        TIMED_OUT,
        /** Cut to make room for a newer connection. */
        EVICTED
    }

    /** A connection refused before its handshake, with a reason for the peer and the log. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String reason) {
            super(reason, null, false, false);
        }
    }

    private final int max;
    private final long deadlineMillis;
    private final PeerGuard peers;
    private final Set<Pending> pending = new LinkedHashSet<>(); // guarded by this; oldest first

    /**
     * @param max            handshakes under way at once on this port
     * @param deadlineMillis from accept to the end of the handshake
     */
    public Handshakes(int max, long deadlineMillis, PeerGuard peers) {
        this.max = max;
        this.deadlineMillis = deadlineMillis;
        this.peers = peers;
    }

    public long deadlineMillis() {
        return deadlineMillis;
    }

    /** Handshakes under way now. */
    public synchronized int underWay() {
        return pending.size();
    }

    /**
     * Admits a handshake on a connection just accepted, starting its deadline.
     *
     * @throws Refused if its address must wait after failures, or its network has its most under way
     */
    public Pending admit(Socket raw) throws Refused {
        InetAddress from = raw.getInetAddress();
        long wait = peers.backoffLeft(from);
        if (wait > 0) {
            throw new Refused("too many failed authentications from " + from.getHostAddress() + "; try again in "
                    + ((wait + 999) / 1000) + " s");
        }
        if (!peers.startHandshake(from)) {
            throw new Refused("more than " + peers.limits().maxUnauthenticatedPerPeer() + " connections from "
                    + PeerGuard.network(from) + " are still in the handshake");
        }
        Pending p = new Pending(raw, from);
        Pending cut = null;
        synchronized (this) {
            if (pending.size() >= max) {
                cut = victim();
                pending.remove(cut);
            }
            pending.add(p);
        }
        if (cut != null) {
            cut.end(Outcome.EVICTED);
        }
        p.timer = TIMER.schedule(() -> p.end(Outcome.TIMED_OUT), deadlineMillis, TimeUnit.MILLISECONDS);
        if (p.outcome != Outcome.RUNNING) {
            p.timer.cancel(false); // ended before its timer was set
        }
        return p;
    }

    /** The oldest handshake of the network with the most under way. Caller holds the lock. */
    private Pending victim() {
        Map<String, Integer> counts = new HashMap<>();
        String biggest = null;
        int most = 0;
        for (Pending p : pending) {
            int n = counts.merge(p.network, 1, Integer::sum);
            if (n > most) {
                most = n;
                biggest = p.network;
            }
        }
        for (Pending p : pending) {
            if (p.network.equals(biggest)) {
                return p;
            }
        }
        return pending.iterator().next();
    }

    /** One handshake under way. */
    public final class Pending {
        private final Socket raw;
        private final InetAddress from;
        private final String network;
        private final long startNanos = System.nanoTime();
        private volatile Outcome outcome = Outcome.RUNNING;
        private volatile ScheduledFuture<?> timer;

        Pending(Socket raw, InetAddress from) {
            this.raw = raw;
            this.from = from;
            this.network = PeerGuard.network(from);
        }

        /** How it ended, or {@link Outcome#RUNNING}. */
        public Outcome outcome() {
            return outcome;
        }

        /** Milliseconds since accept. */
        public long ageMillis() {
            return (System.nanoTime() - startNanos) / 1_000_000;
        }

        /**
         * Ends the handshake once; later calls change nothing. A wrong key, a handshake that timed out, or one that its
         * peer abandoned after dragging it out past a second, counts towards the address's back-off,
         * as a wrong key does: slow handshakes are what hold a server's threads. A quick abandon (a
         * port scan, a health check) does not.
         *
         * @return how long the address must now wait after a failure counted here, else 0
         */
        public long end(Outcome how) {
            synchronized (this) {
                if (outcome != Outcome.RUNNING) {
                    return 0;
                }
                outcome = how;
            }
            ScheduledFuture<?> t = timer;
            if (t != null) {
                t.cancel(false);
            }
            synchronized (Handshakes.this) {
                pending.remove(this);
            }
            peers.endHandshake(from);
            if (how == Outcome.TIMED_OUT || how == Outcome.EVICTED) {
                try {
                    raw.close(); // the handshake's thread sees its read fail at once
                } catch (IOException ignored) {
                    // closed either way
                }
            }
            if (how == Outcome.AUTHENTICATED) {
                peers.authenticated(from);
                return 0;
            }
            if (how == Outcome.WRONG_KEY || how == Outcome.TIMED_OUT || (how == Outcome.FAILED && ageMillis() > 1_000)) {
                return peers.failed(from);
            }
            return 0;
        }
    }
}
