package io.rmiq.server;

/**
 * Text a peer supplied (a session's description, a pickle's error), made safe to log: a peer must
 * not be able to end a log line and forge the next, or send a terminal its escape sequences.
 */
public final class PeerText {

    /** Longest text kept; the rest is cut, marked with an ellipsis. */
    public static final int MAX_CHARS = 200;

    private PeerText() {
    }

    /** Control characters (C0, DEL, C1, line and paragraph separators) as \\uXXXX (\\n, \\r, \\t as such), cut to {@link #MAX_CHARS}. */
    public static String escape(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_CHARS) + 16);
        for (int i = 0; i < text.length(); i++) {
            if (out.length() >= MAX_CHARS) {
                return out.append('…').toString();
            }
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
