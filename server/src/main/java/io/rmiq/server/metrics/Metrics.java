package io.rmiq.server.metrics;

import io.rmiq.api.QueueStats;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the server shows operators: per-queue figures with rates, and server-wide ones, as MXBeans
 * and as Prometheus text. Rates come from counters sampled every few seconds. Thread-safe.
 */
public final class Metrics {

    private static final Logger log = LoggerFactory.getLogger(Metrics.class);

    /** The figures the server hands over; a snapshot each time. */
    public interface Source {
        List<QueueStats> queues();

        String advertisedAddress();

        long connectionsAccepted();

        long authFailures();

        int sessions();

        int locksHeld();

        long memoryUsed();

        long memoryLimit();
    }

    /** Counters of one queue at one instant, and the rates since the sample before. */
    private record Sample(long at, long puts, long takes, long acks, double putRate, double takeRate, double ackRate) {
    }

    private final Source source;
    private final long startedAt = System.currentTimeMillis();
    private final Map<String, Sample> samples = new ConcurrentHashMap<>();
    private final List<ObjectName> registered = new ArrayList<>();

    public Metrics(Source source) {
        this.source = source;
    }

    /** Takes a sample of every queue's counters; call every few seconds. */
    public void sample() {
        long now = System.nanoTime();
        for (QueueStats q : source.queues()) {
            Sample before = samples.get(q.name());
            double seconds = before == null ? 0 : (now - before.at()) / 1e9;
            samples.put(q.name(), seconds <= 0
                    ? new Sample(now, q.puts(), q.takes(), q.acks(), 0, 0, 0)
                    : new Sample(now, q.puts(), q.takes(), q.acks(), (q.puts() - before.puts()) / seconds,
                            (q.takes() - before.takes()) / seconds, (q.acks() - before.acks()) / seconds));
        }
    }

    public double putRate(String queue) {
        Sample s = samples.get(queue);
        return s == null ? 0 : s.putRate();
    }

    public double takeRate(String queue) {
        Sample s = samples.get(queue);
        return s == null ? 0 : s.takeRate();
    }

    public double ackRate(String queue) {
        Sample s = samples.get(queue);
        return s == null ? 0 : s.ackRate();
    }

    public long uptimeSeconds() {
        return (System.currentTimeMillis() - startedAt) / 1000;
    }

    public Source source() {
        return source;
    }

    /** Registers one MXBean per queue and one for the server, named with the port to keep servers apart. */
    public void register(int port) {
        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        try {
            for (QueueStats q : source.queues()) {
                String name = q.name();
                register(mbeans, new ObjectName("io.rmiq:type=Queue,port=" + port + ",name=" + ObjectName.quote(name)),
                        new QueueView(name, () -> find(name)));
            }
            register(mbeans, new ObjectName("io.rmiq:type=Server,port=" + port), new ServerView());
        } catch (JMException e) {
            log.warn("could not register rmiq's MBeans: {}", e.toString());
        }
    }

    private void register(MBeanServer mbeans, ObjectName name, Object bean) throws JMException {
        mbeans.registerMBean(bean, name);
        registered.add(name);
    }

    public void unregister() {
        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        for (ObjectName name : registered) {
            try {
                mbeans.unregisterMBean(name);
            } catch (JMException e) {
                log.debug("unregistering {} failed: {}", name, e.toString());
            }
        }
        registered.clear();
    }

    private QueueStats find(String name) {
        for (QueueStats q : source.queues()) {
            if (q.name().equals(name)) {
                return q;
            }
        }
        throw new IllegalStateException("no queue " + name);
    }

    private final class QueueView implements QueueMXBean {
        private final String name;
        private final Supplier<QueueStats> stats;

        QueueView(String name, Supplier<QueueStats> stats) {
            this.name = name;
            this.stats = stats;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public int getSize() {
            return stats.get().size();
        }

        @Override
        public int getInFlight() {
            return stats.get().inFlight();
        }

        @Override
        public int getCapacity() {
            return stats.get().capacity();
        }

        @Override
        public int getDeadLetters() {
            return stats.get().deadLetters();
        }

        @Override
        public long getPuts() {
            return stats.get().puts();
        }

        @Override
        public long getTakes() {
            return stats.get().takes();
        }

        @Override
        public long getAcks() {
            return stats.get().acks();
        }

        @Override
        public double getPutRate() {
            return putRate(name);
        }

        @Override
        public double getTakeRate() {
            return takeRate(name);
        }

        @Override
        public double getAckRate() {
            return ackRate(name);
        }

        @Override
        public long getOldestTaskAgeMillis() {
            return stats.get().oldestAgeMillis();
        }
    }

    private final class ServerView implements ServerMXBean {
        @Override
        public String getAdvertisedAddress() {
            return source.advertisedAddress();
        }

        @Override
        public long getUptimeSeconds() {
            return uptimeSeconds();
        }

        @Override
        public long getConnectionsAccepted() {
            return source.connectionsAccepted();
        }

        @Override
        public long getAuthFailures() {
            return source.authFailures();
        }

        @Override
        public int getSessions() {
            return source.sessions();
        }

        @Override
        public int getLocksHeld() {
            return source.locksHeld();
        }

        @Override
        public long getMemoryUsedBytes() {
            return source.memoryUsed();
        }

        @Override
        public long getMemoryLimitBytes() {
            return source.memoryLimit();
        }
    }
}
