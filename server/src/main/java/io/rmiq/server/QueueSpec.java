package io.rmiq.server;

import io.rmiq.server.queue.QueueConfig;

/** Reads {@code --queue NAME[:CAPACITY][,lease=SECONDS][,max-attempts=N]}, filling gaps with the defaults. */
record QueueSpec(long defaultLeaseMillis, int defaultMaxAttempts) {

    QueueConfig parse(String spec) {
        String[] parts = spec.split(",");
        String head = parts[0].strip();
        int capacity = Integer.MAX_VALUE;
        String name = head;
        int colon = head.lastIndexOf(':');
        if (colon >= 0) {
            name = head.substring(0, colon);
            capacity = number(spec, "capacity", head.substring(colon + 1));
        }
        long lease = defaultLeaseMillis;
        int attempts = defaultMaxAttempts;
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            String key = kv[0].strip();
            if (kv.length != 2) {
                throw bad(spec, "expected key=value after a comma, got '" + parts[i] + "'");
            }
            switch (key) {
                case "lease" -> {
                    try {
                        double seconds = Double.parseDouble(kv[1].strip());
                        if (!(seconds > 0)) {
                            throw bad(spec, "lease must be a positive number of seconds");
                        }
                        lease = Math.round(seconds * 1000);
                    } catch (NumberFormatException e) {
                        throw bad(spec, "lease must be a number of seconds, got '" + kv[1] + "'");
                    }
                }
                case "max-attempts" -> attempts = number(spec, "max-attempts", kv[1]);
                default -> throw bad(spec, "unknown setting '" + key + "' (known: lease, max-attempts)");
            }
        }
        try {
            return new QueueConfig(name, capacity, lease, attempts);
        } catch (IllegalArgumentException e) {
            throw bad(spec, e.getMessage());
        }
    }

    private static int number(String spec, String what, String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw bad(spec, what + " must be a whole number, got '" + value + "'");
        }
    }

    private static IllegalArgumentException bad(String spec, String why) {
        return new IllegalArgumentException("bad --queue '" + spec + "': " + why);
    }
}
