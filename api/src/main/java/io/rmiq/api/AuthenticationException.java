package io.rmiq.api;

/** The two ends do not share the same authkey, or the peer is not an rmiq endpoint at all. */
public class AuthenticationException extends RmiqException {
    private static final long serialVersionUID = 1L;

    public AuthenticationException(String message) {
        super(message);
    }

    public AuthenticationException(String message, Throwable cause) {
        super(message, cause);
    }
}
