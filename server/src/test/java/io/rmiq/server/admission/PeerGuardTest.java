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

    @Test
    void failures_areForgottenOnceTheirBackOffHasPassedAndTheAddressWasQuiet() throws Exception {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000);
        PeerGuard guard = new PeerGuard(new ConnectionLimits(100, 8, 2, 30_000), now::get);
        for (int i = 1; i <= 200; i++) {
            guard.failed(at("10.9." + (i / 256) + "." + (i % 256)));
        }
        guard.failed(at("10.7.0.1"));
        assertTrue(guard.failed(at("10.7.0.1")) > 0, "a second failure in a row backs off");
        assertEquals(201, guard.remembered());

        now.addAndGet(PeerGuard.FORGET_MILLIS - 1);
        guard.failed(at("10.8.0.1"));
        assertEquals(202, guard.remembered(), "still within the quiet period: nothing forgotten");

        now.addAndGet(10_001); // past the quiet period, and past the next sweep
        guard.failed(at("10.8.0.1"));
        assertEquals(1, guard.remembered(), "the quiet addresses went, the one failing now stayed");
        assertEquals(0, guard.backoffLeft(at("10.7.0.1")));
        assertEquals(0, guard.failed(at("10.7.0.1")), "a forgotten address starts again from its first failure");
    }

    @Test
    void theTable_neverGrowsPastItsCap_evenWhenEveryAddressIsBlocked() throws Exception {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000);
        // One failure is enough to be blocked, so every address in the table is blocked.
        PeerGuard guard = new PeerGuard(new ConnectionLimits(100, 8, 1, 30_000), now::get);
        byte[] b = {10, 0, 0, 0};
        for (int i = 0; i < PeerGuard.MAX_REMEMBERED + 1_000; i++) {
            b[1] = (byte) (i >> 16);
            b[2] = (byte) (i >> 8);
            b[3] = (byte) i;
            guard.failed(InetAddress.getByAddress(b));
        }
        assertEquals(PeerGuard.MAX_REMEMBERED, guard.remembered());
        assertTrue(guard.failed(at("192.0.2.1")) > 0, "a newcomer still waits as a first failure would");
        assertEquals(0, guard.backoffLeft(at("192.0.2.1")), "but is not remembered");

        now.addAndGet(31_000); // every back-off has passed: a full table lets them go
        guard.failed(at("192.0.2.1"));
        assertEquals(1, guard.remembered());
        assertTrue(guard.backoffLeft(at("192.0.2.1")) > 0);
    }
}
