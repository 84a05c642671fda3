package io.rmiq.server.store.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LeaseTableTest {

    private static Task task(long id) {
        return new Task(id, new byte[0], 1, 0, 0);
    }

    @Test
    void randomOperations_agreeWithAHashMap() {
        LeaseTable table = new LeaseTable();
        Map<Long, Task> reference = new HashMap<>();
        Random random = new Random(11);
        for (int step = 0; step < 200_000; step++) {
            // ids from a narrow range, so that probe runs collide, wrap and shrink often
            long id = random.nextInt(5_000) + (random.nextBoolean() ? 0 : Long.MAX_VALUE - 2_500);
            switch (random.nextInt(step < 100_000 ? 3 : 4)) {
                case 0 -> {
                    Task t = task(id);
                    table.put(t);
                    reference.put(id, t);
                }
                case 1 -> assertSame(reference.remove(id), table.remove(id));
                case 2 -> assertSame(reference.get(id), table.get(id));
                default -> { // drains, so the table shrinks again
                    for (Long k : new ArrayList<>(reference.keySet())) {
                        if (random.nextInt(4) > 0) {
                            assertSame(reference.remove(k), table.remove(k));
                        }
                    }
                }
            }
            assertEquals(reference.size(), table.size());
        }
        Set<Task> seen = new HashSet<>();
        table.forEach(seen::add);
        assertEquals(new HashSet<>(reference.values()), seen);
    }

    @Test
    void removeIf_removesExactlyTheSelected() {
        LeaseTable table = new LeaseTable();
        for (long id = 0; id < 10_000; id++) {
            table.put(task(id));
        }
        List<Task> even = table.removeIf(t -> t.id % 2 == 0);
        assertEquals(5_000, even.size());
        assertEquals(5_000, table.size());
        for (long id = 0; id < 10_000; id++) {
            if (id % 2 == 0) {
                assertNull(table.get(id));
            } else {
                assertEquals(id, table.get(id).id);
            }
        }
    }
}
