package io.rmiq.server.journal;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal on disk: append-only segment files of length-prefixed, CRC32C-checked records.
 *
 * <pre>
 * record   = length:int32 crc32c:int32 body[length]
 * body     = PUT     queue id:int64 attempt:int32 payloadLength:int32 payload
 *          | ACK     queue id:int64
 *          | PRODUCED "" producer:int64 atMillis:int64 n:int32 (sequence:int64 count:int32){n}
 *          | REQUEUE queue id:int64 attempt:int32
 * queue    = length:uint16 utf8
 * </pre>
 *
 * <p>Recovery replays every segment in order. A record cut short at the end of the newest segment (a
 * write the process did not finish) is dropped with a warning; a bad record anywhere else stops the
 * start with the file and offset, because silently skipping it could bring back acked tasks or lose
 * unacked ones.
 *
 * <p>Compaction: a segment is deleted once nothing in it is live and every older segment is gone
 * (an ack in a newer segment may be what keeps an older task finished). When the oldest segment is
 * mostly finished, its few live tasks are copied forward so that it can go.
 */
public final class FileJournal implements Journal {

    /** When writes reach the disk, as opposed to the operating system's cache. */
    public enum Fsync {
        /** Before every write returns; concurrent writers share one fsync (group commit). */
        ALWAYS,
        /** At least every 100 ms, in the background. */
        INTERVAL,
        /** When the operating system decides. */
        NEVER
    }

    public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
    static final long INTERVAL_MILLIS = 100;
    private static final int MAX_RECORD = 256 << 20;
    private static final byte PUT = 1;
    private static final byte ACK = 2;
    private static final byte REQUEUE = 3;
    private static final byte PRODUCED = 4;
    private static final Pattern SEGMENT = Pattern.compile("segment-(\\d{10})\\.log");
    private static final Logger log = LoggerFactory.getLogger(FileJournal.class);

    /** A task the journal says is unfinished. */
    public record Recovered(String queue, long id, int attempt, byte[] payload, int segment) {
    }

    /** What {@link #open} found. */
    public record Recovery(FileJournal journal, List<Recovered> tasks, long nextId, ProducerWindow producers) {
    }

    /** Copies the live tasks of a segment forward (see {@link io.rmiq.server.store.embedded.LocalQueue#copyForward}). */
    @FunctionalInterface
    public interface Compactor {
        int copyForward(int segment) throws IOException;
    }

    private final Path dir;
    private final Fsync fsync;
    private final long segmentBytes;
    private final FileChannel lockFile;
    private final FileLock dirLock;

    // Written with RandomAccessFile rather than a FileChannel: an interrupted caller would close a
    // FileChannel for every thread, and writes run on callers' threads.
    private final Object writeLock = new Object();
    /** Kept between writes, under the write lock; batches larger than this get their own. */
    private static final int KEPT_BUFFER_BYTES = 1 << 20;
    private ByteBuffer encoded;
    private RandomAccessFile active;
    private int activeSegment;
    private long activeSize;
    private long written;
    private boolean closed;
    private final TreeSet<Integer> segments = new TreeSet<>();
    private final Map<Integer, Integer> live = new HashMap<>();
    private final Map<Integer, Integer> puts = new HashMap<>();
    /** For an old segment whose last live task just finished: the write that finished it. */
    private final Map<Integer, Long> finishedAt = new HashMap<>();
    /** Tasks of queues the server no longer serves: the journal itself copies them forward. */
    private final Map<Long, Recovered> orphans = new HashMap<>();

    private final Object syncLock = new Object();
    private volatile long synced;

    private final ScheduledExecutorService flusher;
    private final ExecutorService compaction;
    private volatile Compactor compactor;
    /** Fed under the write lock, so the snapshot a new segment starts with has every journaled put. */
    private final ProducerWindow producers = new ProducerWindow();
    /** Bytes of the active segment taken by its window snapshot: they do not count toward rolling. */
    private long snapshotBytes;

