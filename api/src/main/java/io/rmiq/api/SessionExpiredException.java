package io.rmiq.api;

/**
 * The server no longer knows the client's session: it went silent too long, or the server restarted.
 * Its leases have ended. Clients open a new session and carry on; applications rarely see this.
 */
public class SessionExpiredException extends RmiqException {
    private static final long serialVersionUID = 1L;

    public SessionExpiredException(long session) {
        super("session " + Long.toHexString(session) + " has ended on the server; its leases were returned");
    }
}
