package io.rmiq.serial;

import java.io.ObjectInputFilter;
import java.util.concurrent.Callable;
import java.util.function.BinaryOperator;

/**
 * A JVM-wide deserialization filter factory (JEP 415) that applies an rmiq filter only to the
 * streams read while an rmiq call is under way on the current thread, and leaves every other stream
 * to the factory that was there before.
 *
 * <p>Why: the client is a library inside someone else's JVM. RMI unmarshals results on the calling
 * thread, so marking the call with a thread-local is enough to filter what an rmiq server sends
 * without replacing the host application's own filter. Where an rmiq filter applies it is merged
 * with the stream's existing filter, so either may reject.
 *
 * <p>The JDK lets the factory be set only before the first {@link java.io.ObjectInputStream} exists.
 * {@link #install()} does that when it still can; otherwise start the JVM with
 * {@code -Djdk.serialFilterFactory=io.rmiq.serial.RmiqFilterFactory}.
 */
public final class RmiqFilterFactory implements BinaryOperator<ObjectInputFilter> {

    private static final ThreadLocal<ObjectInputFilter> CALL = new ThreadLocal<>();
    private static volatile boolean installed;

    private final BinaryOperator<ObjectInputFilter> previous;

    /** Used by the JDK when named by {@code -Djdk.serialFilterFactory}; keeps the JDK's behaviour. */
    public RmiqFilterFactory() {
        this((current, requested) -> requested);
        installed = true;
    }

    private RmiqFilterFactory(BinaryOperator<ObjectInputFilter> previous) {
        this.previous = previous;
    }

    /**
     * Installs the factory in front of the current one, if the JDK still allows it.
     *
     * @return whether rmiq calls on this JVM are filtered
     */
    public static synchronized boolean install() {
        if (installed) {
            return true;
        }
        try {
            BinaryOperator<ObjectInputFilter> current = ObjectInputFilter.Config.getSerialFilterFactory();
            if (current instanceof RmiqFilterFactory) {
                return true;
            }
            ObjectInputFilter.Config.setSerialFilterFactory(new RmiqFilterFactory(current));
            // Only now: a factory the JDK refused (a stream was already read) filters nothing.
            installed = true;
            return true;
        } catch (IllegalStateException | SecurityException e) {
            // Too late (a stream was read), or a Security Manager without SerialPermission "serialFilter".
            return false;
        }
    }

    /** Whether rmiq calls on this JVM are filtered. */
    public static boolean installed() {
        return installed;
    }

    /** Runs {@code call} with {@code filter} applied to every stream it deserializes on this thread. */
    public static <T> T during(ObjectInputFilter filter, Callable<T> call) throws Exception {
        ObjectInputFilter outer = CALL.get();
        CALL.set(filter);
        try {
            return call.call();
        } finally {
            if (outer == null) {
                CALL.remove();
            } else {
                CALL.set(outer);
            }
        }
    }

    @Override
    public ObjectInputFilter apply(ObjectInputFilter current, ObjectInputFilter requested) {
        ObjectInputFilter base = previous.apply(current, requested);
        ObjectInputFilter ours = CALL.get();
        if (ours == null || base == ours || base instanceof Both b && b.ours == ours) {
            return base;
        }
        return base == null ? ours : new Both(ours, base);
    }

    /** Both filters must let a class through; either may reject. */
    private record Both(ObjectInputFilter ours, ObjectInputFilter other) implements ObjectInputFilter {
        @Override
        public Status checkInput(FilterInfo info) {
            Status a = ours.checkInput(info);
            Status b = other.checkInput(info);
            if (a == Status.REJECTED || b == Status.REJECTED) {
                return Status.REJECTED;
            }
            return a == Status.ALLOWED || b == Status.ALLOWED ? Status.ALLOWED : Status.UNDECIDED;
        }
    }
}
