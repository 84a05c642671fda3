package io.rmiq.server.store.embedded;

import io.rmiq.api.DeadLetter;
import io.rmiq.server.journal.FileJournal;
import io.rmiq.server.journal.Journal;
import io.rmiq.server.journal.PrivateFiles;
import io.rmiq.server.journal.ProducerWindow;
import io.rmiq.server.queue.QueueConfig;
import io.rmiq.server.store.QueueStore;
import io.rmiq.server.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The zero-setup store: queues in this JVM's heap, and with a data directory every change in a file
 * journal there, replayed at start. Journal segments, compaction and the producers' window stay in
 * here; nothing above the {@link Store} seam sees them.
 */
public final class EmbeddedStore implements Store {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedStore.class);

    /** Where the scratch queues keep their journals, inside the data directory. */
    public static final String SCRATCH_DIR = "python-warmup";

    private final Path dataDir;
    private final FileJournal.Fsync fsync;
    private final long segmentBytes;
    private final LongSupplier clock;
    private final MemoryBudget memory;
    private final Journal journal;
    private final Map<String, QueueStore> queues = new TreeMap<>();
    private final Map<String, LocalQueue> local = new TreeMap<>();

    /**
     * Opens the journal in {@code dataDir}/journal (none when {@code dataDir} is null) and restores
     * what it holds into {@code configs}' queues, each with its {@code NAME.dead}.
     *
     * @param deadLetterCodec serializes a dead letter into the dead queue's item bytes
     */
    public static EmbeddedStore open(Path dataDir, FileJournal.Fsync fsync, long segmentBytes,
            Collection<QueueConfig> configs, LongSupplier clock, MemoryBudget memory,
            Function<DeadLetter, byte[]> deadLetterCodec) throws IOException {
        return new EmbeddedStore(dataDir, fsync, segmentBytes, configs, clock, memory, deadLetterCodec);
    }

    private EmbeddedStore(Path dataDir, FileJournal.Fsync fsync, long segmentBytes, Collection<QueueConfig> configs,
            LongSupplier clock, MemoryBudget memory, Function<DeadLetter, byte[]> deadLetterCodec) throws IOException {
        this.dataDir = dataDir;
        this.fsync = fsync;
        this.segmentBytes = segmentBytes;
        this.clock = clock;
        this.memory = memory;
        AtomicLong ids = new AtomicLong(1);
        FileJournal.Recovery recovery = null;
        if (dataDir != null) {
            // The data directory first, on its own: made in one step it needs no look at its parent,
            // which a Security Manager policy granting only the data directory would refuse.
            PrivateFiles.directory(dataDir);
            recovery = FileJournal.open(dataDir.resolve("journal"), fsync, segmentBytes);
            this.journal = recovery.journal();
            ids.set(recovery.nextId());
        } else {
            this.journal = Journal.NONE;
        }
        IdempotentPuts idempotent = recovery != null
                ? new IdempotentPuts(recovery.producers(), true) : new IdempotentPuts(new ProducerWindow(), false);
        for (QueueConfig config : configs) {
            LocalQueue dead = new LocalQueue(QueueConfig.deadLettersOf(config), journal, ids, clock, null, null, memory,
                    idempotent);
            LocalQueue queue = new LocalQueue(config, journal, ids, clock, dead, deadLetterCodec, memory, idempotent);
            local.put(queue.name(), queue);
            local.put(dead.name(), dead);
        }
        queues.putAll(local);
        if (recovery != null) {
            restore(recovery);
            recovery.journal().compactor(this::copyForward);
        }
    }

    private void restore(FileJournal.Recovery recovery) {
        int restored = 0;
        Map<String, Integer> unserved = new TreeMap<>();
        List<FileJournal.Recovered> orphans = new ArrayList<>();
        for (FileJournal.Recovered task : recovery.tasks()) {
            LocalQueue q = local.get(task.queue());
            if (q == null) {
                // Its put stays live in the journal, so the task waits there until the queue is served again.
                unserved.merge(task.queue(), 1, Integer::sum);
                orphans.add(task);
                continue;
            }
            q.restore(task.id(), task.attempt(), task.payload(), task.segment());
            restored++;
        }
        if (restored > 0) {
            log.info("restored {} unfinished task{} from the journal", restored, restored == 1 ? "" : "s");
        }
        recovery.journal().adopt(orphans);
        unserved.forEach((queue, n) -> log.warn("the journal holds {} task{} of queue '{}', which this server does "
                + "not serve; they stay in the journal until it does", n, n == 1 ? "" : "s", queue));
    }

    /** Copies every queue's live tasks out of an old journal segment, so that it can be deleted. */
    private int copyForward(int segment) throws IOException {
        int n = 0;
        for (LocalQueue q : local.values()) {
            n += q.copyForward(segment);
        }
        return n;
    }

    @Override
    public Map<String, QueueStore> queues() {
        return Collections.unmodifiableMap(queues);
    }

    @Override
    public String describe() {
        return dataDir == null ? "in memory only (no data directory)"
                : "journal in " + dataDir.resolve("journal").toAbsolutePath() + ", fsync "
                        + fsync.name().toLowerCase(Locale.ROOT);
    }

    /** Its own journal in {@link #SCRATCH_DIR} when the served queues have one; deleted when closed. */
    @Override
    public Scratch scratch(String name) throws IOException {
        QueueConfig config = QueueConfig.of(name);
        if (dataDir == null) {
            return memoryScratch(name, clock, memory);
        }
        Path dir = dataDir.resolve(SCRATCH_DIR);
        deleteTree(dir); // left behind by a server killed during its warm-up
        FileJournal.Recovery r = FileJournal.open(dir.resolve(name), fsync, segmentBytes);
        LocalQueue q = new LocalQueue(config, r.journal(), new AtomicLong(1), clock, null, null, memory,
                new IdempotentPuts(r.producers(), true));
        return scratch(q, () -> {
            try {
                r.journal().close();
            } finally {
                deleteTree(dir);
            }
        });
    }

    /** A scratch queue in this JVM's heap only, for a store whose own scratch queues would outlive a crash. */
    public static Scratch memoryScratch(String name, LongSupplier clock, MemoryBudget memory) {
        LocalQueue q = new LocalQueue(QueueConfig.of(name), Journal.NONE, new AtomicLong(1), clock, null, null, memory,
                new IdempotentPuts(new ProducerWindow(), false));
        return scratch(q, () -> { });
    }

    private interface Cleanup {
        void run() throws IOException;
    }

    private static Scratch scratch(LocalQueue queue, Cleanup cleanup) {
        return new Scratch() {
            @Override
            public QueueStore queue() {
                return queue;
            }

            @Override
            public void close() throws IOException {
                queue.close();
                cleanup.run();
            }
        };
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Closes the queues, releasing their waiters, then flushes and closes the journal. */
    @Override
    public void close() throws IOException {
        local.values().forEach(LocalQueue::close);
        journal.close();
    }
}
