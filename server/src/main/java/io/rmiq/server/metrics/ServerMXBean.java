package io.rmiq.server.metrics;

/** The server as a whole, as JConsole and VisualVM show it. */
public interface ServerMXBean {
    String getAdvertisedAddress();

    long getUptimeSeconds();

    long getConnectionsAccepted();

    long getAuthFailures();

    int getSessions();

    int getLocksHeld();

    long getMemoryUsedBytes();

    long getMemoryLimitBytes();
}
