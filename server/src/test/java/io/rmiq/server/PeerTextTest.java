package io.rmiq.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PeerTextTest {

    @Test
    void lineBreaksAndTerminalEscapes_cannotForgeALogLine() {
        assertEquals("host 1\\r\\n2026-12-03 12:00:00 INFO  forged", PeerText.escape("host 1\r\n2026-12-03 12:00:00 INFO  forged"));
        assertEquals("\\u001b[31mred\\u001b[0m \\u0085 \\u2028", PeerText.escape("\u001b[31mred\u001b[0m \u0085 \u2028"));
        assertEquals("a\\\\u000a", PeerText.escape("a\\u000a"), "a backslash is escaped too, so the escapes are unambiguous");
        assertEquals("pid 12@host, java 17 — ünïcode", PeerText.escape("pid 12@host, java 17 — ünïcode"));
    }

    @Test
    void longText_isCut() {
        String e = PeerText.escape("x".repeat(10_000));
        assertEquals(PeerText.MAX_CHARS + 1, e.length());
        assertTrue(e.endsWith("…"));
    }
}
