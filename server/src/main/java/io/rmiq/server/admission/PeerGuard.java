package io.rmiq.server.admission;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * What a server remembers about the peers that connect, on every port it serves (RMI and Python):
 * handshakes under way per network, and failures in a row per address with the back-off they earn.
 *
 * <p>Handshakes are counted per network (an IPv4 /24, an IPv6 /64), not per address: whoever holds
 * one address of a network usually holds many. Loopback addresses are counted one by one: they are
 * all this machine, so a network means nothing there.
 */
public final class PeerGuard {

    /**
     * An address's failures are forgotten once its back-off has passed and it has not failed for this
     * long: long enough that a slow guesser still climbs the back-off, short enough that the table
     * of a server facing a scan shrinks again.
     */
    static final long FORGET_MILLIS = 10 * 60_000;

    /** The most addresses whose failures are remembered: under 10 MB of heap. */
    static final int MAX_REMEMBERED = 65_536;

    private static final long SWEEP_EVERY_MILLIS = 10_000;

    private final ConnectionLimits limits;
    private final LongSupplier clock;
    private volatile long nextSweep;
    private final Map<String, int[]> handshaking = new ConcurrentHashMap<>();
    private final Map<InetAddress, Failures> failing = new ConcurrentHashMap<>();

    private static final class Failures {
        // Changed only inside the map's compute calls; read outside them, hence volatile.
        volatile int count;
        volatile long blockedUntil;
        volatile long lastFailure;
    }

    public PeerGuard(ConnectionLimits limits) {
        this(limits, System::currentTimeMillis);
    }

    /** With a clock in milliseconds, for tests where time is the subject. */
    PeerGuard(ConnectionLimits limits, LongSupplier clock) {
        this.limits = limits;
        this.clock = clock;
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
        return f == null ? 0 : Math.max(0, f.blockedUntil - clock.getAsLong());
    }

    /**
     * Counts a failed handshake from an address (a wrong key, or one too slow); returns how long that
     * address must now wait.
     */
    public long failed(InetAddress from) {
        long now = clock.getAsLong();
        if (now >= nextSweep) {
            sweep(now);
        }
        if (failing.size() >= MAX_REMEMBERED && !failing.containsKey(from)) {
            // Full of addresses still blocked: a newcomer is not remembered, so a scan of many
            // addresses cannot grow the table; it waits as a first failure would.
            return limits.backoffMillis(1);
        }
        long[] wait = {0};
        failing.compute(from, (a, f) -> {
            Failures q = f == null ? new Failures() : f;
            q.count++;
            wait[0] = limits.backoffMillis(q.count);
            q.blockedUntil = now + wait[0];
            q.lastFailure = now;
            return q;
        });
        return wait[0];
    }

    /**
     * Forgets addresses whose back-off has passed and that have been quiet for {@link #FORGET_MILLIS};
     * when the table is full, every address no longer blocked.
     */
    private void sweep(long now) {
        failing.values().removeIf(f -> f.blockedUntil <= now && now - f.lastFailure >= FORGET_MILLIS);
        if (failing.size() >= MAX_REMEMBERED) {
            failing.values().removeIf(f -> f.blockedUntil <= now);
        }
        // A sweep walks the whole table, so it runs at most once a second even when the table is full.
        nextSweep = now + (failing.size() >= MAX_REMEMBERED / 2 ? 1_000 : SWEEP_EVERY_MILLIS);
    }

    /** How many addresses have failures on record. */
    int remembered() {
        return failing.size();
    }

    /** The address proved the key: its record of failures is wiped. */
    public void authenticated(InetAddress from) {
        failing.remove(from);
    }
}
