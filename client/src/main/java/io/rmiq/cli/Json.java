package io.rmiq.cli;

import java.util.Collection;
import java.util.Map;

/** Writes the CLI's {@code --json} output: maps, lists, strings, numbers, booleans and null. */
final class Json {

    private Json() {
    }

    static String of(Object v) {
        StringBuilder s = new StringBuilder();
        write(s, v);
        return s.toString();
    }

    private static void write(StringBuilder s, Object v) {
        if (v == null) {
            s.append("null");
        } else if (v instanceof Map<?, ?> m) {
            s.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                s.append(first ? "" : ",");
                string(s, String.valueOf(e.getKey()));
                s.append(':');
                write(s, e.getValue());
                first = false;
            }
            s.append('}');
        } else if (v instanceof Collection<?> c) {
            s.append('[');
            boolean first = true;
            for (Object e : c) {
                s.append(first ? "" : ",");
                write(s, e);
                first = false;
            }
            s.append(']');
        } else if (v instanceof Number || v instanceof Boolean) {
            s.append(v);
        } else {
            string(s, v.toString());
        }
    }

    private static void string(StringBuilder s, String v) {
        s.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20) {
                        s.append(String.format("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        s.append('"');
    }
}
