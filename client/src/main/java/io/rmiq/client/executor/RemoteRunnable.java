package io.rmiq.client.executor;

import java.io.Serializable;

/** A {@link Runnable} that can travel to a worker: a lambda cast to this type is serializable. */
@FunctionalInterface
public interface RemoteRunnable extends Runnable, Serializable {
}
