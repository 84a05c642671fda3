package io.rmiq.api.task;

import java.io.Serializable;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * {@code f(item)} as a callable: one item of an executor's {@code map}. Here, on the default allow
 * list, so that only the function's and the item's classes need allowing.
 */
public record MapCall<A, R>(Function<A, R> f, A item) implements Callable<R>, Serializable {

    private static final long serialVersionUID = 1L;

    @Override
    public R call() {
        return f.apply(item);
    }
}
