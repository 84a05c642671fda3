package io.rmiq.transport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

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
        checkPrivate(file);
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The fewest bytes a key given to server.jar or client.jar may have. */
    public static final int MIN_LENGTH = 16;

    /**
     * Refuses a key too short to resist guessing, naming where it came from but never the key.
     *
     * @throws IOException if the key has fewer than {@value #MIN_LENGTH} bytes
     */
    public static byte[] strong(byte[] key, String source) throws IOException {
        if (key.length < MIN_LENGTH) {
            throw new IOException("the authkey from " + source + " has " + key.length + " bytes; rmiq needs at least "
                    + MIN_LENGTH + " (make one with: head -c 32 /dev/urandom | base64 > FILE; chmod 600 FILE)");
        }
        return key;
    }

    /** A key file others can read is a key others have: refuse it, as ssh does a private key. */
    private static void checkPrivate(Path file) throws IOException {
        checkPrivate(file, "authkey file");
    }

    /**
     * Refuses a secret's file that others could read or replace: a symbolic link (whoever can
     * change the link chooses the secret, whatever the modes of the file it leads to), read or
     * write bits for group or others, or an owner other than this user or root.
     *
     * @param what how the file is named in the message, e.g. "TLS password file"
     */
    public static void checkPrivate(Path file, String what) throws IOException {
        if (Files.isSymbolicLink(file)) {
            String target;
            try {
                target = file.toRealPath().toString();
            } catch (IOException e) {
                target = String.valueOf(Files.readSymbolicLink(file));
            }
            // Kubernetes mounts a secret's NAME as a link to ..data/NAME, a plain file: that path works.
            throw new IOException(what + " " + file + " is a symbolic link (to " + target
                    + "); whoever can change the link chooses the secret: name the file itself, " + target);
        }
        Set<PosixFilePermission> perms;
        String owner;
        try {
            perms = Files.getPosixFilePermissions(file);
            owner = Files.getOwner(file).getName();
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system (Windows): its ACLs are the user's to set
        }
        boolean others = perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.OTHERS_WRITE);
        boolean group = perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.GROUP_WRITE);
        if (others || group) {
            boolean reads = perms.contains(others ? PosixFilePermission.OTHERS_READ : PosixFilePermission.GROUP_READ);
            throw new IOException(what + " " + file + " is " + (reads ? "readable" : "writable") + " by "
                    + (others ? "other users" : "its group") + " (" + PosixFilePermissions.toString(perms)
                    + "); make it private with: chmod 600 " + file);
        }
        String me = System.getProperty("user.name");
        if (me != null && !owner.equals(me) && !owner.equals("root")) {
            throw new IOException(what + " " + file + " belongs to " + owner + ", not to " + me
                    + " (or root); another user could replace it: chown " + me + " " + file);
        }
    }

    /** The key given as text, e.g. in an environment variable: its UTF-8 bytes without surrounding white space. */
    public static byte[] fromText(String text) {
        return text.strip().getBytes(StandardCharsets.UTF_8);
    }
}
