package io.rmiq.server;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Picks the address a server writes into its stubs, which is where remote clients will connect. */
final class Addresses {

    private Addresses() {
    }

    /**
     * The bind address when there is one; otherwise the first address of an up, non-loopback
     * interface, IPv4 first. Never the address the host name resolves to: on many Linux hosts that is
     * 127.0.1.1, and remote workers would then connect to themselves.
     */
    static String advertised(InetAddress bind) {
        if (bind != null && !bind.isAnyLocalAddress()) {
            return bind.getHostAddress();
        }
        List<InetAddress> candidates = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (!a.isLoopbackAddress() && !a.isLinkLocalAddress() && !a.isAnyLocalAddress()) {
                        candidates.add(a);
                    }
                }
            }
        } catch (SocketException e) {
            // no interfaces to look at: fall back to loopback below
        }
        candidates.sort((a, b) -> Boolean.compare(!(a instanceof Inet4Address), !(b instanceof Inet4Address)));
        return candidates.isEmpty() ? "127.0.0.1" : strip(candidates.get(0).getHostAddress());
    }

    /** Drops an IPv6 scope suffix such as {@code %eth0}, which stubs cannot carry usefully. */
    private static String strip(String address) {
        int pct = address.indexOf('%');
        return pct < 0 ? address : address.substring(0, pct);
    }
}
