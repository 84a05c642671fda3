package io.rmiq.server;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class PortInUseTest {

    @Test
    void portInUse_failsWithTheReason_notANullPointerException() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            IOException e = assertThrows(IOException.class, () -> QueueServer.builder().port(taken.getLocalPort())
                    .bind("127.0.0.1").authkey("port-in-use-test").queue("tasks").start());
            assertTrue(e.getMessage().startsWith("cannot listen on port " + taken.getLocalPort() + ": ")
                    && e.getMessage().contains("in use"), e.getMessage());
        }
    }
}
