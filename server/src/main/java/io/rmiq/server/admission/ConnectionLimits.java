package io.rmiq.server.admission;

/**
 * What one server grants the network before and after authentication. Every connection that passes
 * the handshake holds one RMI thread for as long as it is open, so the connection count bounds the
 * server's threads; the per-peer bounds keep one address from using up what everyone shares.
 *
 * @param maxConnections             authenticated connections open at once, from everyone
 * @param maxUnauthenticatedPerPeer  connections from one address still in the handshake
 * @param authFailuresBeforeBackoff  wrong keys in a row from one address before it has to wait
 * @param maxBackoffMillis           the longest wait: it starts at one second and doubles with each
 *                                   further failure; 0 turns the back-off off
 */
public record ConnectionLimits(int maxConnections, int maxUnauthenticatedPerPeer, int authFailuresBeforeBackoff,
                               long maxBackoffMillis) {

    /**
     * Generous for a LAN of workers, small enough that one address cannot starve the others. 64 per
     * address: one host may start dozens of clients at once (a bench of 64 clients, a worker host
     * behind NAT), and each new client opens two connections; a handshake lasts about a millisecond.
     */
    public static final ConnectionLimits DEFAULTS = new ConnectionLimits(1024, 64, 5, 30_000);

    public ConnectionLimits {
        if (maxConnections < 1 || maxUnauthenticatedPerPeer < 1 || authFailuresBeforeBackoff < 1
                || maxBackoffMillis < 0) {
            throw new IllegalArgumentException("connection limits must be positive (the back-off may be 0): "
                    + maxConnections + ", " + maxUnauthenticatedPerPeer + ", " + authFailuresBeforeBackoff + ", "
                    + maxBackoffMillis);
        }
    }

    /** The wait after {@code failures} wrong keys in a row, in milliseconds: 0 below the threshold. */
    long backoffMillis(int failures) {
        if (maxBackoffMillis == 0 || failures < authFailuresBeforeBackoff) {
            return 0;
        }
        int doublings = Math.min(failures - authFailuresBeforeBackoff, 30);
        return Math.min(1000L << doublings, maxBackoffMillis);
    }
}
