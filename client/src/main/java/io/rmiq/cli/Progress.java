package io.rmiq.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * done/total, rate and ETA. On a terminal one line redrawn in place (at most ten times a second);
 * otherwise, for logs and pipes, a plain line every few seconds and one at the end.
 */
public final class Progress {

    private final PrintStream out;
    private final String label;
    private final int total;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private long lastDraw;
    private int done;
    private int drawnDone = -1;
    private boolean drawn;

    public Progress(PrintStream out, String label, int total, boolean terminal) {
        this.out = out;
        this.label = label;
        this.total = total;
        this.terminal = terminal;
    }

    /** A bar on stderr, redrawn in place if this process has a terminal. */
    public static Progress onStderr(String label, int total) {
        return new Progress(System.err, label, total, onATerminal());
    }

    /**
     * Whether this process has a terminal. Up to JDK 21 a console exists only then; since JDK 22
     * {@code System.console()} is there without one too, and {@code Console.isTerminal()} (not in
     * JDK 17, hence the reflection) tells.
     */
    static boolean onATerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 17 to 21: a console means a terminal
        }
    }

    /** Records {@code done} finished so far and redraws if it is time. */
    public synchronized void update(int done) {
        this.done = done;
        long now = System.nanoTime();
        long every = terminal ? 100_000_000L : 5_000_000_000L;
        if (done >= total || now - lastDraw >= every) {
            lastDraw = now;
            draw(now);
        }
    }

    /** Wipes a terminal bar so that other lines can be printed; the next update draws it again. */
    public synchronized void clear() {
        if (terminal && drawn) {
            out.print("\r" + " ".repeat(79) + "\r");
            out.flush();
            drawn = false;
        }
    }

    /** The last state, ending the line. */
    public synchronized void finish() {
        if (!drawn || drawnDone != done) {
            draw(System.nanoTime());
        }
        if (terminal) {
            out.println();
        }
        drawn = false;
    }

    String line(long now) {
        double seconds = Math.max(1e-9, (now - start) / 1e9);
        double rate = done / seconds;
        String eta = done >= total ? "done" : rate <= 0 ? "ETA ?" : "ETA " + duration((total - done) / rate);
        String counts = done + "/" + total;
        String tail = String.format(Locale.ROOT, " %s %.1f/s %s", counts, rate, eta);
        if (!terminal) {
            return label + ":" + tail;
        }
        int width = 24;
        int filled = total == 0 ? width : (int) ((long) width * Math.min(done, total) / total);
        return label + " [" + "#".repeat(filled) + ".".repeat(width - filled) + "]" + tail;
    }

    private void draw(long now) {
        drawnDone = done;
        drawn = true;
        if (terminal) {
            out.print("\r" + String.format("%-79s", line(now)));
        } else {
            out.println(line(now));
        }
        out.flush();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
        }
        return s / 3600 + "h" + String.format(Locale.ROOT, "%02d", s / 60 % 60) + "m";
    }
}
