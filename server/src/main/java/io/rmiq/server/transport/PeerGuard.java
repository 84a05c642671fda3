package io.rmiq.server.transport;

import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a server remembers about each address that connects, on every port it serves (RMI and
 * Python): handshakes under way, and wrong keys in a row with the back-off they earn.
 */
public final class PeerGuard {

    private final ConnectionLimits limits;
    private final Map<InetAddress, Peer> peers = new ConcurrentHashMap<>();

    private static final class Peer {
        // Changed only inside the map's compute calls; read outside them, hence volatile.
        volatile int handshaking;
        volatile int failures;
        volatile long blockedUntil;
    }

    public PeerGuard(ConnectionLimits limits) {
        this.limits = limits;
    }

    public ConnectionLimits limits() {
        return limits;
    }

    /** Counts a handshake starting from an address; false if it already has its most under way. */
    public boolean startHandshake(InetAddress from) {
        boolean[] ok = {false};
        peers.compute(from, (a, p) -> {
            Peer q = p == null ? new Peer() : p;
            if (q.handshaking < limits.maxUnauthenticatedPerPeer()) {
                q.handshaking++;
                ok[0] = true;
            }
            return q;
        });
        return ok[0];
    }

    /** A handshake {@link #startHandshake} counted has ended, either way. */
    public void endHandshake(InetAddress from) {
        // Forget an address with nothing under way and nothing held against it, so the map stays small.
        peers.computeIfPresent(from, (a, p) -> {
            p.handshaking--;
            return p.handshaking == 0 && p.failures == 0 ? null : p;
        });
    }

    /** How long the address must still wait before it may try a key again, in milliseconds. */
    public long backoffLeft(InetAddress from) {
        Peer p = peers.get(from);
        return p == null ? 0 : Math.max(0, p.blockedUntil - System.currentTimeMillis());
    }

    /** Counts a wrong key from an address; returns how long that address must now wait. */
    public long failed(InetAddress from) {
        long[] wait = {0};
        peers.compute(from, (a, p) -> {
            Peer q = p == null ? new Peer() : p;
            q.failures++;
            wait[0] = limits.backoffMillis(q.failures);
            q.blockedUntil = System.currentTimeMillis() + wait[0];
            return q;
        });
        return wait[0];
    }

    /** The address proved the key: its record of failures is wiped. */
    public void authenticated(InetAddress from) {
        peers.computeIfPresent(from, (a, p) -> {
            p.failures = 0;
            p.blockedUntil = 0;
            return p;
        });
    }
}
