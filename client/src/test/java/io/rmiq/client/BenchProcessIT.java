package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.client.Processes.Proc;
import io.rmiq.client.Processes.ServerProc;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code client.jar bench} as a user runs it, with small sizes: it reports every figure issue 5 names
 * (scripts read these keys), leaves the queues empty, and refuses to load queues that hold items.
 * No figure is judged here: performance is the benchmark's business, not the test suite's.
 */
class BenchProcessIT extends ProcessTestBase {

    static final List<String> KEYS = List.of("connect_ms", "putget_pairs_per_s", "batch_items_per_s",
            "pipeline_tasks_per_s", "call_p50_us", "call_p99_us", "call_p999_us", "server_heap_bytes_per_task",
            "concurrent_ratio");

    @Test
    void json_reportsEveryFigure_andLeavesTheQueuesEmpty() throws Exception {
        ServerProc server = procs.server(dir);
        Proc bench = client(server, "bench", "--json", "--warmup", "0", "--pairs", "200", "--batches", "3",
                "--latency-calls", "200", "--pipeline-tasks", "3000", "--heap-tasks", "20000", "--clients", "4");
        assertEquals(0, bench.awaitExit(LONG), bench.all());
        assertEquals(1, bench.out.size(), bench.all());
        String json = bench.out.get(0);
        for (String key : KEYS) {
            Matcher m = Pattern.compile("\"" + key + "\":([0-9.]+)").matcher(json);
            assertTrue(m.find(), key + " missing from " + json);
            assertTrue(Double.parseDouble(m.group(1)) > 0, key + " is not positive in " + json);
        }
        try (QueueClient c = connect(server)) {
            assertEquals(0, c.queue("tasks").size());
            assertEquals(0, c.queue("results").size());
        }
    }

    @Test
    void refusesQueuesThatHoldItems_andBadSizes() throws Exception {
        ServerProc server = procs.server(dir);
        Proc bad = client(server, "bench", "--pairs", "0");
        assertEquals(2, bad.awaitExit(LONG), bad.all());
        assertTrue(bad.all().contains("every size must be at least 1"), bad.all());
        try (QueueClient c = connect(server)) {
            c.queue("tasks").put(1);
        }
        Proc busy = client(server, "bench", "--skip", "connect");
        assertEquals(1, busy.awaitExit(LONG), busy.all());
        assertTrue(busy.all().contains("bench needs 'tasks' and 'results' empty"), busy.all());
    }
}
