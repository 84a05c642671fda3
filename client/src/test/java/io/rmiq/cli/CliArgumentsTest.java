package io.rmiq.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class CliArgumentsTest {

    static String[] a(String... s) {
        return s;
    }

    @Test
    void connectionOptionsBeforeTheCommand_moveAfterIt() {
        assertArrayEquals(a("worker", "--host", "h", "--port", "1", "--threads", "2"),
                Cli.connectionOptionsAfterCommand(a("--host", "h", "--port", "1", "worker", "--threads", "2")));
        assertArrayEquals(a("stats", "--host=h:1,g:2", "--authkey-file", "k"),
                Cli.connectionOptionsAfterCommand(a("--host=h:1,g:2", "--authkey-file", "k", "stats")));
    }

    @Test
    void otherwise_theArgumentsStayAsGiven() {
        String[][] unchanged = {a("worker", "--host", "h"), a("--threads", "2", "worker"), a("--host", "h"),
                a("submit", "--", "--host", "x"), a()};
        for (String[] args : unchanged) {
            assertArrayEquals(args, Cli.connectionOptionsAfterCommand(args));
        }
    }
}
