package io.rmiq.client;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Real {@code java -jar} processes for tests: their output captured line by line, and every one of
 * them stopped by {@link #close()}, forcibly if it will not stop by itself.
 */
final class Processes implements AutoCloseable {

    static final Path SERVER_JAR = Path.of(System.getProperty("rmiq.serverJar", "../server/target/server.jar"));
    static final Path CLIENT_JAR = Path.of(System.getProperty("rmiq.clientJar", "target/client.jar"));
    private static final Pattern LISTENING = Pattern.compile("rmiq listening on (\\S+):(\\d+)");

    private final List<Proc> started = new ArrayList<>();

    /** One started process and what it has printed so far. */
    static final class Proc {
        final Process process;
        final List<String> out = Collections.synchronizedList(new ArrayList<>());
        final List<String> err = Collections.synchronizedList(new ArrayList<>());
        private final List<Thread> pumps = new ArrayList<>();

        Proc(Process process) {
            this.process = process;
            pumps.add(pump(process.getInputStream(), out));
            pumps.add(pump(process.getErrorStream(), err));
        }

        private static Thread pump(java.io.InputStream in, List<String> sink) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        sink.add(line);
                    }
                } catch (IOException ignored) {
                    // the process is gone
                }
            }, "pump");
            t.setDaemon(true);
            t.start();
            return t;
        }

        /** Waits for a line of standard output that contains {@code text}, and returns it. */
        String awaitLine(String text, Duration timeout) {
            await().atMost(timeout).until(() -> find(text) != null || !process.isAlive());
            String line = find(text);
            if (line == null) {
                throw new AssertionError("process ended without printing '" + text + "'; stdout=" + out
                        + " stderr=" + err);
            }
            return line;
        }

        private String find(String text) {
            synchronized (out) {
                return out.stream().filter(l -> l.contains(text)).findFirst().orElse(null);
            }
        }

        /** Waits for the process to end and returns its exit code. */
        int awaitExit(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("process still running after " + timeout + "; stdout=" + out
                        + " stderr=" + err);
            }
            for (Thread pump : pumps) {
                pump.join(5_000); // the last lines
            }
            return process.exitValue();
        }

        /** SIGTERM. Through the handle: Process.destroy() would also close our ends of its pipes. */
        void terminate() {
            process.toHandle().destroy();
        }

        String all() {
            return "stdout=" + String.join("\n", out) + "\nstderr=" + String.join("\n", err);
        }
    }

    /** A server started from its jar with these arguments, once it has printed its listening line. */
    ServerProc server(Path workDir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("--bind", "127.0.0.1"));
        cmd.addAll(List.of(args));
        return serverIn(null, workDir, cmd.toArray(new String[0]));
    }

    /** A server on port 0 inside a network namespace, with no bind address unless the arguments give one. */
    ServerProc serverIn(String netns, Path workDir, String... args) throws IOException {
        return serverWith(netns, List.of(), workDir, args);
    }

    /** A server on 127.0.0.1, port 0, with JVM options (such as a Security Manager) before {@code -jar}. */
    ServerProc server(List<String> jvmOptions, Path workDir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("--bind", "127.0.0.1"));
        cmd.addAll(List.of(args));
        return serverWith(null, jvmOptions, workDir, cmd.toArray(new String[0]));
    }

    private ServerProc serverWith(String netns, List<String> jvmOptions, Path workDir, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(args).contains("--port") ? List.of() : List.of("--port", "0"));
        cmd.addAll(List.of(args));
        Proc p = javaIn(netns, jvmOptions, workDir, Map.of(), SERVER_JAR, cmd);
        String line = p.awaitLine("rmiq listening on", Duration.ofSeconds(30));
        Matcher m = LISTENING.matcher(line);
        if (!m.find()) {
            throw new AssertionError("unexpected listening line: " + line);
        }
        return new ServerProc(p, m.group(1), Integer.parseInt(m.group(2)));
    }

    record ServerProc(Proc proc, String host, int port) {
    }

    /** {@code java -jar client.jar ARGS} in {@code workDir}. */
    Proc client(Path workDir, Map<String, String> env, String... args) throws IOException {
        return java(workDir, env, CLIENT_JAR, List.of(args));
    }

    Proc java(Path workDir, Map<String, String> env, Path jar, List<String> args) throws IOException {
        return javaIn(null, List.of(), workDir, env, jar, args);
    }

    /** {@code java OPTIONS -jar JAR ARGS}. */
    Proc java(List<String> jvmOptions, Path workDir, Path jar, List<String> args) throws IOException {
        return javaIn(null, jvmOptions, workDir, Map.of(), jar, args);
    }

    /** Any program, in {@code workDir}: for the Python clients. */
    Proc command(Path workDir, List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        Proc p = new Proc(pb.start());
        started.add(p);
        return p;
    }

    /** {@code java -jar JAR ARGS}, inside network namespace {@code netns} when it is not null. */
    Proc javaIn(String netns, Path workDir, Map<String, String> env, Path jar, List<String> args) throws IOException {
        return javaIn(netns, List.of(), workDir, env, jar, args);
    }

    /** {@code java -cp CLASSPATH MAIN ARGS}: a program run with classes beyond a jar's. */
    Proc javaCp(Path workDir, String classpath, String mainClass, List<String> args) throws IOException {
        return start(null, List.of(), workDir, Map.of(), List.of("-cp", classpath, mainClass), args);
    }

    private Proc javaIn(String netns, List<String> jvmOptions, Path workDir, Map<String, String> env, Path jar,
            List<String> args) throws IOException {
        return start(netns, jvmOptions, workDir, env, List.of("-jar", jar.toAbsolutePath().toString()), args);
    }

    private Proc start(String netns, List<String> jvmOptions, Path workDir, Map<String, String> env, List<String> what,
            List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (netns != null) {
            cmd.addAll(List.of("ip", "netns", "exec", netns));
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xshare:auto");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.addAll(jvmOptions);
        cmd.addAll(what);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("RMIQ_"));
        pb.environment().putAll(env);
        Proc p = new Proc(pb.start());
        started.add(p);
        return p;
    }

    @Override
    public void close() throws InterruptedException {
        for (Proc p : started) {
            p.process.destroy();
        }
        for (Proc p : started) {
            if (!p.process.waitFor(10, TimeUnit.SECONDS)) {
                p.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
