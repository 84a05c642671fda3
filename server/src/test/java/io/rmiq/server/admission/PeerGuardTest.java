package io.rmiq.server.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class PeerGuardTest {

    static InetAddress at(String a) throws Exception {
        return InetAddress.getByName(a);
    }

    @Test
    void handshakes_areCountedPerNetwork_loopbackPerAddress() throws Exception {
        assertEquals("10.1.2.0/24", PeerGuard.network(at("10.1.2.77")));
        assertEquals("2001:db8:0:1::/64", PeerGuard.network(at("2001:db8:0:1:aaaa::5")));
        assertEquals("127.0.0.3", PeerGuard.network(at("127.0.0.3")));

        PeerGuard guard = new PeerGuard(new ConnectionLimits(100, 2, 5, 30_000));
        assertTrue(guard.startHandshake(at("10.1.2.1")));
        assertTrue(guard.startHandshake(at("10.1.2.2")));
        assertFalse(guard.startHandshake(at("10.1.2.3")), "a third address of the same /24 is over the limit");
        assertTrue(guard.startHandshake(at("10.1.3.1")), "another /24 is not");
        guard.endHandshake(at("10.1.2.1"));
        assertTrue(guard.startHandshake(at("10.1.2.3")));
    }

    @Test
    void failures_backOffTheirAddressOnly_andTheKeyWipesThem() throws Exception {
        PeerGuard guard = new PeerGuard(new ConnectionLimits(100, 8, 2, 30_000));
        guard.failed(at("10.1.2.1"));
        assertEquals(0, guard.backoffLeft(at("10.1.2.1")));
        assertTrue(guard.failed(at("10.1.2.1")) > 0);
        assertTrue(guard.backoffLeft(at("10.1.2.1")) > 0);
        assertEquals(0, guard.backoffLeft(at("10.1.2.2")));
        guard.authenticated(at("10.1.2.1"));
        assertEquals(0, guard.backoffLeft(at("10.1.2.1")));
    }
}
