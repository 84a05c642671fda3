package io.rmiq.server.lock;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Hands out increasing fencing tokens. With a file, they keep increasing across restarts: the file
 * holds a number above every token handed out so far, written (and fsynced) a block of tokens ahead,
 * so the disk is touched once per {@link #BLOCK} tokens, and a restart skips at most one block.
 *
 * <p>Not thread-safe: {@link Locks} calls it under its own lock.
 */
final class FencingTokens {

    static final long BLOCK = 1 << 16;

    private final Path file;
    private long next;
    private long reserved;

    /** @param file where the high-water mark is kept, or null to count for this process's lifetime only */
    FencingTokens(Path file) throws IOException {
        this.file = file;
        this.next = 1;
        if (file != null && Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
            try {
                next = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new IOException("fencing token file " + file + " is damaged: '" + text + "'");
            }
            if (next < 1) {
                throw new IOException("fencing token file " + file + " is damaged: " + next);
            }
        }
        this.reserved = file == null ? Long.MAX_VALUE : next;
    }

    long next() throws IOException {
        if (next >= reserved) {
            reserve(next + BLOCK);
        }
        return next++;
    }

    private void reserve(long upTo) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap((upTo + "\n").getBytes(StandardCharsets.US_ASCII)));
            ch.force(true);
        }
        io.rmiq.server.journal.PrivateFiles.restrict(tmp);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        // The rename itself must reach the disk too, or a power cut could bring back the old mark.
        try (FileChannel dir = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Not every platform can open a directory; the rename is then as durable as it gets.
        }
        reserved = upTo;
    }
}
