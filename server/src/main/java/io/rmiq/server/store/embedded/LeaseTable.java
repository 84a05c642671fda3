package io.rmiq.server.store.embedded;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Leased tasks by id: an open-addressing table with primitive keys. Not thread-safe; its queue's lock
 * guards it.
 *
 * <p>Why not a {@code HashMap<Long, Task>}: every receive and ack of a worker's batch looks up
 * thousands of ids, and boxing them and comparing {@code Long}s was a tenth of the server's time in
 * the pipeline profile.
 */
final class LeaseTable {

    private static final int MIN_CAPACITY = 64;

    private long[] ids = new long[MIN_CAPACITY];
    private Task[] tasks = new Task[MIN_CAPACITY];
    private int size;

    int size() {
        return size;
    }

    Task get(long id) {
        int mask = tasks.length - 1;
        for (int i = slot(id, mask); tasks[i] != null; i = (i + 1) & mask) {
            if (ids[i] == id) {
                return tasks[i];
            }
        }
        return null;
    }

    /** Adds or replaces the task under its id. */
    void put(Task t) {
        if (2 * (size + 1) > tasks.length) {
            resize(tasks.length * 2);
        }
        int mask = tasks.length - 1;
        int i = slot(t.id, mask);
        while (tasks[i] != null) {
            if (ids[i] == t.id) {
                tasks[i] = t;
                return;
            }
            i = (i + 1) & mask;
        }
        ids[i] = t.id;
        tasks[i] = t;
        size++;
    }

    /** @return the task that was under {@code id}, or null */
    Task remove(long id) {
        int mask = tasks.length - 1;
        for (int i = slot(id, mask); tasks[i] != null; i = (i + 1) & mask) {
            if (ids[i] == id) {
                Task t = tasks[i];
                removeAt(i);
                return t;
            }
        }
        return null;
    }

    /** Each task once; {@code action} must not change the table. */
    void forEach(Consumer<Task> action) {
        for (Task t : tasks) {
            if (t != null) {
                action.accept(t);
            }
        }
    }

    /** Removes and returns every task that {@code which} selects. */
    List<Task> removeIf(Predicate<Task> which) {
        List<Task> out = new ArrayList<>();
        forEach(t -> {
            if (which.test(t)) {
                out.add(t);
            }
        });
        for (Task t : out) {
            remove(t.id);
        }
        return out;
    }

    /** Deletes by shifting later entries of the probe run back, so no tombstones pile up. */
    private void removeAt(int hole) {
        int mask = tasks.length - 1;
        int i = hole;
        for (int j = (i + 1) & mask; tasks[j] != null; j = (j + 1) & mask) {
            int home = slot(ids[j], mask);
            // j's entry may fill the hole unless its home lies cyclically in (hole, j]
            boolean stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) {
                ids[i] = ids[j];
                tasks[i] = tasks[j];
                i = j;
            }
        }
        tasks[i] = null;
        size--;
        if (tasks.length > MIN_CAPACITY && 8 * size < tasks.length) {
            resize(tasks.length / 2);
        }
    }

    private void resize(int capacity) {
        Task[] old = tasks;
        ids = new long[capacity];
        tasks = new Task[capacity];
        size = 0;
        for (Task t : old) {
            if (t != null) {
                put(t);
            }
        }
    }

    /** Task ids are consecutive: a multiplicative hash spreads them over the table. */
    private static int slot(long id, int mask) {
        long h = id * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
