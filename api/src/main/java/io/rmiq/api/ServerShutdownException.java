package io.rmiq.api;

/** The server is shutting down: blocked and new calls are released with this instead of hanging. */
public class ServerShutdownException extends ServerUnavailableException {
    private static final long serialVersionUID = 1L;

    public ServerShutdownException(String message) {
        super(message);
    }
}
