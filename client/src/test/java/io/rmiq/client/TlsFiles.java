package io.rmiq.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server keystore and a client truststore made with the JDK's own keytool, by the commands the
 * README shows, so the README's recipe is what the tests run.
 */
record TlsFiles(Path keystore, Path truststore, Path passwordFile, String password) {

    static TlsFiles make(Path dir, String name) throws IOException, InterruptedException {
        String password = "changeit-" + name;
        Path keystore = dir.resolve(name + "-server.p12");
        Path cert = dir.resolve(name + "-server.crt");
        Path truststore = dir.resolve(name + "-client.p12");
        keytool("-genkeypair", "-alias", "rmiq", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=rmiq-" + name, "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "3650",
                "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", password);
        keytool("-exportcert", "-alias", "rmiq", "-keystore", keystore.toString(), "-storepass", password,
                "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "rmiq", "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", truststore.toString(), "-storepass", password);
        Path passwordFile = dir.resolve(name + "-password");
        Files.writeString(passwordFile, password + "\n");
        Files.setPosixFilePermissions(passwordFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return new TlsFiles(keystore, truststore, passwordFile, password);
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("keytool did not finish");
        }
        assertEquals(0, p.exitValue(), () -> "keytool " + String.join(" ", args) + ": " + new String(out));
    }
}
