package io.rmiq.client.executor;

import java.io.Serializable;
import java.util.concurrent.Callable;

/** A {@link Callable} that can travel to a worker: a lambda cast to this type is serializable. */
@FunctionalInterface
public interface RemoteCallable<V> extends Callable<V>, Serializable {
}
