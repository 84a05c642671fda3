package io.rmiq.server.transport;

import java.lang.reflect.Field;
import java.rmi.AccessException;
import java.rmi.Remote;
import java.rmi.registry.Registry;
import java.rmi.server.RemoteServer;
import java.rmi.server.ServerNotActiveException;
import java.util.Hashtable;
import java.util.Map;

/**
 * Makes the JDK's RMI registry read-only to remote callers. Its own access check lets any client on
 * the server's host bind and unbind; this swaps the registry's binding table for one that refuses
 * every change made from inside a remote call, while the server's own (local) binds go through.
 *
 * <p>The table is a private field of {@code sun.rmi.registry.RegistryImpl}, so this needs
 * {@code --add-opens java.rmi/sun.rmi.registry=ALL-UNNAMED} (server.jar's manifest says so). Without
 * it, {@link #guard} says false and the server falls back to restoring removed bindings.
 */
public final class ReadOnlyRegistry {

    /** What a client that tries to change the registry is told. */
    public static final String REFUSAL = "the rmiq registry is read-only: clients cannot bind, rebind or unbind";

    private ReadOnlyRegistry() {
    }

    /**
     * Guards a registry made by {@code LocateRegistry.createRegistry}.
     *
     * @return false if this JVM does not open the registry's package to rmiq
     */
    public static boolean guard(Registry registry) {
        try {
            Field f = registry.getClass().getDeclaredField("bindings");
            f.setAccessible(true);
            @SuppressWarnings("unchecked")
            Hashtable<String, Remote> old = (Hashtable<String, Remote>) f.get(registry);
            synchronized (old) {
                f.set(registry, new Table(old));
            }
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** The binding table; the registry synchronizes on it around every read and change. */
    private static final class Table extends Hashtable<String, Remote> {
        private static final long serialVersionUID = 1L;

        Table(Map<String, Remote> initial) {
            super(initial);
        }

        @Override
        public synchronized Remote put(String key, Remote value) {
            refuseRemote();
            return super.put(key, value);
        }

        @Override
        public synchronized Remote remove(Object key) {
            refuseRemote();
            return super.remove(key);
        }

        private static void refuseRemote() {
            try {
                RemoteServer.getClientHost();
            } catch (ServerNotActiveException local) {
                return; // not inside a remote call: the server binding its own objects
            }
            // The registry's bind, rebind and unbind declare AccessException, which is what RMI's own
            // check throws for callers on other hosts; Hashtable's signatures cannot, hence the cast.
            throw Table.<RuntimeException>sneaky(new AccessException(REFUSAL));
        }

        @SuppressWarnings("unchecked")
        private static <T extends Throwable> T sneaky(Throwable t) throws T {
            throw (T) t;
        }
    }
}
