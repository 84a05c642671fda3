package io.rmiq.server.metrics;

/** One queue, as JConsole and VisualVM show it. Rates are per second over the last few seconds. */
public interface QueueMXBean {
    String getName();

    int getSize();

    int getInFlight();

    int getCapacity();

    int getDeadLetters();

    long getPuts();

    long getTakes();

    long getAcks();

    double getPutRate();

    double getTakeRate();

    double getAckRate();

    long getOldestTaskAgeMillis();
}
