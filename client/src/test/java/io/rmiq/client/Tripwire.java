package io.rmiq.client;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.concurrent.atomic.AtomicBoolean;

/** A class whose deserialization leaves a mark, to prove that something was never deserialized. */
final class Tripwire implements Serializable {
    private static final long serialVersionUID = 1L;
    static final AtomicBoolean TRIPPED = new AtomicBoolean();

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        TRIPPED.set(true);
    }
}
