package io.rmiq.api;

/**
 * Root of every exception rmiq itself throws, on the server and in the client.
 *
 * <p>Unchecked, so that the queue API reads like {@link java.util.concurrent.BlockingQueue}; the
 * subclasses say what went wrong. Instances are immutable and serializable: the server throws them
 * across RMI and the client rethrows them as they are.
 */
public class RmiqException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RmiqException(String message) {
        super(message);
    }

    public RmiqException(String message, Throwable cause) {
        super(message, cause);
    }
}
