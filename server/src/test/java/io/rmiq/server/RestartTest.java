package io.rmiq.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.api.DeadLetter;
import io.rmiq.api.Delivery;
import io.rmiq.api.DistributedQueue;
import io.rmiq.server.journal.FileJournal;
import io.rmiq.server.queue.QueueConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An embedded server with a data directory, stopped and started again on it. */
class RestartTest {

    @TempDir Path dataDir;

    QueueServer start() throws Exception {
        return QueueServer.builder().port(0).bind("127.0.0.1").authkey("restart-test").dataDir(dataDir)
                .fsync(FileJournal.Fsync.ALWAYS).segmentBytes(64 * 1024)
                .queue(new QueueConfig("tasks", Integer.MAX_VALUE, 60_000, 2)).queue("results").start();
    }

    @Test
    void restart_keepsPendingLeasedAndDeadTasks_andDropsFinishedOnes() throws Exception {
        try (QueueServer server = start()) {
            DistributedQueue<Integer> tasks = server.queue("tasks");
            tasks.putAll(IntStream.range(0, 10).boxed().toList());
            assertEquals(0, tasks.get());                                // taken for good
            Delivery<Integer> acked = tasks.receive(1, Duration.ZERO).get(0);
            assertTrue(acked.ack());                                     // finished
            tasks.receive(2, Duration.ZERO);                             // 2 and 3: leased, never acked
            Delivery<Integer> doomed = tasks.receive(1, Duration.ZERO).get(0);
            doomed.nack("first failure");
            Delivery<Integer> again = tasks.receive(1, Duration.ZERO).get(0);
            assertEquals(doomed.id(), again.id());
            again.nack("second failure");                               // 4 is now a dead letter
            server.<String>queue("results").put("a result");
        }
        try (QueueServer server = start()) {
            DistributedQueue<Integer> tasks = server.queue("tasks");
            List<Integer> left = new ArrayList<>();
            for (Delivery<Integer> d : tasks.receive(100, Duration.ZERO)) {
                left.add(d.payload());
            }
            assertEquals(List.of(2, 3, 5, 6, 7, 8, 9), left, "pending and leased come back, finished do not");
            DeadLetter letter = server.<DeadLetter>queue("tasks.dead").get();
            assertEquals("second failure", letter.reason());
            assertEquals(2, letter.attempts());
            assertEquals("a result", server.<String>queue("results").get());
        }
    }

    @Test
    void restart_afterManySegments_restoresEverythingAndNewIdsDoNotClash() throws Exception {
        long firstId;
        try (QueueServer server = start()) {
            DistributedQueue<String> tasks = server.queue("tasks");
            for (int i = 0; i < 50; i++) {
                tasks.putAll(IntStream.range(0, 100).mapToObj(n -> "x".repeat(50)).toList());
            }
            List<Delivery<String>> some = tasks.receive(1_000, Duration.ZERO);
            firstId = some.get(0).id();
            assertEquals(1_000, tasks.ack(some));
        }
        try (QueueServer server = start()) {
            DistributedQueue<String> tasks = server.queue("tasks");
            assertEquals(4_000, tasks.size());
            tasks.put("new");
            List<Delivery<String>> all = new ArrayList<>();
            while (all.size() < 4_001) {
                all.addAll(tasks.receive(1_000, Duration.ZERO));
            }
            assertEquals(4_001, all.stream().mapToLong(Delivery::id).distinct().count());
            assertTrue(all.stream().allMatch(d -> d.id() > firstId));
            assertEquals(4_001, tasks.ack(all));
        }
        try (QueueServer server = start()) {
            assertEquals(0, server.queue("tasks").size());
        }
    }

    @Test
    void restart_keepsItemsGivenBack() throws Exception {
        try (QueueServer server = start()) {
            io.rmiq.api.RemoteQueue tasks = server.queueService("tasks");
            server.<String>queue("tasks").putAll(List.of("a", "b"));
            byte[] taken = tasks.poll(2, 0, 0);
            tasks.giveBack(taken);
        }
        try (QueueServer server = start()) {
            assertEquals(List.of("a", "b"), server.<String>queue("tasks").take(10, Duration.ZERO));
        }
    }

    @Test
    void restart_keepsTheProducerWindow_soARetryAfterItIsStoredOnce() throws Exception {
        io.rmiq.serial.PayloadCodec codec = new io.rmiq.serial.PayloadCodec(io.rmiq.serial.AllowList.defaults(),
                io.rmiq.serial.SerialLimits.PAYLOAD);
        byte[] frame = io.rmiq.api.internal.ItemFrames.encode(List.of(codec.encode("a"), codec.encode("b")));
        try (QueueServer server = start()) {
            assertEquals(2, server.queueService("tasks").offer(frame, 0, 4242, 9));
        }
        try (QueueServer server = start()) {
            io.rmiq.api.RemoteQueue tasks = server.queueService("tasks");
            assertEquals(2, tasks.offer(frame, 0, 4242, 9), "the retry, after the restart");
            assertEquals(2, tasks.size());
            assertEquals(2, tasks.offer(frame, 0, 4242, 10));
            assertEquals(4, tasks.size());
        }
    }
}
