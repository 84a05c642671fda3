package io.rmiq.server;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class PortInUseTest {

    @Test
    void aPortInUse_failsTheStart_withAnIoErrorNamingThePort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            IOException e = assertThrows(IOException.class, () -> QueueServer.builder().port(taken.getLocalPort())
                    .bind("127.0.0.1").authkey("k").queue("tasks").start());
            assertTrue(e.getMessage().contains("port " + taken.getLocalPort()), e.getMessage());
        }
    }
}
