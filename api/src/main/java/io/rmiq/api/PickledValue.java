package io.rmiq.api;

import java.util.Arrays;
import java.util.Objects;

/**
 * An item a Python client put that has no plain Java equivalent (a tuple, a set, a class instance,
 * an int beyond 64 bits ...): the original pickle bytes, untouched, and a best-effort view of them.
 *
 * <p>The view was computed by the server without running any Python code or creating any class
 * named in the pickle: tuples and sets become lists, instances become maps holding their fields
 * and a {@code "__class__"} entry, numbers Java cannot hold become strings. It is null when the
 * server could not make one. Putting a {@code PickledValue} back on a queue hands Python consumers
 * the original bytes again.
 */
public final class PickledValue {

    private final byte[] pickle;
    private final Object view;

    public PickledValue(byte[] pickle, Object view) {
        this.pickle = Objects.requireNonNull(pickle, "pickle").clone();
        this.view = view;
    }

    /** The pickle exactly as the Python producer made it. */
    public byte[] bytes() {
        return pickle.clone();
    }

    /** Integer, Long, Double, Boolean, String, byte[], List or Map (or null): see the class comment. */
    public Object view() {
        return view;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PickledValue p && Arrays.equals(pickle, p.pickle);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(pickle);
    }

    @Override
    public String toString() {
        return "PickledValue(" + pickle.length + " bytes, view=" + view + ")";
    }
}
