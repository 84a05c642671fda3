package io.rmiq.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthkeysTest {

    @TempDir
    Path dir;

    private Path secret(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    @Test
    void aKeyFile_isItsTextWithoutTheTrailingNewline() throws Exception {
        Path key = secret(dir.resolve("key"), "0123456789abcdef\n");
        assertArrayEquals("0123456789abcdef".getBytes(StandardCharsets.UTF_8), Authkeys.readFile(key));
    }

    @Test
    void aLinkToAPrivateKey_isRefused_namingTheFileToGiveInstead() throws Exception {
        Path key = secret(dir.resolve("real/key"), "0123456789abcdef");
        Path link = Files.createSymbolicLink(dir.resolve("link"), key);
        IOException e = assertThrows(IOException.class, () -> Authkeys.readFile(link));
        assertTrue(e.getMessage().contains("is a symbolic link"), e.getMessage());
        assertTrue(e.getMessage().endsWith(key.toRealPath().toString()), e.getMessage());
        assertTrue(!e.getMessage().contains("0123456789abcdef"), "the key is never in a message");
    }

    @Test
    void aPlainFileUnderALinkedDirectory_isAccepted_asKubernetesMountsSecrets() throws Exception {
        // A secret volume: NAME -> ..data/NAME, and ..data -> a timestamped directory.
        Path volume = Files.createDirectories(dir.resolve("secret"));
        Path stamped = secret(volume.resolve("..2026_12_07/authkey"), "0123456789abcdef").getParent();
        Files.createSymbolicLink(volume.resolve("..data"), stamped.getFileName());
        Files.createSymbolicLink(volume.resolve("authkey"), Path.of("..data/authkey"));

        assertArrayEquals("0123456789abcdef".getBytes(StandardCharsets.UTF_8),
                Authkeys.readFile(volume.resolve("..data/authkey")));
        assertThrows(IOException.class, () -> Authkeys.readFile(volume.resolve("authkey")));
    }

    @Test
    void aKeyFileOthersCanRead_isRefused() throws Exception {
        Path key = secret(dir.resolve("key"), "0123456789abcdef");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, () -> Authkeys.readFile(key));
        assertTrue(e.getMessage().contains("readable by other users") && e.getMessage().contains("chmod 600"),
                e.getMessage());
    }
}
