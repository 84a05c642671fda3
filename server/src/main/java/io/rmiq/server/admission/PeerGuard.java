package io.rmiq.server.admission;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a server remembers about the peers that connect, on every port it serves (RMI and Python):
 * handshakes under way per network, and failures in a row per address with the back-off they earn.
 *
 * <p>Handshakes are counted per network (an IPv4 /24, an IPv6 /64), not per address: whoever holds
 * one address of a network usually holds many. Loopback addresses are counted one by one: they are
 * all this machine, so a network means nothing there.
 */
public final class PeerGuard {

    private final ConnectionLimits limits;
    private final Map<String, int[]> handshaking = new ConcurrentHashMap<>();
    private final Map<InetAddress, Failures> failing = new ConcurrentHashMap<>();

    private static final class Failures {
        // Changed only inside the map's compute calls; read outside them, hence volatile.
        volatile int count;
        volatile long blockedUntil;
    }

    public PeerGuard(ConnectionLimits limits) {
        this.limits = limits;
    }

    public ConnectionLimits limits() {
        return limits;
    }

    /** The network an address is counted in: {@code 10.1.2.0/24}, {@code 2001:db8:0:1::/64}, or a loopback address itself. */
    public static String network(InetAddress a) {
        byte[] b = a.getAddress();
        if (a.isLoopbackAddress()) {
            return a.getHostAddress();
        }
        if (a instanceof Inet4Address) {
            return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + ".0/24";
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i += 2) {
            s.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
        }
        return s.append(":/64").toString();
    }

    /** Counts a handshake starting from an address; false if its network already has its most under way. */
    public boolean startHandshake(InetAddress from) {
        boolean[] ok = {false};
        handshaking.compute(network(from), (k, n) -> {
            int[] c = n == null ? new int[1] : n;
            if (c[0] < limits.maxUnauthenticatedPerPeer()) {
                c[0]++;
                ok[0] = true;
            }
            return c;
        });
        return ok[0];
    }

    /** A handshake {@link #startHandshake} counted has ended, either way. */
    public void endHandshake(InetAddress from) {
        // Forget a network with nothing under way, so the map stays small.
        handshaking.computeIfPresent(network(from), (k, c) -> --c[0] <= 0 ? null : c);
    }

    /** Handshakes under way from the network of {@code from}. */
    public int handshaking(InetAddress from) {
        int[] c = handshaking.get(network(from));
        return c == null ? 0 : c[0];
    }

    /** How long the address must still wait before it may try again, in milliseconds. */
    public long backoffLeft(InetAddress from) {
        Failures f = failing.get(from);
        return f == null ? 0 : Math.max(0, f.blockedUntil - System.currentTimeMillis());
    }

    /**
     * Counts a failed handshake from an address (a wrong key, or one too slow); returns how long that
     * address must now wait.
     */
    public long failed(InetAddress from) {
        long[] wait = {0};
        failing.compute(from, (a, f) -> {
            Failures q = f == null ? new Failures() : f;
            q.count++;
            wait[0] = limits.backoffMillis(q.count);
            q.blockedUntil = System.currentTimeMillis() + wait[0];
            return q;
        });
        if (failing.size() > MAX_REMEMBERED) {
            forgetServed();
        }
        return wait[0];
    }

    /** More addresses than this in the failure record, and those no longer blocked are forgotten. */
    private static final int MAX_REMEMBERED = 65_536;

    private void forgetServed() {
        long now = System.currentTimeMillis();
        failing.entrySet().removeIf(e -> e.getValue().blockedUntil <= now);
    }

    /** The address proved the key: its record of failures is wiped. */
    public void authenticated(InetAddress from) {
        failing.remove(from);
    }
}
