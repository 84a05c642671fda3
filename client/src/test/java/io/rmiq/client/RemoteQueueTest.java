package io.rmiq.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rmiq.api.Delivery;
import io.rmiq.api.DistributedQueue;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The contract through a real client over 127.0.0.1: handshake, RMI, filters and all. */
class RemoteQueueTest extends QueueContractTest {

    private QueueClient client;

    @Override
    <E> DistributedQueue<E> queue(String name) {
        if (client == null) {
            client = connect();
        }
        return client.queue(name);
    }

    /** A client that fails at once when the server is gone, as the contract expects of a stopped server. */
    QueueClient connect() {
        QueueClient c = QueueClient.builder("127.0.0.1", server.port()).authkey(KEY).reconnectTimeout(Duration.ZERO)
                .connect();
        closeables.add(c);
        return c;
    }

    @Test
    void closingAClient_returnsItsLeasedTasksAtOnce() throws Exception {
        QueueClient worker = connect();
        DistributedQueue<String> mine = worker.queue("tasks");
        mine.putAll(List.of("x", "y"));
        List<Delivery<String>> held = mine.receive(2, Duration.ofSeconds(1));
        assertEquals(2, held.size());
        worker.close();

        DistributedQueue<String> other = queue("tasks");
        await().atMost(Duration.ofSeconds(5)).until(() -> other.size() == 2);
        List<Delivery<String>> again = other.receive(2, Duration.ofSeconds(1));
        assertEquals(List.of("x", "y"), again.stream().map(Delivery::payload).toList());
        assertEquals(List.of(2, 2), again.stream().map(Delivery::attempt).toList());
    }

    @Test
    void requeueDead_movesDeadLettersBackAsFreshTasks() throws Exception {
        DistributedQueue<Integer> q = queue("flaky");
        q.put(99);
        for (int i = 0; i < 2; i++) {
            q.receive(1, Duration.ofSeconds(1)).get(0).nack("fails");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> queue("flaky.dead").size() == 1);
        assertEquals(1, client.requeueDead("flaky", 100));
        Delivery<Integer> back = q.receive(1, Duration.ofSeconds(1)).get(0);
        assertEquals(99, back.payload());
        assertEquals(1, back.attempt());
        assertEquals(0, queue("flaky.dead").size());
    }
}