    private FileJournal(Path dir, Fsync fsync, long segmentBytes, FileChannel lockFile, FileLock dirLock) {
        this.dir = dir;
        this.fsync = fsync;
        this.segmentBytes = segmentBytes;
        this.lockFile = lockFile;
        this.dirLock = dirLock;
        this.flusher = fsync == Fsync.INTERVAL ? Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "rmiq-journal-flush")) : null;
        this.compaction = Executors.newSingleThreadExecutor(r -> daemon(r, "rmiq-journal-compact"));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Opens the journal in {@code dir}, replays it, and starts a fresh segment for new writes.
     *
     * @throws IOException if another server holds the directory, or a segment is corrupt before its end
     */
    public static Recovery open(Path dir, Fsync fsync, long segmentBytes) throws IOException {
        PrivateFiles.directory(dir);
        FileChannel lockFile = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        PrivateFiles.restrict(dir.resolve("lock"));
        FileLock dirLock;
        try {
            dirLock = lockFile.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            dirLock = null; // held by this very JVM
        } catch (IOException e) {
            lockFile.close();
            throw e;
        }
        if (dirLock == null) {
            lockFile.close();
            throw new IOException("journal " + dir + " is in use by another rmiq server");
        }
        FileJournal journal = new FileJournal(dir, fsync, segmentBytes, lockFile, dirLock);
        try {
            return journal.recover();
        } catch (IOException | RuntimeException e) {
            journal.close();
            throw e;
        }
    }

    private Recovery recover() throws IOException {
        List<Integer> found = new ArrayList<>();
        try (var files = Files.list(dir)) {
            files.forEach(p -> {
                Matcher m = SEGMENT.matcher(p.getFileName().toString());
                if (m.matches()) {
                    found.add(Integer.parseInt(m.group(1)));
                }
            });
        }
        found.sort(null);
        // Empty segments hold nothing, and would hide which segment was being written when the process
        // stopped: the only one whose last record may be torn.
        for (var it = found.iterator(); it.hasNext(); ) {
            Path p = segmentPath(it.next());
            if (Files.size(p) == 0) {
                Files.delete(p);
                it.remove();
            }
        }
        Map<Long, Recovered> tasks = new LinkedHashMap<>();
        long maxId = 0;
        for (int i = 0; i < found.size(); i++) {
            int seg = found.get(i);
            maxId = Math.max(maxId, replay(seg, i == found.size() - 1, tasks));
            segments.add(seg);
        }
        for (Recovered t : tasks.values()) {
            live.merge(t.segment(), 1, Integer::sum);
        }
        synchronized (writeLock) {
            startSegment(found.isEmpty() ? 1 : found.get(found.size() - 1) + 1);
        }
        deleteFinished();
        if (flusher != null) {
            flusher.scheduleWithFixedDelay(this::flushQuietly, INTERVAL_MILLIS, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        }
        return new Recovery(this, new ArrayList<>(tasks.values()), maxId + 1, producers);
    }

    /** Replays one segment into {@code tasks}; returns the highest task id it mentions. */
    private long replay(int seg, boolean newest, Map<Long, Recovered> tasks) throws IOException {
        Path file = segmentPath(seg);
        long size = Files.size(file);
        long maxId = 0;
        int putCount = 0;
        long offset = 0;
        CRC32C crc = new CRC32C();
        try (InputStream raw = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 20))) {
            while (offset < size) {
                long left = size - offset;
                String problem = null;
                int length = 0;
                byte[] body = null;
                if (left < 8) {
                    problem = "a record header cut short";
                } else {
                    length = in.readInt();
                    int expected = in.readInt();
                    if (length <= 0 || length > MAX_RECORD) {
                        problem = "an impossible record length " + length;
                    } else if (length > left - 8) {
                        problem = "a record cut short (" + (left - 8) + " of " + length + " bytes)";
                    } else {
                        body = new byte[length];
                        in.readFully(body);
                        crc.reset();
                        crc.update(body);
                        if ((int) crc.getValue() != expected) {
                            problem = "a record whose checksum does not match";
                        }
                    }
                }
                if (problem != null) {
                    // A torn tail: nothing but zeros follows the damaged record's start (an append the
                    // process or the machine did not finish; the file system may have zero-filled it),
                    // or the record runs past the end of the file.
                    long recordEnd = body == null && length > 0 && length <= MAX_RECORD ? size : offset + 8L + length;
                    boolean torn = recordEnd >= size || lastNonZero(file) < Math.max(recordEnd, offset + 8);
                    if (length <= 0 || length > MAX_RECORD) {
                        torn = lastNonZero(file) < offset + 8;
                    }
                    if (newest && torn) {
                        log.warn("journal {}: dropping {} at offset {} (the last {} bytes), left by an unclean stop",
                                file, problem, offset, left);
                        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                            ch.truncate(offset);
                            ch.force(true);
                        }
                        break;
                    }
                    throw new IOException("journal " + file + " is corrupt at offset " + offset + ": " + problem
                            + (newest ? ", with more data after it" : " in a segment that is not the newest")
                            + ". Refusing to start: move the file aside to start without it (its tasks would be lost)");
                }
                maxId = Math.max(maxId, apply(ByteBuffer.wrap(body), seg, tasks, producers, file, offset));
                if (body[0] == PUT) {
                    putCount++;
                }
                offset += 8 + length;
            }
        } catch (EOFException e) {
            throw new IOException("journal " + file + " ended unexpectedly at offset " + offset, e);
        }
        puts.put(seg, putCount);
        return maxId;
    }

    /** The offset of the file's last non-zero byte, or -1 if it is all zeros. */
    private static long lastNonZero(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            long end = ch.size();
            while (end > 0) {
                long start = Math.max(0, end - b.capacity());
                b.clear().limit((int) (end - start));
                ch.read(b, start);
                for (int i = b.position() - 1; i >= 0; i--) {
                    if (b.get(i) != 0) {
                        return start + i;
                    }
                }
                end = start;
            }
            return -1;
        }
    }

    private static long apply(ByteBuffer b, int seg, Map<Long, Recovered> tasks, ProducerWindow producers, Path file,
            long offset) throws IOException {
        try {
            byte type = b.get();
            byte[] name = new byte[Short.toUnsignedInt(b.getShort())];
            b.get(name);
            String queue = new String(name, StandardCharsets.UTF_8);
            long id = b.getLong();
            switch (type) {
                case PUT -> {
                    int attempt = b.getInt();
                    byte[] payload = new byte[b.getInt()];
                    b.get(payload);
                    // A copy made by compaction replaces the original, keeping its place in line.
                    tasks.put(id, new Recovered(queue, id, attempt, payload, seg));
                }
                case ACK -> tasks.remove(id);
                case REQUEUE -> {
                    int attempt = b.getInt();
                    Recovered t = tasks.get(id);
                    if (t != null) {
                        tasks.put(id, new Recovered(t.queue(), id, attempt, t.payload(), t.segment()));
                    }
                }
                case PRODUCED -> {
                    long atMillis = b.getLong();
                    int n = b.getInt();
                    if (n < 0 || n > b.remaining() / 12) {
                        throw new IOException("a producer record of " + n + " puts in " + b.remaining() + " bytes");
                    }
                    long[] sequences = new long[n];
                    int[] counts = new int[n];
                    for (int i = 0; i < n; i++) {
                        sequences[i] = b.getLong();
                        counts[i] = b.getInt();
                    }
                    producers.record(new JournalRecord.Produced(id, atMillis, sequences, counts));
                    return 0; // a producer id, not a task id
                }
                default -> throw new IOException("unknown record type " + type);
            }
            return id;
        } catch (RuntimeException e) {
            throw new IOException("journal " + file + " has a malformed record at offset " + offset + ": " + e, e);
        }
    }

    /** Starts copying old segments' live tasks forward through {@code c}, now and after each new segment. */
    public void compactor(Compactor c) {
        this.compactor = c;
        scheduleCompaction();
    }

    /**
     * Takes over tasks of queues the server does not serve: they stay in the journal, and compaction
     * copies them forward like any other live task, so they never pin old segments.
     */
    public void adopt(List<Recovered> unserved) {
        synchronized (writeLock) {
            for (Recovered t : unserved) {
                orphans.put(t.id(), t);
            }
        }
    }

    @Override
    public int write(List<JournalRecord> records) throws IOException {
        if (records.isEmpty()) {
            synchronized (writeLock) {
                return activeSegment;
            }
        }
        int segment;
        long seq;
        boolean rolled = false;
        synchronized (writeLock) {
            if (closed) {
                throw new IOException("journal is closed");
            }
            if (activeSize > snapshotBytes && activeSize - snapshotBytes + encodedSize(records) > segmentBytes) {
                roll();
                rolled = true;
            }
            ByteBuffer buf = encode(records);
            int n = buf.remaining();
            try {
                active.write(buf.array(), 0, n);
            } catch (IOException e) {
                // Leave no partial record behind: the next start would take it for damage mid-file.
                try {
                    active.setLength(activeSize);
                    active.seek(activeSize);
                } catch (IOException again) {
                    closed = true;
                    log.error("journal {} could not be repaired after a failed write; refusing further writes",
                            segmentPath(activeSegment));
                }
                throw e;
            }
            activeSize += n;
            segment = activeSegment;
            seq = ++written;
            account(records, segment, seq);
            for (JournalRecord r : records) {
                if (r instanceof JournalRecord.Produced p) {
                    producers.record(p);
                }
            }
        }
        if (fsync == Fsync.ALWAYS) {
            sync(seq);
        }
        if (fsync != Fsync.INTERVAL) {
            deleteFinished();
        }
        if (rolled) {
            scheduleCompaction();
        }
        return segment;
    }

    private void scheduleCompaction() {
        if (compactor == null) {
            return;
        }
        try {
            compaction.execute(this::compact);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: nothing left to compact for
        }
    }

    /** Group commit: whoever fsyncs covers every write made before it started. */
    private void sync(long seq) throws IOException {
        synchronized (syncLock) {
            if (synced >= seq) {
                return;
            }
            RandomAccessFile file;
            long target;
            synchronized (writeLock) {
                file = active;
                target = written;
            }
            try {
                file.getFD().sync();
            } catch (IOException e) {
                synchronized (writeLock) {
                    if (file == active) {
                        throw e;
                    }
                }
                // The segment was rolled meanwhile, and rolling synced it before closing it.
            }
            synced = target;
        }
    }

    private void flushQuietly() {
        try {
            long target;
            synchronized (writeLock) {
                if (closed) {
                    return;
                }
                target = written;
            }
            if (target > synced) {
                sync(target);
            }
            deleteFinished();
        } catch (IOException e) {
            log.error("journal fsync failed: {}", e.toString());
        }
    }

    /**
     * Under the write lock. Counts are added per run of records that touch the same segment, not per
     * record: a batch of a thousand puts or acks mostly touches one segment, and a map update per
     * record was the journal's largest cost in the pipeline profile.
     */
    private void account(List<JournalRecord> records, int segment, long seq) {
        int putsHere = 0;
        int runSegment = -1;
        int runDelta = 0;
        for (JournalRecord r : records) {
            int touched;
            int delta;
            if (r instanceof JournalRecord.Put p) {
                putsHere++;
                if (p.movedFrom() >= 0) {
                    // A copy made by compaction: live here, finished where it came from.
                    if (runSegment != segment) {
                        live(runSegment, runDelta, seq);
                        runSegment = segment;
                        runDelta = 0;
                    }
                    runDelta++;
                    touched = p.movedFrom();
                    delta = -1;
                } else {
                    touched = segment;
                    delta = 1;
                }
            } else if (r instanceof JournalRecord.Ack a) {
                touched = a.segment();
                delta = -1;
            } else {
                continue;
            }
            if (touched != runSegment) {
                live(runSegment, runDelta, seq);
                runSegment = touched;
                runDelta = 0;
            }
            runDelta += delta;
        }
        live(runSegment, runDelta, seq);
        if (putsHere > 0) {
            puts.merge(segment, putsHere, Integer::sum);
        }
    }

    /** Adds to a segment's live count; one that falls to none is finished as of {@code seq}. */
    private void live(int segment, int delta, long seq) {
        if (segment < 0 || delta == 0) {
            return;
        }
        if (live.merge(segment, delta, Integer::sum) <= 0 && delta < 0) {
            finishedAt.put(segment, seq);
        }
    }

    /**
     * Deletes the oldest segments while nothing in them is live and the writes that finished them are
     * on the disk: deleting a segment before the acks or copies that made it finished are durable
     * could lose them both in a power cut.
     */
    private void deleteFinished() {
        long durable = fsync == Fsync.NEVER ? Long.MAX_VALUE : synced;
        synchronized (writeLock) {
            while (!segments.isEmpty()) {
                int oldest = segments.first();
                if (oldest == activeSegment || live.getOrDefault(oldest, 0) > 0
                        || finishedAt.getOrDefault(oldest, 0L) > durable) {
                    return;
                }
                try {
                    Files.deleteIfExists(segmentPath(oldest));
                } catch (IOException e) {
                    log.warn("could not delete finished journal segment {}: {}", segmentPath(oldest), e.toString());
                    return;
                }
                segments.pollFirst();
                live.remove(oldest);
                puts.remove(oldest);
                finishedAt.remove(oldest);
                log.debug("deleted finished journal segment {}", oldest);
            }
        }
    }

    /**
     * Copies forward the live tasks of the oldest segment while it is mostly finished, so that it and
     * the finished segments behind it can be deleted.
     */
    private void compact() {
        try {
            while (true) {
                int oldest;
                List<Recovered> orphansHere = new ArrayList<>();
                deleteFinished();
                synchronized (writeLock) {
                    if (closed || segments.size() < 3) {
                        return;
                    }
                    oldest = segments.first();
                    int liveHere = live.getOrDefault(oldest, 0);
                    if (liveHere * 4L > puts.getOrDefault(oldest, 0)) {
                        return; // mostly live: copying it would rewrite the queue for nothing
                    }
                    for (Recovered t : orphans.values()) {
                        if (t.segment() == oldest) {
                            orphansHere.add(t);
                        }
                    }
                }
                int copied = compactor.copyForward(oldest);
                if (!orphansHere.isEmpty()) {
                    List<JournalRecord> copies = new ArrayList<>();
                    for (Recovered t : orphansHere) {
                        copies.add(new JournalRecord.Put(t.queue(), t.id(), t.attempt(), t.payload(), oldest));
                    }
                    int now = write(copies);
                    synchronized (writeLock) {
                        for (Recovered t : orphansHere) {
                            orphans.put(t.id(), new Recovered(t.queue(), t.id(), t.attempt(), t.payload(), now));
                        }
                    }
                    copied += orphansHere.size();
                }
                if (fsync != Fsync.NEVER) {
                    long target;
                    synchronized (writeLock) {
                        target = written;
                    }
                    sync(target);
                }
                deleteFinished();
                synchronized (writeLock) {
                    if (!segments.isEmpty() && segments.first() == oldest) {
                        return; // something still pins it (a put in flight)
                    }
                }
                log.debug("compacted journal segment {}: {} live tasks copied forward", oldest, copied);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("journal compaction failed: {}", e.toString());
        }
    }

    /** Under the write lock. */
    private void roll() throws IOException {
        if (fsync != Fsync.NEVER) {
            active.getFD().sync();
        }
        active.close();
        startSegment(activeSegment + 1);
    }

    /**
     * Under the write lock. Opens a segment that begins with the producer window, synced at once:
     * older segments are deleted once their tasks are done, and the window must not go with them.
     */
    private void startSegment(int seg) throws IOException {
        openSegment(seg);
        List<JournalRecord.Produced> window = producers.snapshot();
        if (!window.isEmpty()) {
            ByteBuffer buf = encode(new ArrayList<>(window));
            int n = buf.remaining();
            active.write(buf.array(), 0, n);
            activeSize = n;
            snapshotBytes = n;
            if (fsync != Fsync.NEVER) {
                active.getFD().sync();
            }
        }
    }

    /** Under the write lock. */
    private void openSegment(int seg) throws IOException {
        Path path = segmentPath(seg);
        if (Files.exists(path)) {
            throw new IOException("journal segment " + path + " already exists");
        }
        active = new RandomAccessFile(path.toFile(), "rw");
        PrivateFiles.restrict(path);
        activeSegment = seg;
        activeSize = 0;
        snapshotBytes = 0;
        segments.add(seg);
        // The new file's name must reach the disk too, or an fsynced record could vanish with it.
        if (fsync != Fsync.NEVER) {
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException e) {
                // some file systems cannot fsync a directory; the segment's own fsyncs still apply
            }
        }
    }

    private Path segmentPath(int seg) {
        return dir.resolve(String.format("segment-%010d.log", seg));
    }

    /** Queue names as journal bytes: a batch names one queue thousands of times, and there are few queues. */
    private static final Map<String, byte[]> NAME_BYTES = new ConcurrentHashMap<>();

    private static byte[] nameBytes(String queue) {
        byte[] b = NAME_BYTES.get(queue);
        if (b == null) {
            b = queue.getBytes(StandardCharsets.UTF_8);
            if (NAME_BYTES.size() < 10_000) {
                NAME_BYTES.put(queue, b);
            }
        }
        return b;
    }

    /**
     * Under the write lock, into {@link #encoded}: a fresh buffer per batch (tens of KiB for a batch
     * of a thousand puts) was the journal's largest cost in the pipeline profile, and encoding under
     * the lock costs no parallelism the file write did not already serialize.
     */
    private static long encodedSize(List<? extends JournalRecord> records) {
        long size = 0;
        for (JournalRecord r : records) {
            size += 8 + bodySize(r, nameBytes(r.queue()));
        }
        return size;
    }

    private ByteBuffer encode(List<JournalRecord> records) {
        long size = encodedSize(records);
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("journal batch too large: " + size + " bytes");
        }
        ByteBuffer buf;
        if (size > KEPT_BUFFER_BYTES) {
            buf = ByteBuffer.allocate((int) size);
        } else {
            if (encoded == null) {
                encoded = ByteBuffer.allocate(KEPT_BUFFER_BYTES);
            }
            buf = encoded.clear().limit((int) size);
        }
        CRC32C crc = new CRC32C();
        for (int i = 0; i < records.size(); i++) {
            JournalRecord r = records.get(i);
            byte[] name = nameBytes(r.queue());
            int length = bodySize(r, name);
            int start = buf.position();
            buf.putInt(length).putInt(0);
            int body = buf.position();
            buf.put(type(r)).putShort((short) name.length).put(name).putLong(r.id());
            if (r instanceof JournalRecord.Put p) {
                buf.putInt(p.attempt()).putInt(p.payload().length).put(p.payload());
            } else if (r instanceof JournalRecord.Requeue q) {
                buf.putInt(q.attempt());
            } else if (r instanceof JournalRecord.Produced p) {
                buf.putLong(p.atMillis()).putInt(p.sequences().length);
                for (int k = 0; k < p.sequences().length; k++) {
                    buf.putLong(p.sequences()[k]).putInt(p.counts()[k]);
                }
            }
            crc.reset();
            crc.update(buf.array(), body, length);
            buf.putInt(start + 4, (int) crc.getValue());
        }
        buf.flip();
        return buf;
    }

    private static int bodySize(JournalRecord r, byte[] name) {
        int common = 1 + 2 + name.length + 8;
        if (r instanceof JournalRecord.Put p) {
            return common + 4 + 4 + p.payload().length;
        }
        if (r instanceof JournalRecord.Produced p) {
            return common + 8 + 4 + 12 * p.sequences().length;
        }
        return r instanceof JournalRecord.Requeue ? common + 4 : common;
    }

    private static byte type(JournalRecord r) {
        if (r instanceof JournalRecord.Put) {
            return PUT;
        }
        if (r instanceof JournalRecord.Produced) {
            return PRODUCED;
        }
        return r instanceof JournalRecord.Requeue ? REQUEUE : ACK;
    }

    /** Flushes, fsyncs and closes; releases the directory. */
    @Override
    public void close() throws IOException {
        // Stopped, not interrupted: an interrupt in the middle of a write is what we must not cause.
        if (flusher != null) {
            flusher.shutdown();
        }
        compaction.shutdown();
        try {
            if (flusher != null) {
                flusher.awaitTermination(5, TimeUnit.SECONDS);
            }
            compaction.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            synchronized (writeLock) {
                if (!closed && active != null) {
                    closed = true;
                    if (fsync != Fsync.NEVER) {
                        active.getFD().sync();
                    }
                }
                closed = true;
                if (active != null) {
                    active.close();
                }
            }
        } finally {
            if (dirLock != null) {
                dirLock.release();
            }
            lockFile.close();
        }
    }
}
