package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.RemoteQueueManager;
import io.rmiq.serial.RmiqFilterFactory;
import io.rmiq.server.transport.AuthServerSocketFactory;
import io.rmiq.transport.AuthClientSocketFactory;
import io.rmiq.transport.Handshake;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.UnicastRemoteObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A server that knows the key but sends back an object of a class the client does not allow: the
 * client refuses it before its readObject runs.
 */
class MaliciousServerTest {

    static final String KEY = "malicious-server-test-key";

    /** A manager whose stats() answers with a list holding a tripwire; every other call does nothing. */
    static RemoteQueueManager evilManager() {
        return (RemoteQueueManager) Proxy.newProxyInstance(MaliciousServerTest.class.getClassLoader(),
                new Class<?>[] {RemoteQueueManager.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "stats": {
                            List<Object> list = new ArrayList<>();
                            list.add(new Tripwire());
                            return list;
                        }
                        case "sessionTimeoutMillis":
                            return 10_000L;
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "equals":
                            return proxy == args[0];
                        default:
                            Class<?> r = method.getReturnType();
                            return r == long.class ? 0L : r == int.class ? 0 : r == boolean.class ? false : null;
                    }
                });
    }

    Registry registry;
    RemoteQueueManager manager;
    AuthServerSocketFactory ssf;
    int port;

    @BeforeEach
    void start() throws Exception {
        Tripwire.TRIPPED.set(false);
        System.setProperty("java.rmi.server.hostname", "127.0.0.1");
        byte[] realm = Handshake.random(Handshake.REALM);
        ssf = new AuthServerSocketFactory(InetAddress.getLoopbackAddress(), KEY.getBytes(StandardCharsets.UTF_8),
                realm, 2_000);
        AuthClientSocketFactory csf = AuthClientSocketFactory.forRealm(realm);
        registry = LocateRegistry.createRegistry(0, csf, ssf);
        port = ssf.localPort();
        manager = evilManager();
        registry.rebind(RemoteQueueManager.BINDING, UnicastRemoteObject.exportObject(manager, port, csf, ssf));
    }

    @AfterEach
    void stop() throws Exception {
        UnicastRemoteObject.unexportObject(manager, true);
        UnicastRemoteObject.unexportObject(registry, true);
        ssf.shutdown();
    }

    @Test
    void resultOfAClassOffTheList_isRefused_beforeItsReadObjectRuns() {
        try (QueueClient client = QueueClient.connect("127.0.0.1", port, KEY)) {
            assertTrue(RmiqFilterFactory.installed(), "the client filter factory should be in place");
            PayloadRejectedException e = assertThrows(PayloadRejectedException.class, client::stats);
            assertTrue(e.getMessage().contains("io.rmiq.client.Tripwire"), e.getMessage());
        }
        assertFalse(Tripwire.TRIPPED.get(), "the client deserialized a class the server should not send");
    }
}
