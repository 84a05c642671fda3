package io.rmiq.transport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading an authkey the way every rmiq program does, so server and clients agree on its bytes. */
public final class Authkeys {

    private Authkeys() {
    }

    /**
     * The key in a file: its UTF-8 text without surrounding white space, so that an editor's trailing
     * newline does not change it.
     *
     * @throws IOException if the file cannot be read or holds no key
     */
    public static byte[] readFile(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            throw new IOException("authkey file " + file + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new IOException("authkey file " + file + " cannot be read: permission denied", e);
        }
        if (text.isEmpty()) {
            throw new IOException("authkey file " + file + " is empty");
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The key given as text, e.g. in an environment variable: its UTF-8 bytes without surrounding white space. */
    public static byte[] fromText(String text) {
        return text.strip().getBytes(StandardCharsets.UTF_8);
    }
}
