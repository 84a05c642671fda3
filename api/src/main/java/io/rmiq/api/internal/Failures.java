package io.rmiq.api.internal;

import io.rmiq.api.AuthenticationException;
import io.rmiq.api.PayloadRejectedException;
import io.rmiq.api.RmiqException;
import io.rmiq.api.ServerShutdownException;
import io.rmiq.api.ServerUnavailableException;
import io.rmiq.serial.ClassFilter;
import io.rmiq.transport.HandshakeException;
import java.io.InvalidClassException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.rmi.NoSuchObjectException;
import java.rmi.NotBoundException;
import java.rmi.UnmarshalException;

/**
 * Turns what RMI throws into rmiq's own exceptions, with the server's address in the message, so
 * callers see "rmiq server at host:port rejected the authkey" rather than a ConnectIOException chain.
 */
public final class Failures {

    private Failures() {
    }

    public static RmiqException translate(Throwable e, String peer) {
        return translate(e, peer, null);
    }

    /** As {@link #translate(Throwable, String)}, naming what {@code filter} refused, if anything. */
    public static RmiqException translate(Throwable e, String peer, ClassFilter filter) {
        if (e instanceof RmiqException r) {
            return r;
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof HandshakeException h) {
                String msg = h.getMessage();
                return switch (h.reason()) {
                    case WRONG_KEY -> new AuthenticationException(msg.contains(peer) ? msg
                            : "rmiq server at " + peer + ": " + msg);
                    case NOT_RMIQ -> new AuthenticationException("no rmiq handshake from " + peer + ": " + msg);
                    case NO_KEY, RESTARTED, REFUSED -> new ServerUnavailableException(msg, h);
                    case TLS -> new AuthenticationException(msg.contains(peer) ? msg
                            : "rmiq server at " + peer + ": " + msg);
                    case TIMEOUT -> new ServerUnavailableException("rmiq server at " + peer
                            + " did not complete the handshake in time", h);
                };
            }
            if (c instanceof RmiqException r) {
                return r;
            }
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (e instanceof NoSuchObjectException) {
            return new ServerShutdownException("rmiq server at " + peer
                    + " no longer has this object: it stopped or restarted");
        }
        if (e instanceof NotBoundException) {
            return new ServerUnavailableException("the registry at " + peer
                    + " has no rmiq server bound (is it an rmiq server?)", e);
        }
        boolean connecting = e instanceof java.rmi.ConnectException || e instanceof java.rmi.ConnectIOException
                || e instanceof java.rmi.UnknownHostException;
        if (root instanceof ConnectException || root instanceof UnknownHostException
                || (connecting && root instanceof java.net.SocketException)) {
            return new ServerUnavailableException("cannot reach rmiq server at " + peer + ": " + root.getMessage(), e);
        }
        if (root instanceof SocketTimeoutException) {
            return new ServerUnavailableException("rmiq server at " + peer + " did not answer in time", e);
        }
        if (e instanceof java.rmi.ServerException && e.getCause() instanceof UnmarshalException
                && root instanceof InvalidClassException) {
            return new PayloadRejectedException("the rmiq server at " + peer + " refused to read this call ("
                    + root.getMessage() + "): it holds a class the server does not allow, or is larger than the "
                    + "server's --max-item-bytes or --max-call-bytes", e);
        }
        if (e instanceof UnmarshalException && root instanceof InvalidClassException) {
            String why = filter != null && filter.rejection() != null ? filter.rejection() : root.getMessage();
            return new PayloadRejectedException("refused to deserialize what the server at " + peer + " sent: "
                    + why, e);
        }
        return new ServerUnavailableException("call to rmiq server at " + peer + " failed: " + root, e);
    }
}
