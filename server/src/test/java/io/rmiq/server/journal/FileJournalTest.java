package io.rmiq.server.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rmiq.server.journal.FileJournal.Fsync;
import io.rmiq.server.journal.FileJournal.Recovered;
import io.rmiq.server.journal.FileJournal.Recovery;
import io.rmiq.server.journal.JournalRecord.Ack;
import io.rmiq.server.journal.JournalRecord.Put;
import io.rmiq.server.journal.JournalRecord.Requeue;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal on real files: what comes back after a reopen, and what happens to damaged files. */
class FileJournalTest {

    @TempDir Path dir;

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    Recovery open() throws IOException {
        return FileJournal.open(dir, Fsync.NEVER, FileJournal.DEFAULT_SEGMENT_BYTES);
    }

    List<String> payloads(Recovery r) {
        return r.tasks().stream().map(t -> t.queue() + ":" + new String(t.payload(), StandardCharsets.UTF_8)).toList();
    }

    List<Path> segments() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("segment-")).sorted().toList();
        }
    }

    @Test
    void reopen_restoresUnfinishedTasksInOrder_withoutTheAckedOnes() throws Exception {
        try (FileJournal j = open().journal()) {
            int seg = j.write(List.of(new Put("tasks", 1, 0, bytes("a")), new Put("tasks", 2, 0, bytes("b")),
                    new Put("results", 3, 0, bytes("c"))));
            j.write(List.of(new Put("tasks", 4, 0, bytes("d"))));
            j.write(List.of(new Ack("tasks", 2, seg), new Requeue("tasks", 1, 3)));
        }
        Recovery r = open();
        try (FileJournal j = r.journal()) {
            assertEquals(List.of("tasks:a", "results:c", "tasks:d"), payloads(r));
            assertEquals(3, r.tasks().get(0).attempt());
            assertEquals(5, r.nextId());
        }
    }

    @Test
    void tornLastRecord_isDroppedWithTheRestKept() throws Exception {
        try (FileJournal j = open().journal()) {
            j.write(List.of(new Put("tasks", 1, 0, bytes("kept"))));
            j.write(List.of(new Put("tasks", 2, 0, bytes("torn in half"))));
        }
        Path seg = segments().get(segments().size() - 1);
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.setLength(f.length() - 5);
        }
        Recovery r = open();
        try (FileJournal j = r.journal()) {
            assertEquals(List.of("tasks:kept"), payloads(r));
            // and what comes after is written cleanly past the cut
            j.write(List.of(new Put("tasks", 3, 0, bytes("after"))));
        }
        Recovery again = open();
        try (FileJournal j = again.journal()) {
            assertEquals(List.of("tasks:kept", "tasks:after"), payloads(again));
        }
    }

    @Test
    void zeroedTail_isDroppedAsTorn() throws Exception {
        try (FileJournal j = open().journal()) {
            j.write(List.of(new Put("tasks", 1, 0, bytes("kept"))));
        }
        Path seg = segments().get(0);
        Files.write(seg, new byte[100], java.nio.file.StandardOpenOption.APPEND);
        Recovery r = open();
        try (FileJournal j = r.journal()) {
            assertEquals(List.of("tasks:kept"), payloads(r));
        }
    }

    @Test
    void damageBeforeTheEnd_stopsTheStart_namingTheFileAndOffset() throws Exception {
        try (FileJournal j = open().journal()) {
            j.write(List.of(new Put("tasks", 1, 0, bytes("first"))));
            j.write(List.of(new Put("tasks", 2, 0, bytes("second"))));
        }
        Path seg = segments().get(0);
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.seek(20); // inside the first record's body
            f.write(f.read() ^ 0xff);
        }
        IOException e = assertThrows(IOException.class, this::open);
        assertTrue(e.getMessage().contains(seg.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("offset 0"), e.getMessage());
        // and the directory is not left locked by the failed start
        Files.writeString(seg, "");
        open().journal().close();
    }

    @Test
    void secondServerOnTheSameDirectory_isRefused() throws Exception {
        try (FileJournal j = open().journal()) {
            IOException e = assertThrows(IOException.class, this::open);
            assertTrue(e.getMessage().contains("in use by another rmiq server"), e.getMessage());
        }
    }

    @Test
    void finishedSegments_areDeletedOldestFirst() throws Exception {
        List<Integer> segs = new ArrayList<>();
        try (FileJournal j = FileJournal.open(dir, Fsync.NEVER, 4096).journal()) {
            byte[] kb = new byte[1000];
            for (int i = 1; i <= 12; i++) {
                segs.add(j.write(List.of(new Put("tasks", i, 0, kb))));
            }
            assertTrue(segments().size() >= 3, "several segments: " + segments());
            // Acking the newer tasks first deletes nothing: the oldest segment still holds task 1.
            for (int i = 12; i >= 2; i--) {
                j.write(List.of(new Ack("tasks", i, segs.get(i - 1))));
            }
            int before = segments().size();
            assertTrue(before >= 3, segments().toString());
            j.write(List.of(new Ack("tasks", 1, segs.get(0))));
            assertEquals(1, segments().size(), "only the segment being written remains: " + segments());
        }
        Recovery r = open();
        try (FileJournal j = r.journal()) {
            assertTrue(r.tasks().isEmpty());
        }
    }

    @Test
    void producedRecords_surviveAReopen_andTheDeletionOfTheSegmentsTheyWereWrittenIn() throws Exception {
        List<Integer> segs = new ArrayList<>();
        long at = 1_700_000_000_000L;
        try (FileJournal j = FileJournal.open(dir, Fsync.NEVER, 4096).journal()) {
            byte[] kb = new byte[1000];
            segs.add(j.write(List.of(new Put("tasks", 1, 0, kb), new JournalRecord.Produced(77, at, 5, 1))));
            segs.add(j.write(List.of(new Put("tasks", 2, 0, kb), new JournalRecord.Produced(77, at, 6, 1))));
            for (int i = 3; i <= 12; i++) {
                segs.add(j.write(List.of(new Put("tasks", i, 0, kb), new JournalRecord.Produced(88, at, i, 1))));
            }
            for (int i = 1; i <= 12; i++) {
                j.write(List.of(new Ack("tasks", i, segs.get(i - 1))));
            }
            assertEquals(1, segments().size(), "every finished segment went: " + segments());
        }
        Recovery r = FileJournal.open(dir, Fsync.NEVER, 4096);
        try (FileJournal j = r.journal()) {
            assertTrue(r.tasks().isEmpty());
            assertEquals(13, r.nextId(), "producer ids are not task ids");
            assertEquals(1, r.producers().stored(77, 5));
            assertEquals(1, r.producers().stored(77, 6));
            assertEquals(1, r.producers().stored(88, 12));
            assertEquals(-1, r.producers().stored(77, 7));
            assertEquals(-1, r.producers().stored(99, 5));
        }
        // and once more: the segment opened at the last start carries the window on
        Recovery again = FileJournal.open(dir, Fsync.NEVER, 4096);
        try (FileJournal j = again.journal()) {
            assertEquals(1, again.producers().stored(77, 5));
            assertEquals(2, again.producers().producers());
        }
    }

    @Test
    void aWindowSnapshotLargerThanASegment_doesNotRollEveryWrite() throws Exception {
        try (FileJournal j = FileJournal.open(dir, Fsync.NEVER, 4096).journal()) {
            for (int p = 1; p <= 100; p++) {
                j.write(List.of(new JournalRecord.Produced(p, 1_000, 1, 1))); // 100 producers: > 4 KiB of window
            }
            int before = segments().size();
            for (int i = 1; i <= 20; i++) {
                j.write(List.of(new Put("tasks", i, 0, new byte[10])));
            }
            assertTrue(segments().size() <= before + 1, "rolled " + (segments().size() - before) + " times");
        }
    }

    @Test
    void compaction_copiesTheFewLiveTasksForward_soOldSegmentsCanGo() throws Exception {
        Recovery first = FileJournal.open(dir, Fsync.NEVER, 4096);
        List<Integer> segs = new ArrayList<>();
        FileJournal j = first.journal();
        byte[] small = new byte[200];
        for (int i = 1; i <= 80; i++) {
            segs.add(j.write(List.of(new Put("tasks", i, 0, small))));
        }
        for (int i = 2; i <= 80; i++) {
            j.write(List.of(new Ack("tasks", i, segs.get(i - 1))));
        }
        int oldSegment = segs.get(0);
        assertTrue(segments().size() >= 4, segments().toString());
        j.compactor(segment -> {
            if (segment != oldSegment) {
                return 0;
            }
            j.write(List.of(new Put("tasks", 1, 2, small, segment)));
            return 1;
        });
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> segments().size() == 1);
        j.close();
        Recovery r = open();
        try (FileJournal again = r.journal()) {
            assertEquals(1, r.tasks().size());
            Recovered t = r.tasks().get(0);
            assertEquals(1, t.id());
            assertEquals(2, t.attempt());
            assertArrayEquals(new byte[200], t.payload());
        }
    }

    @Test
    void concurrentWriters_withFsyncAlways_loseNothing() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (FileJournal j = FileJournal.open(dir, Fsync.ALWAYS, 1 << 16).journal()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int base = w * 1000;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        j.write(List.of(new Put("q", base + i, 0, bytes("v" + (base + i)))));
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        Recovery r = open();
        try (FileJournal j = r.journal()) {
            assertEquals(1600, r.tasks().size());
        }
    }

    @Test
    void interruptedWriter_leavesTheJournalWorkingForEveryoneElse() throws Exception {
        try (FileJournal j = FileJournal.open(dir, Fsync.ALWAYS, 1 << 20).journal()) {
            j.write(List.of(new Put("q", 1, 0, bytes("before"))));
            Thread t = new Thread(() -> {
                Thread.currentThread().interrupt();
                try {
                    j.write(List.of(new Put("q", 2, 0, bytes("interrupted writer"))));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            t.start();
            t.join();
            j.write(List.of(new Put("q", 3, 0, bytes("after"))));
        }
        Recovery r = open();
        try (FileJournal j = r.journal()) {
            assertEquals(List.of("q:before", "q:interrupted writer", "q:after"), payloads(r));
        }
    }

    @Test
    void impossibleLengthBeforeMoreRecords_isReportedNotTruncated() throws Exception {
        try (FileJournal j = open().journal()) {
            for (int i = 1; i <= 3; i++) {
                j.write(List.of(new Put("q", i, 0, new byte[10])));
            }
        }
        Path seg = segments().get(0);
        long second;
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            second = f.length() / 3;
            f.seek(second);
            f.writeInt(-7);
        }
        IOException e = assertThrows(IOException.class, this::open);
        assertTrue(e.getMessage().contains("offset " + second), e.getMessage());
    }

    @Test
    void zeroFilledTailStartingInsideARecord_isDroppedAsTorn() throws Exception {
        byte[] ones = new byte[100];
        java.util.Arrays.fill(ones, (byte) 1);
        try (FileJournal j = open().journal()) {
            j.write(List.of(new Put("q", 1, 0, ones), new Put("q", 2, 0, ones), new Put("q", 3, 0, ones)));
        }
        Path seg = segments().get(0);
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            long second = f.length() / 3;
            f.seek(second + 40); // the second record's header and some of its body survive
            f.write(new byte[(int) (f.length() - second - 40)]);
        }
        Recovery r = open();
        try (FileJournal j = r.journal()) {
            assertEquals(1, r.tasks().size());
        }
    }
}
