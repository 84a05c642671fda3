package io.rmiq.transport;

import java.io.IOException;

/**
 * The rmiq handshake on a new connection failed. An {@link IOException} because it is thrown from
 * inside socket factories, where RMI expects one; the client turns it into an
 * {@link io.rmiq.api.AuthenticationException} or a {@link io.rmiq.api.ServerUnavailableException}.
 */
public final class HandshakeException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why the handshake failed. */
    public enum Reason {
        /** The peer proved a different authkey, or the server said so. */
        WRONG_KEY,
        /** The peer does not speak the rmiq handshake (garbage, HTTP, plain JRMP, TLS mismatch). */
        NOT_RMIQ,
        /** The peer did not finish in time. */
        TIMEOUT,
        /** The server at that address is another instance than the one the stub came from. */
        RESTARTED,
        /** No authkey is known for the server this stub points to. */
        NO_KEY,
        /** One side uses TLS and the other does not, or the TLS handshake failed (e.g. an untrusted certificate). */
        TLS,
        /** The server turned the connection away before the handshake: a limit, or a back-off after failures. */
        REFUSED
    }

    private final Reason reason;

    public HandshakeException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public HandshakeException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
