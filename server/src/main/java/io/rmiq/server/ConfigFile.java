package io.rmiq.server;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code server.jar --config FILE}: a {@code .properties} file whose keys are the long flags without
 * their dashes ({@code port = 1099}, {@code queue = tasks results:1000}). The file's flags go first
 * and the command line's after them, so a flag on the command line wins; a flag that may repeat
 * ({@code queue}, {@code allow}) takes its values from the command line alone if given there, else
 * from the file's value split at white space. A switch takes {@code true} or {@code false}.
 */
final class ConfigFile {

    static final String FLAG = "--config";

    /** A config file that cannot be used: one line for the user. */
    static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    private ConfigFile() {
    }

    /** The arguments with the config file's flags put before them, and {@code --config FILE} taken out. */
    static String[] expand(String[] args, CommandSpec spec) throws Invalid {
        Path file = null;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(FLAG) || args[i].startsWith(FLAG + "=")) {
                if (file != null) {
                    throw new Invalid(FLAG + " is given twice");
                }
                String value = args[i].startsWith(FLAG + "=") ? args[i].substring(FLAG.length() + 1)
                        : i + 1 < args.length ? args[++i] : null;
                if (value == null || value.isBlank()) {
                    throw new Invalid(FLAG + " needs a FILE");
                }
                file = Path.of(value);
            } else {
                rest.add(args[i]);
            }
        }
        if (file == null) {
            return args;
        }
        Set<String> given = new HashSet<>();
        for (String a : rest) {
            if (a.startsWith("--")) {
                given.add(a.contains("=") ? a.substring(0, a.indexOf('=')) : a);
            }
        }
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : read(file).entrySet()) {
            String key = e.getKey();
            String value = e.getValue().strip();
            OptionSpec option = spec.findOption("--" + key);
            if (option == null || key.equals("config") || option.usageHelp() || option.versionHelp()) {
                throw new Invalid(file + ": unknown key '" + key + "' (keys are server.jar's flags without the"
                        + " leading dashes, e.g. port = 1099; see --help)");
            }
            String flag = "--" + key;
            boolean repeats = option.isMultiValue();
            if (!repeats && given.contains(flag)) {
                continue; // the command line's value wins
            }
            if (repeats && given.contains(flag)) {
                continue; // the command line's list replaces the file's
            }
            if (option.arity().max() == 0) {
                if (value.equalsIgnoreCase("true")) {
                    out.add(flag);
                } else if (!value.equalsIgnoreCase("false")) {
                    throw new Invalid(file + ": key '" + key + "' is a switch: give true or false, not '" + value + "'");
                }
                continue;
            }
            if (value.isEmpty()) {
                throw new Invalid(file + ": key '" + key + "' has no value");
            }
            for (String v : repeats ? value.split("\\s+") : new String[] {value}) {
                out.add(flag);
                out.add(v);
            }
        }
        out.addAll(rest);
        return out.toArray(new String[0]);
    }

    private static Map<String, String> read(Path file) throws Invalid {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new Invalid("cannot read " + FLAG + " " + file + ": " + e.getMessage());
        }
        Map<String, String> sorted = new TreeMap<>();
        for (String k : p.stringPropertyNames()) {
            sorted.put(k.strip(), p.getProperty(k));
        }
        return sorted;
    }
}
