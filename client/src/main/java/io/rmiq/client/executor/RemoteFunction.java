package io.rmiq.client.executor;

import java.io.Serializable;
import java.util.function.Function;

/** A {@link Function} that can travel to a worker, for {@link DistributedExecutor#map}. */
@FunctionalInterface
public interface RemoteFunction<A, R> extends Function<A, R>, Serializable {
}
