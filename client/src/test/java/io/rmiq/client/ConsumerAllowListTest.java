package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.Delivery;
import io.rmiq.api.DistributedQueue;
import io.rmiq.api.PayloadRejectedException;
import io.rmiq.server.QueueServer;
import io.rmiq.server.queue.QueueConfig;
import java.io.Serializable;
import java.math.RoundingMode;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.Period;
import java.time.Year;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Currency;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Stack;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.Vector;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A consumer whose allow list lacks a class the server allows must not lose other people's work, and
 * the JDK values the README names travel to a default consumer.
 */
class ConsumerAllowListTest {

    static final String KEY = "consumer-allow-list-key";

    /** A user's type: on the server's and the producer's allow lists, not on the narrow consumer's. */
    record Order(String id, int amount) implements Serializable {
    }

    private QueueServer server;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = QueueServer.builder().port(0).bind("127.0.0.1").authkey(KEY)
                .allow("io.rmiq.client.ConsumerAllowListTest$Order").allow("io.rmiq.client.ConsumerAllowListTest$Echo")
                .queue(new QueueConfig("tasks", Integer.MAX_VALUE, 30_000, 5)).queue("results").start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        server.close();
    }

    private QueueClient client(boolean allowsOrders) {
        QueueClient.Builder b = QueueClient.builder("127.0.0.1", server.port()).authkey(KEY);
        if (allowsOrders) {
            b.allow("io.rmiq.client.ConsumerAllowListTest$Order");
        }
        QueueClient c = b.connect();
        closeables.add(c);
        return c;
    }

    private DistributedQueue<Object> threeOrders() throws Exception {
        DistributedQueue<Object> producer = client(true).queue("tasks");
        producer.putAll(List.of(new Order("a", 1), new Order("b", 2), new Order("c", 3)));
        return producer;
    }

    private static void assertAllThreeInOrder(DistributedQueue<Object> q) throws Exception {
        assertEquals(List.of(new Order("a", 1), new Order("b", 2), new Order("c", 3)), q.take(10, Duration.ofSeconds(2)));
    }

    @Test
    void get_thatCannotDeserialize_throwsAndLeavesTheItemAtTheHead() throws Exception {
        DistributedQueue<Object> producer = threeOrders();
        DistributedQueue<Object> narrow = client(false).queue("tasks");
        PayloadRejectedException e = assertThrows(PayloadRejectedException.class, narrow::get);
        assertTrue(e.getMessage().contains("stays at the head of queue 'tasks'"), e.getMessage());
        assertTrue(e.getMessage().contains("ConsumerAllowListTest$Order"), e.getMessage());
        assertEquals(3, narrow.size());
        assertThrows(PayloadRejectedException.class, () -> narrow.poll(Duration.ofSeconds(1)));
        assertThrows(PayloadRejectedException.class, () -> narrow.take(2, Duration.ofSeconds(1)));
        assertEquals(3, producer.size());
        assertAllThreeInOrder(producer);
    }

    @Test
    void receive_thatCannotDeserialize_handsTheTaskBack_withoutSpendingAttempts() throws Exception {
        DistributedQueue<Object> producer = threeOrders();
        DistributedQueue<Object> narrow = client(false).queue("tasks");
        for (int i = 0; i < 3; i++) {
            assertEquals(List.of(), narrow.receive(10, Duration.ofMillis(200)));
        }
        assertEquals(0, client(true).queue("tasks.dead").size(), "nothing dead-lettered");
        assertEquals(3, producer.size());
        // The items come back after the hand-back delay, to a consumer that can read them, on their first attempt.
        List<Delivery<Object>> got = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (got.size() < 3 && System.nanoTime() < deadline) {
            got.addAll(producer.receive(3, Duration.ofSeconds(1)));
        }
        assertEquals(List.of(new Order("a", 1), new Order("b", 2), new Order("c", 3)),
                got.stream().map(Delivery::payload).sorted(Comparator.comparing(o -> ((Order) o).id())).toList());
        assertEquals(List.of(1, 1, 1), got.stream().map(Delivery::attempt).toList());
        assertEquals(3, producer.ack(got));
    }

    /** The JDK values the README promises, each as a default consumer gets it back. */
    static List<Object> jdkValues() {
        TreeMap<String, Integer> sorted = new TreeMap<>(Map.of("b", 2, "a", 1));
        TreeSet<String> reversed = new TreeSet<>(Collections.reverseOrder());
        reversed.addAll(List.of("x", "y"));
        TreeSet<String> caseless = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        caseless.addAll(List.of("B", "a"));
        TreeMap<Integer, String> natural = new TreeMap<>(Comparator.naturalOrder());
        natural.put(1, "one");
        Vector<Integer> vector = new Vector<>(List.of(1, 2));
        Stack<Integer> stack = new Stack<>();
        stack.push(3);
        IdentityHashMap<String, Integer> identity = new IdentityHashMap<>();
        identity.put("k", 1);
        return List.of(Instant.ofEpochSecond(1_700_000_000, 5), LocalDate.of(2026, 12, 3),
                LocalDateTime.of(2026, 12, 3, 5, 6), LocalTime.NOON, Duration.ofMillis(1500),
                ZonedDateTime.of(2026, 12, 3, 5, 6, 7, 0, ZoneId.of("Europe/Paris")),
                OffsetDateTime.of(2026, 12, 3, 5, 6, 7, 0, ZoneOffset.ofHours(2)), Period.ofDays(3),
                Year.of(2026), YearMonth.of(2026, 12), ZoneId.of("UTC"), ZoneOffset.UTC,
                sorted, reversed, caseless, natural, new PriorityQueue<>(List.of(3, 1, 2)), vector, stack,
                identity, new java.util.Hashtable<>(Map.of("h", 1)),
                Collections.synchronizedList(new ArrayList<>(List.of(1))),
                Collections.synchronizedMap(new HashMap<>(Map.of("s", 1))),
                new ConcurrentHashMap<>(Map.of("c", 1)), new ConcurrentSkipListMap<>(Map.of("k", 1)),
                new CopyOnWriteArrayList<>(List.of(1, 2)), new ConcurrentLinkedQueue<>(List.of(1)),
                TimeUnit.SECONDS, RoundingMode.HALF_UP, new AtomicLong(42), new AtomicInteger(7),
                new AtomicBoolean(true), URI.create("https://example.com/a?b=c"), Locale.FRANCE,
                Currency.getInstance("EUR"), new StringBuilder("sb"), new StringBuffer("sbuf"),
                Arrays.asList(1, null), List.of(LocalDate.of(2000, 1, 1)));
    }

    /** What a value is, for comparing: some of these types have no value-based equals. */
    static String describe(Object v) {
        if (v instanceof Collection<?> c && !(v instanceof List<?>) && !(v instanceof java.util.Set<?>)) {
            List<Object> items = new ArrayList<>(c);
            if (v instanceof PriorityQueue<?>) {
                items.sort(null);
            }
            return v.getClass().getName() + items;
        }
        return v.getClass().getName() + ":" + v;
    }

    @Test
    void jdkValues_reachADefaultConsumer_throughGetTakeAndReceive() throws Exception {
        List<Object> values = jdkValues();
        List<String> expected = values.stream().map(ConsumerAllowListTest::describe).toList();
        DistributedQueue<Object> producer = client(false).queue("tasks");
        DistributedQueue<Object> consumer = client(false).queue("tasks");

        producer.putAll(values);
        List<String> got = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            got.add(describe(consumer.get()));
        }
        assertEquals(expected, got);

        producer.putAll(values);
        assertEquals(expected, consumer.take(values.size(), Duration.ofSeconds(2)).stream()
                .map(ConsumerAllowListTest::describe).toList());

        producer.putAll(values);
        List<Delivery<Object>> received = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (received.size() < values.size() && System.nanoTime() < deadline) {
            received.addAll(consumer.receive(values.size(), Duration.ofSeconds(1)));
        }
        assertEquals(expected, received.stream().map(d -> describe(d.payload())).toList());
        assertEquals(values.size(), consumer.ack(received));
        assertEquals(0, client(false).queue("tasks.dead").size());
    }

    /** An executor task that hands its value back: the value travels there and back inside it. */
    record Echo(Object value) implements io.rmiq.client.executor.RemoteCallable<Object> {
        @Override
        public Object call() {
            return value;
        }
    }

    @Test
    void jdkValues_reachADefaultWorker_andAnExecutorsCaller() throws Exception {
        List<Object> values = jdkValues();
        List<String> expected = values.stream().map(ConsumerAllowListTest::describe).sorted().toList();
        QueueClient workerClient = QueueClient.builder("127.0.0.1", server.port()).authkey(KEY)
                .allow("io.rmiq.client.ConsumerAllowListTest$Echo").connect();
        closeables.add(workerClient);
        io.rmiq.client.worker.Worker<Object, Object> echo = io.rmiq.client.worker.Worker.builder(workerClient)
                .from("tasks").to("results").threads(1).handler(v -> v).idleExit(Duration.ofSeconds(2)).build();
        client(false).queue("tasks").putAll(values);
        echo.run();
        List<Object> results = client(false).queue("results").take(values.size(), Duration.ofSeconds(2));
        assertEquals(expected, results.stream().map(ConsumerAllowListTest::describe).sorted().toList());
        assertEquals(0, client(false).queue("tasks.dead").size());

        io.rmiq.client.worker.Worker<Object, Object> calls = io.rmiq.client.worker.Worker.builder(workerClient)
                .from("tasks").threads(2).handler(new io.rmiq.client.worker.TaskDispatcher(workerClient,
                        new io.rmiq.client.command.CommandRunner(), null)).build();
        java.util.concurrent.CompletableFuture<Void> running = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                calls.run();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        QueueClient caller = QueueClient.builder("127.0.0.1", server.port()).authkey(KEY)
                .allow("io.rmiq.client.ConsumerAllowListTest$Echo").connect();
        closeables.add(caller);
        io.rmiq.client.executor.DistributedExecutor pool = io.rmiq.client.executor.DistributedExecutor.builder(caller).build();
        List<String> echoed = new ArrayList<>();
        for (Object v : values) {
            echoed.add(describe(pool.submit(new Echo(v)).get(30, TimeUnit.SECONDS)));
        }
        assertEquals(expected, echoed.stream().sorted().toList());
        pool.shutdownNow();
        calls.stop();
        running.get(30, TimeUnit.SECONDS);
    }
}
