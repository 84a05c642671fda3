package io.rmiq.server;

import io.rmiq.transport.Handshake;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

/** Where the server's authkey comes from: a file, the environment, or one generated and stored. */
final class Authkeys {

    static final String FILE_NAME = "authkey";

    private Authkeys() {
    }

    /**
     * Reads a key file. The key is the file's text without surrounding white space, so that an editor's
     * trailing newline does not change it.
     */
    static byte[] read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            throw new IOException("authkey file " + file + " is empty");
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The key stored in {@code dataDir}, made there first if missing: 32 random bytes, base64url, in a
     * file only its owner may read.
     */
    static byte[] storedOrGenerated(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            return read(file);
        }
        Files.createDirectories(dataDir);
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
