package io.rmiq.serial;

import java.io.ObjectInputFilter;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.function.Predicate;

/**
 * An {@link ObjectInputFilter} that allows a class only if a rule does, within {@link SerialLimits},
 * and remembers why it rejected, so the caller can name the class in its error.
 *
 * <p>Arrays are judged by their element class; a dynamic proxy by its interfaces.
 */
public final class ClassFilter implements ObjectInputFilter {

    private final Predicate<Class<?>> rule;
    private final SerialLimits limits;
    private volatile String rejection;

    public ClassFilter(Predicate<Class<?>> rule, SerialLimits limits) {
        this.rule = rule;
        this.limits = limits;
    }

    /** Classes allowed by name through an {@link AllowList}. */
    public static ClassFilter of(AllowList allow, SerialLimits limits) {
        return new ClassFilter(c -> allow.allows(c.getName()), limits);
    }

    /**
     * What may cross in the arguments of an rmiq call, as the server sees them: byte arrays, strings,
     * boxed numbers and rmiq's value types. Never stubs, never user classes.
     */
    public static ClassFilter serverCalls() {
        return serverCalls(SerialLimits.CALL);
    }

    /** As {@link #serverCalls()}, within the given limits. */
    public static ClassFilter serverCalls(SerialLimits limits) {
        AllowList allow = AllowList.defaults();
        return new ClassFilter(c -> allow.allows(c.getName()), limits);
    }

    private static final List<String> THROWABLE_PACKAGES =
            List.of("java.lang.", "java.io.", "java.net.", "java.rmi.", "java.util.", "io.rmiq.api.");

    /**
     * What may cross in the results of an rmiq call, as a client sees them: the server-call types,
     * plus stubs of rmiq's remote interfaces and exceptions of the JDK's core packages and rmiq's own.
     */
    public static ClassFilter clientCalls() {
        // Exactly what a stub is made of (a proxy whose handler holds the remote reference) and the lease
        // that the distributed GC's call for it returns (it runs in the caller's thread), not all of
        // java.rmi: a UnicastRemoteObject read from a hostile result would export itself, listening on a port.
        AllowList allow = AllowList.defaults().with(List.of(
                "java.rmi.server.RemoteObjectInvocationHandler", "java.rmi.server.RemoteObject",
                "java.rmi.server.ObjID", "java.rmi.server.UID", "java.rmi.dgc.Lease", "java.rmi.dgc.VMID",
                "java.lang.reflect.Proxy",
                "java.lang.StackTraceElement", "io.rmiq.transport.AuthClientSocketFactory"));
        return new ClassFilter(c -> allow.allows(c.getName())
                || (Throwable.class.isAssignableFrom(c) && inPackages(c.getName())), SerialLimits.CALL);
    }

    private static boolean inPackages(String name) {
        return THROWABLE_PACKAGES.stream().anyMatch(name::startsWith)
                && !name.startsWith("java.lang.reflect.") && !name.startsWith("java.lang.invoke.");
    }

    /** Why the last rejection happened, or null. */
    public String rejection() {
        return rejection;
    }

    @Override
    public Status checkInput(FilterInfo info) {
        if (info.depth() > limits.maxDepth()) {
            return reject("nesting deeper than " + limits.maxDepth());
        }
        if (info.references() > limits.maxRefs()) {
            return reject("more than " + limits.maxRefs() + " object references");
        }
        if (info.streamBytes() > limits.maxBytes()) {
            return reject("more than " + limits.maxBytes() + " bytes");
        }
        Class<?> c = info.serialClass();
        // Items cross as byte[]: those may be as long as an item; any other array is a batch.
        int maxLength = c == byte[].class ? limits.maxByteArrayLength() : limits.maxArrayLength();
        if (info.arrayLength() > maxLength) {
            return reject("an array of " + info.arrayLength() + " elements (limit " + maxLength + ")");
        }
        if (c == null) {
            return Status.UNDECIDED;
        }
        while (c.isArray()) {
            c = c.getComponentType();
        }
        if (c.isPrimitive()) {
            return Status.ALLOWED;
        }
        if (Proxy.isProxyClass(c)) {
            for (Class<?> i : c.getInterfaces()) {
                if (!rule.test(i)) {
                    return reject("class " + i.getName() + " is not on the allow list");
                }
            }
            return Status.ALLOWED;
        }
        return rule.test(c) ? Status.ALLOWED : reject("class " + c.getName() + " is not on the allow list");
    }

    private Status reject(String why) {
        rejection = why;
        return Status.REJECTED;
    }
}
