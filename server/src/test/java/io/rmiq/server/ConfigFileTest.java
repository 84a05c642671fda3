package io.rmiq.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConfigFileTest {

    @TempDir Path dir;

    String[] expand(String file, String... args) throws Exception {
        Path f = dir.resolve("rmiq.properties");
        Files.writeString(f, file);
        String[] all = new String[args.length + 2];
        all[0] = "--config";
        all[1] = f.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return ConfigFile.expand(all, new CommandLine(new Main()).getCommandSpec());
    }

    @Test
    void theFilesFlagsComeFirst_andTheCommandLineWins() throws Exception {
        assertArrayEquals(new String[] {"--fsync", "always", "--queue", "jobs", "--queue", "other:5", "--port", "7"},
                expand("port = 1099\nqueue = jobs other:5\nfsync = always\n", "--port", "7"));
        assertArrayEquals(new String[] {"--port", "1099", "--queue", "mine"},
                expand("port = 1099\nqueue = jobs other:5\n", "--queue", "mine"), "a list on the command line replaces the file's");
        assertArrayEquals(new String[] {"--help"}, expand("# nothing\n", "--help"));
    }

    @Test
    void badKeys_andSwitchValues_areNamed() {
        ConfigFile.Invalid e = assertThrows(ConfigFile.Invalid.class, () -> expand("prot = 1\n"));
        assertTrue(e.getMessage().contains("unknown key 'prot'"), e.getMessage());
        e = assertThrows(ConfigFile.Invalid.class, () -> expand("port =\n"));
        assertTrue(e.getMessage().contains("'port' has no value"), e.getMessage());
        e = assertThrows(ConfigFile.Invalid.class, () -> expand("config = other\n"));
        assertTrue(e.getMessage().contains("unknown key 'config'"), e.getMessage());
    }
}
