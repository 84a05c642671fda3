package io.rmiq.server.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data directory holds the authkey and every queued item: it is made for its owner only, and so
 * is each file in it, whatever the umask.
 */
public final class PrivateFiles {

    private static final Logger log = LoggerFactory.getLogger(PrivateFiles.class);

    private PrivateFiles() {
    }

    /** Makes {@code dir} (0700) if it is missing; warns if it exists and others may look inside. */
    public static void directory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
                if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.OTHERS_EXECUTE)
                        || perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.GROUP_EXECUTE)) {
                    log.warn("data directory {} is open to other users ({}); it holds the journal of every queued item:"
                            + " chmod 700 {}", dir, PosixFilePermissions.toString(perms), dir);
                }
            } catch (UnsupportedOperationException | SecurityException e) {
                // not POSIX, or a policy that does not let us look: nothing to say
            }
            return;
        }
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(dir);
        }
    }

    /** Makes a file this server created readable and writable by its owner only. */
    public static void restrict(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
    }
}
