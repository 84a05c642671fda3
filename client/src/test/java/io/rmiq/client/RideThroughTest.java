package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.Delivery;
import io.rmiq.api.DistributedLock;
import io.rmiq.api.DistributedQueue;
import io.rmiq.api.ServerUnavailableException;
import io.rmiq.server.QueueServer;
import io.rmiq.server.queue.QueueConfig;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A client's calls ride through a server that restarts, fail over to another, and give up on time. */
class RideThroughTest {

    static final String KEY = "ride-through-test-key";
    @TempDir Path dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    /** RMI keeps listening on a port it picked itself, so a server that restarts in this JVM gets a fixed one. */
    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    QueueServer server(int port, String data) {
        try {
            return QueueServer.builder().port(port).bind("127.0.0.1").authkey(KEY).dataDir(dir.resolve(data))
                .queue(new QueueConfig("tasks", Integer.MAX_VALUE, 30_000, 5)).start();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    QueueClient client(Duration reconnect, int... ports) {
        List<InetSocketAddress> servers = new ArrayList<>();
        for (int p : ports) {
            servers.add(new InetSocketAddress("127.0.0.1", p));
        }
        QueueClient c = QueueClient.builder(servers).authkey(KEY).reconnectTimeout(reconnect).connect();
        closeables.add(c);
        return c;
    }

    /** Starts the server again on the same port and directory after {@code pause}, in the background. */
    CompletableFuture<QueueServer> restartAfter(Duration pause, int port) {
        CompletableFuture<QueueServer> started = CompletableFuture.supplyAsync(() -> {
            try {
                Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return server(port, "data");
        });
        closeables.add(() -> started.get(30, TimeUnit.SECONDS).close());
        return started;
    }

    @Test
    void everyKindOfCall_ridesThroughARestart() throws Exception {
        int port = freePort();
        QueueServer first = server(port, "data");
        QueueClient client = client(Duration.ofSeconds(30), port);
        DistributedQueue<String> tasks = client.queue("tasks");
        tasks.putAll(List.of("a", "b"));
        Delivery<String> held = tasks.receive(1, Duration.ofSeconds(1)).get(0);
        DistributedLock lock = client.lock("l");

        first.close();
        CompletableFuture<QueueServer> second = restartAfter(Duration.ofMillis(1500), port);
        long start = System.nanoTime();
        tasks.put("c"); // during the outage
        assertTrue(System.nanoTime() - start > 500_000_000L, "the put waited for the server");
        second.get(30, TimeUnit.SECONDS);
        assertEquals(false, held.ack(), "the restart released the lease");
        assertEquals(3, tasks.size());
        assertEquals(3, client.stats().stream().filter(s -> s.name().equals("tasks")).findFirst().orElseThrow().size());
        assertEquals(List.of("a", "b", "c"), tasks.peek(10));
        List<Delivery<String>> again = tasks.receive(3, Duration.ofSeconds(2));
        assertEquals(List.of("a", "b", "c"), again.stream().map(Delivery::payload).sorted().toList());
        assertEquals(3, tasks.ack(again));
        assertTrue(lock.tryLock(Duration.ofSeconds(1)));
        lock.unlock();
    }

    /** An executor task: a class of this test, allowed on every side as an application allows its own. */
    record Cube(long n) implements java.util.concurrent.Callable<Long>, java.io.Serializable {
        @Override
        public Long call() {
            return n * n * n;
        }
    }

    @Test
    void anExecutor_submitsAndCollectsResults_acrossARestart() throws Exception {
        int port = freePort();
        String allow = RideThroughTest.class.getName() + "*";
        java.util.function.Supplier<QueueServer> start = () -> {
            try {
                return QueueServer.builder().port(port).bind("127.0.0.1").authkey(KEY).dataDir(dir.resolve("exec"))
                        .queue("tasks").queue("results").allow(allow).start();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        QueueServer first = start.get();
        QueueClient submitter = QueueClient.builder("127.0.0.1", port).authkey(KEY).allow(allow).connect();
        QueueClient workerClient = QueueClient.builder("127.0.0.1", port).authkey(KEY).allow(allow).connect();
        closeables.add(submitter);
        closeables.add(workerClient);
        io.rmiq.client.worker.Worker<Object, Object> worker = io.rmiq.client.worker.Worker.builder(workerClient)
                .from("tasks").threads(2).handler(new io.rmiq.client.worker.TaskDispatcher(workerClient,
                        new io.rmiq.client.command.CommandRunner(), null)).build();
        CompletableFuture<Void> working = CompletableFuture.runAsync(() -> {
            try {
                worker.run();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        io.rmiq.client.executor.DistributedExecutor pool = io.rmiq.client.executor.DistributedExecutor.builder(submitter).build();
        assertEquals(8L, pool.submit(new Cube(2)).get(30, TimeUnit.SECONDS));

        first.close();
        CompletableFuture<QueueServer> second = CompletableFuture.supplyAsync(() -> {
            try {
                Thread.sleep(1_500);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return start.get();
        });
        closeables.add(() -> second.get(30, TimeUnit.SECONDS).close());
        // Submitted during the outage: the put rides through it, and so does the collector's receive.
        CompletableFuture<Long> during = pool.submit(new Cube(3));
        second.get(30, TimeUnit.SECONDS);
        CompletableFuture<Long> after = pool.submit(new Cube(4));
        assertEquals(27L, during.get(60, TimeUnit.SECONDS));
        assertEquals(64L, after.get(60, TimeUnit.SECONDS));
        pool.shutdownNow();
        worker.stop();
        working.get(30, TimeUnit.SECONDS);
    }

    @Test
    void aWaitingGet_ridesThroughARestart_andGetsWhatIsPutAfterIt() throws Exception {
        int port = freePort();
        QueueServer first = server(port, "data");
        QueueClient client = client(Duration.ofSeconds(30), port);
        DistributedQueue<String> tasks = client.queue("tasks");
        CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
            try {
                return tasks.get();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        first.close();
        QueueServer second = restartAfter(Duration.ofMillis(1000), port).get(30, TimeUnit.SECONDS);
        second.<String>queue("tasks").put("after");
        assertEquals("after", got.get(20, TimeUnit.SECONDS));
    }

    @Test
    void aPollWithATimeout_keepsItsDeadlineThroughAnOutage() throws Exception {
        int port = freePort();
        QueueServer first = server(port, "data");
        QueueClient client = client(Duration.ofSeconds(30), port);
        DistributedQueue<String> tasks = client.queue("tasks");
        first.close();
        long start = System.nanoTime();
        assertNull(tasks.poll(Duration.ofMillis(800)));
        long took = (System.nanoTime() - start) / 1_000_000;
        assertTrue(took >= 700 && took < 5_000, "returned after " + took + " ms");
    }

    @Test
    void anOutageLongerThanTheReconnectTimeout_endsInServerUnavailable_namingServerAndTimeout() throws Exception {
        int port = freePort();
        QueueServer first = server(port, "data");
        QueueClient client = client(Duration.ofSeconds(1), port);
        DistributedQueue<String> tasks = client.queue("tasks");
        first.close();
        long start = System.nanoTime();
        ServerUnavailableException e = assertThrows(ServerUnavailableException.class, () -> tasks.put("x"));
        long took = (System.nanoTime() - start) / 1_000_000;
        assertTrue(took >= 900 && took < 10_000, "gave up after " + took + " ms");
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertTrue(e.getMessage().contains("reconnect timeout is 1 s"), e.getMessage());
        // a get without a deadline gives up too, though each of its long-polls is short
        assertThrows(ServerUnavailableException.class, tasks::get);
    }

    @Test
    void aZeroReconnectTimeout_failsAtOnce() throws Exception {
        int port = freePort();
        QueueServer first = server(port, "data");
        QueueClient client = client(Duration.ZERO, port);
        DistributedQueue<String> tasks = client.queue("tasks");
        first.close();
        long start = System.nanoTime();
        assertThrows(ServerUnavailableException.class, () -> tasks.put("x"));
        assertTrue(System.nanoTime() - start < 3_000_000_000L);
    }

    @Test
    void aClientListingTwoServers_carriesOnWithTheSecond_whenTheFirstStops() throws Exception {
        int portA = freePort();
        int portB = freePort();
        QueueServer a = server(portA, "a");
        QueueServer b = server(portB, "b");
        closeables.add(b);
        QueueClient client = client(Duration.ofSeconds(20), portA, portB);
        DistributedQueue<String> tasks = client.queue("tasks");
        tasks.put("on a");
        assertEquals(1, a.<String>queue("tasks").size());
        a.close();
        tasks.put("on b");
        assertEquals(List.of("on b"), b.<String>queue("tasks").take(10, Duration.ZERO));
    }

    @Test
    void connect_toAListWhoseFirstServerIsDown_usesTheNext() throws Exception {
        int down = freePort();
        int portB = freePort();
        closeables.add(server(portB, "b"));
        QueueClient client = client(Duration.ofSeconds(5), down, portB);
        client.queue("tasks").put("x");
        assertEquals(1, client.queue("tasks").size());
    }
}
