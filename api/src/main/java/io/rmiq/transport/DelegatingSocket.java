package io.rmiq.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;

/**
 * A socket that passes every method RMI calls to another, connected socket ({@link #delegate()});
 * the rest act on this unconnected base socket and fail as on any unconnected socket.
 *
 * <p>Why: RMI's socket factories must return a {@link Socket}, and rmiq adds its own behaviour around
 * a plain or a TLS socket on both ends of a connection.
 */
public abstract class DelegatingSocket extends Socket {

    /** The socket in use now. */
    protected abstract Socket delegate();

    @Override
    public InputStream getInputStream() throws IOException {
        return delegate().getInputStream();
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        return delegate().getOutputStream();
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        delegate().setSoTimeout(timeout);
    }

    @Override
    public int getSoTimeout() throws SocketException {
        return delegate().getSoTimeout();
    }

    @Override
    public void setTcpNoDelay(boolean on) throws SocketException {
        delegate().setTcpNoDelay(on);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException {
        return delegate().getTcpNoDelay();
    }

    @Override
    public void setKeepAlive(boolean on) throws SocketException {
        delegate().setKeepAlive(on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException {
        return delegate().getKeepAlive();
    }

    @Override
    public void setSoLinger(boolean on, int linger) throws SocketException {
        delegate().setSoLinger(on, linger);
    }

    @Override
    public int getSoLinger() throws SocketException {
        return delegate().getSoLinger();
    }

    @Override
    public InetAddress getInetAddress() {
        return delegate().getInetAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
        return delegate().getLocalAddress();
    }

    @Override
    public int getPort() {
        return delegate().getPort();
    }

    @Override
    public int getLocalPort() {
        return delegate().getLocalPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return delegate().getRemoteSocketAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return delegate().getLocalSocketAddress();
    }

    @Override
    public boolean isConnected() {
        return delegate().isConnected();
    }

    @Override
    public boolean isBound() {
        return delegate().isBound();
    }

    @Override
    public boolean isClosed() {
        return delegate().isClosed();
    }

    @Override
    public boolean isInputShutdown() {
        return delegate().isInputShutdown();
    }

    @Override
    public boolean isOutputShutdown() {
        return delegate().isOutputShutdown();
    }

    @Override
    public void shutdownInput() throws IOException {
        delegate().shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
        delegate().shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        delegate().close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + delegate() + "]";
    }
}
