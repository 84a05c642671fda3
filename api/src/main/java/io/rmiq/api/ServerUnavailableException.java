package io.rmiq.api;

/** The server could not be reached, or the connection to it broke during a call. */
public class ServerUnavailableException extends RmiqException {
    private static final long serialVersionUID = 1L;

    public ServerUnavailableException(String message) {
        super(message);
    }

    public ServerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
