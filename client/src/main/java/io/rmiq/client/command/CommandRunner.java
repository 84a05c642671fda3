package io.rmiq.client.command;

import io.rmiq.api.task.CommandResult;
import io.rmiq.api.task.CommandTask;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link CommandTask} as a process, the way a worker does: no shell, standard input closed,
 * standard output and error captured up to a cap, and the whole process tree killed at the timeout.
 */
public final class CommandRunner {

    private static final Logger log = LoggerFactory.getLogger(CommandRunner.class);

    /** Bytes of standard output (and, separately, of standard error) a result keeps. */
    public static final int DEFAULT_CAP = 64 * 1024;
    /** As GNU timeout reports a command it killed. */
    public static final int EXIT_TIMED_OUT = 124;
    /** As a shell reports a command it found but could not execute. */
    public static final int EXIT_CANNOT_EXECUTE = 126;
    /** As a shell reports a command it could not find. */
    public static final int EXIT_NOT_FOUND = 127;

    /** host/pid, as {@code RuntimeMXBean} names this JVM: who ran a command. */
    public static final String WORKER_NAME = workerName();

    private final int cap;

    public CommandRunner() {
        this(DEFAULT_CAP);
    }

    public CommandRunner(int cap) {
        if (cap < 0) {
            throw new IllegalArgumentException("cap must not be negative");
        }
        this.cap = cap;
    }

    /** Runs the task to its end or its timeout; never throws for a command that fails. */
    public CommandResult run(CommandTask task) throws InterruptedException {
        long start = System.nanoTime();
        List<String> cmd = task.command();
        Process p;
        try {
            p = new ProcessBuilder(cmd).start();
        } catch (IOException e) {
            // "Cannot run program "x": error=2, No such file or directory"
            String why = e.getMessage();
            boolean denied = why != null && why.contains("error=13");
            int exit = denied ? EXIT_CANNOT_EXECUTE : EXIT_NOT_FOUND;
            String error = "cannot run '" + cmd.get(0) + "' on " + WORKER_NAME + ": " + why;
            return new CommandResult(task.id(), cmd, exit, "", error + "\n", error, WORKER_NAME, millisSince(start));
        }
        closeQuietly(p.getOutputStream()); // standard input: the command reads end of file
        Capture out = new Capture(p.getInputStream(), cap, "stdout of " + p.pid());
        Capture err = new Capture(p.getErrorStream(), cap, "stderr of " + p.pid());
        String error = null;
        int exit;
        if (p.waitFor(task.timeoutMillis(), TimeUnit.MILLISECONDS)) {
            exit = p.exitValue();
        } else {
            killTree(p);
            exit = EXIT_TIMED_OUT;
            error = "timed out after " + seconds(task.timeoutMillis()) + " s on " + WORKER_NAME
                    + "; the process and its children were killed";
        }
        // A child left running in the background may hold the pipes open: wait for the output a
        // little, not for that child.
        String stdout = out.text(2_000);
        String stderr = err.text(2_000);
        if (error != null) {
            stderr = stderr + (stderr.isEmpty() || stderr.endsWith("\n") ? "" : "\n") + "rmiq: " + error + "\n";
        }
        return new CommandResult(task.id(), cmd, exit, stdout, stderr, error, WORKER_NAME, millisSince(start));
    }

    /** Kills the children first: once their parent is gone they are no longer its descendants. */
    private static void killTree(Process p) throws InterruptedException {
        List<ProcessHandle> children = p.descendants().toList();
        p.toHandle().destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
            log.warn("process {} did not die within 5 s of SIGKILL", p.pid());
        }
    }

    private static String seconds(long millis) {
        return millis % 1000 == 0 ? Long.toString(millis / 1000) : String.valueOf(millis / 1000.0);
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // nothing to say to a process that is already gone
        }
    }

    private static String workerName() {
        return ManagementFactory.getRuntimeMXBean().getName().replaceFirst("^(\\d+)@(.*)$", "$2/$1");
    }

    /** Reads a stream to its end on its own thread, keeping the first {@code cap} bytes. */
    private static final class Capture {
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private long total;
        private final Thread thread;

        Capture(InputStream in, int cap, String name) {
            thread = new Thread(() -> {
                byte[] buf = new byte[8192];
                try (in) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        synchronized (this) {
                            int keep = (int) Math.max(0, Math.min(n, cap - total));
                            kept.write(buf, 0, keep);
                            total += n;
                        }
                    }
                } catch (IOException e) {
                    log.debug("reading {}: {}", name, e.toString());
                }
            }, "rmiq-capture " + name);
            thread.setDaemon(true);
            thread.start();
        }

        String text(long waitMillis) throws InterruptedException {
            thread.join(waitMillis);
            synchronized (this) {
                String s = kept.toString(StandardCharsets.UTF_8);
                long cut = total - kept.size();
                return cut > 0 ? s + "\n[rmiq: " + cut + " more bytes cut]\n" : s;
            }
        }
    }
}
