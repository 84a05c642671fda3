package io.rmiq.api.task;

import java.io.Serializable;
import java.util.concurrent.Callable;

/** A serializable {@code Runnable} as a callable with a fixed value, for an executor's {@code submit(Runnable)}. */
public record RunCall<T>(Runnable task, T value) implements Callable<T>, Serializable {

    private static final long serialVersionUID = 1L;

    @Override
    public T call() {
        task.run();
        return value;
    }
}
