package io.rmiq.api;

/**
 * An item was refused before it reached a queue or a consumer: its class is not on the allow list,
 * it breaks a size or depth limit, or its bytes are not a Java serialization stream.
 */
public class PayloadRejectedException extends RmiqException {
    private static final long serialVersionUID = 1L;

    public PayloadRejectedException(String message) {
        super(message);
    }

    public PayloadRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
