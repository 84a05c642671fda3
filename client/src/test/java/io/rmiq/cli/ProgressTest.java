package io.rmiq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {

    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    @Test
    void onATerminal_oneLineIsRedrawnInPlace() {
        Progress p = new Progress(out, "jobs", 4, true);
        p.update(1);
        p.finish();
        String s = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(s.startsWith("\rjobs [######..................] 1/4 "), s);
        assertTrue(s.contains("ETA "), s);
        assertEquals(1, s.chars().filter(c -> c == '\n').count(), "one line, ended by finish: " + s);
    }

    @Test
    void elsewhere_plainLines_withDoneAtTheEnd() {
        Progress p = new Progress(out, "jobs", 2, false);
        p.update(1);
        p.update(2);
        p.finish();
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertTrue(lines[0].startsWith("jobs: 1/2 ") && lines[0].contains("ETA"), lines[0]);
        assertTrue(lines[lines.length - 1].startsWith("jobs: 2/2 ") && lines[lines.length - 1].endsWith(" done"),
                lines[lines.length - 1]);
        assertEquals(2, lines.length, "the last state once, not again at finish");
        assertTrue(!bytes.toString(StandardCharsets.UTF_8).contains("\r"));
    }

    @Test
    void durations() {
        assertEquals("59s", Progress.duration(59));
        assertEquals("2m05s", Progress.duration(125));
        assertEquals("1h01m", Progress.duration(3660));
    }
}
