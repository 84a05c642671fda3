package io.rmiq.transport;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;

/** The client's end of an authenticated connection: its reads watch briefly before they block ({@link SpinningInput}). */
final class ClientSocket extends DelegatingSocket {

    private final Socket socket;
    private final InputStream in;

    /**
     * @param socket the connection, TLS or plain
     * @param plain  the plain socket under it (the same when there is no TLS)
     */
    ClientSocket(Socket socket, Socket plain) throws IOException {
        this.socket = socket;
        this.in = SpinningInput.wrap(socket.getInputStream(), plain.getInputStream());
    }

    @Override
    protected Socket delegate() {
        return socket;
    }

    @Override
    public InputStream getInputStream() {
        return in;
    }
}
