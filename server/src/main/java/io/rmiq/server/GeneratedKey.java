package io.rmiq.server;

import io.rmiq.transport.Handshake;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

/** The server's generated authkey: made once, stored owner-only in the data directory. */
final class GeneratedKey {

    static final String FILE_NAME = "authkey";

    private GeneratedKey() {
    }

    static byte[] read(Path file) throws IOException {
        return io.rmiq.transport.Authkeys.readFile(file);
    }

    /**
     * The key stored in {@code dataDir}, made there first if missing: 32 random bytes, base64url, in a
     * file only its owner may read.
     */
    static byte[] storedOrGenerated(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            return io.rmiq.transport.Authkeys.strong(read(file), file.toString());
        }
        io.rmiq.server.journal.PrivateFiles.directory(dataDir);
        String key = Base64.getUrlEncoder().withoutPadding().encodeToString(Handshake.random(32));
        try {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
                file.toFile().setReadable(false, false);
                file.toFile().setReadable(true, true);
            }
            Files.writeString(file, key + "\n", StandardCharsets.UTF_8);
        } catch (FileAlreadyExistsException e) {
            return read(file); // another process made it first: share its key
        }
        return key.getBytes(StandardCharsets.UTF_8);
    }
}
