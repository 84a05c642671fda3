package io.rmiq.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DistributedQueue;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A deep queue is bounded by the server's memory limit, not by the JVM running out of heap. */
class MemoryLimitTest {

    @Test
    void producers_waitWhenTheMemoryLimitIsReached_andGoOnWhenItemsLeave() throws Exception {
        try (QueueServer server = QueueServer.builder().port(0).bind("127.0.0.1").authkey("memory-test")
                .maxMemory(1 << 20).queue("tasks").queue("other").start()) {
            DistributedQueue<byte[]> tasks = server.queue("tasks");
            DistributedQueue<byte[]> other = server.queue("other");
            byte[] item = new byte[100_000];
            int accepted = 0;
            while (tasks.offer(item, Duration.ZERO)) {
                accepted++;
                assertTrue(accepted < 100, "the limit should stop this well before 100 items");
            }
            assertTrue(accepted >= 9, "about 1 MiB of 100 kB items fits: " + accepted);
            assertTrue(server.memoryUsed() <= server.memoryLimit());
            assertFalse(other.offer(item, Duration.ofMillis(100)), "the limit is shared by every queue");

            assertNotNull(tasks.poll(Duration.ZERO));
            assertTrue(other.offer(item, Duration.ofSeconds(1)), "room again once an item left");
        }
    }
}
