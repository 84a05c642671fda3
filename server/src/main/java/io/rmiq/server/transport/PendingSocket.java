package io.rmiq.server.transport;

import io.rmiq.transport.DelegatingSocket;
import io.rmiq.transport.SpinningInput;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;

/**
 * An accepted connection whose handshake is still to run: RMI gets it from {@code accept()} at once
 * and its connection thread runs the handshake on first use of either stream, so that no other
 * thread has to hand the connection on. Until the handshake has succeeded, neither stream is given
 * out, so no unauthenticated byte reaches RMI.
 *
 * <p>Every method RMI calls is passed to the connected socket (the TLS one, once TLS is up).
 */
final class PendingSocket extends DelegatingSocket {

    /** Runs the handshake on the raw socket and returns the socket to use from then on. */
    @FunctionalInterface
    interface Handshaker {
        Socket authenticate(Socket raw) throws IOException;
    }

    /** Told once when the connection closes, authenticated or not. */
    @FunctionalInterface
    interface Closer {
        void closed(PendingSocket s);
    }

    private final Socket raw;
    private final Handshaker handshaker;
    private final Closer closer;
    private volatile Socket socket; // null until authenticated
    private volatile IOException failure;
    private volatile int soTimeout = -1; // what RMI asked for, applied once the handshake is done
    private boolean closedOnce;
    private InputStream input;

    PendingSocket(Socket raw, Handshaker handshaker, Closer closer) {
        this.raw = raw;
        this.handshaker = handshaker;
        this.closer = closer;
    }

    private Socket authenticated() throws IOException {
        Socket s = socket;
        if (s != null) {
            return s;
        }
        synchronized (this) {
            if (socket == null) {
                if (failure != null) {
                    throw failure;
                }
                try {
                    Socket done = handshaker.authenticate(raw);
                    // What RMI asked for, else no timeout: the handshake's own must not outlive it.
                    done.setSoTimeout(Math.max(soTimeout, 0));
                    socket = done;
                } catch (IOException e) {
                    failure = e;
                    close();
                    throw e;
                }
            }
            return socket;
        }
    }

    /** The socket in use now: the authenticated one, else the raw one. */
    @Override
    protected Socket delegate() {
        Socket s = socket;
        return s != null ? s : raw;
    }

    /** Reads watch briefly before they block ({@link SpinningInput}). */
    @Override
    public InputStream getInputStream() throws IOException {
        Socket s = authenticated();
        synchronized (this) {
            if (input == null) {
                input = SpinningInput.wrap(s.getInputStream(), raw.getInputStream());
            }
            return input;
        }
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        return authenticated().getOutputStream();
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        if (socket == null) {
            soTimeout = timeout; // the handshake keeps its own, shorter timeout
        } else {
            socket.setSoTimeout(timeout);
        }
    }

    @Override
    public void shutdownInput() throws IOException {
        authenticated().shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
        authenticated().shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        synchronized (this) {
            if (closedOnce) {
                return;
            }
            closedOnce = true;
        }
        try {
            if (socket != null) { // a stranger's connection is not worth a moment of a thread
                lingerOverUnreadInput(socket);
            }
            delegate().close();
            raw.close();
        } finally {
            closer.closed(this);
        }
    }

    /**
     * RMI closes a connection after a call it refused to read (e.g. over --max-call-bytes) while the
     * client may still be sending it. Closing with unread input makes the kernel reset the
     * connection, and the reset destroys the refusal RMI has just written: the client would see
     * "Broken pipe" instead. So the reply goes out first, with the end of our side, and what the
     * client still sends is read and dropped, for a moment at most. A connection closed with nothing
     * unread (the usual end: the client went away) closes at once.
     */
    private static void lingerOverUnreadInput(Socket s) {
        try {
            if (s.isClosed()) {
                return;
            }
            InputStream in = s.getInputStream();
            byte[] sink = new byte[64 * 1024];
            s.setSoTimeout(1);
            try {
                if (in.available() == 0 && in.read(sink) < 0) {
                    return; // the client closed its side
                }
            } catch (java.net.SocketTimeoutException quiet) {
                return; // nothing on the way
            }
            s.shutdownOutput();
            s.setSoTimeout(250);
            long until = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < until && in.read(sink) >= 0) {
                // dropped: the call was refused
            }
        } catch (IOException | RuntimeException e) {
            // the peer is gone or stopped sending: closing is all that is left
        }
    }

    @Override
    public String toString() {
        return "PendingSocket[" + raw + (socket != null ? ", authenticated" : "") + "]";
    }
}
