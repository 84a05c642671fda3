package io.rmiq.client;

import io.rmiq.transport.Handshake;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.rmi.Remote;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * JRMP written by hand (Java RMI specification, chapter 10), after a real rmiq handshake: what a
 * hostile client that holds the key can put on the wire, free of the stub's argument types.
 */
final class Jrmp {

    /** The object id of an exported object: its number and the UID of its space. */
    record Target(long objNum, int unique, long time, short count) {
        static final Target REGISTRY = new Target(0, 0, 0, (short) 0);
        private static final Pattern OBJ_ID =
                Pattern.compile("objID:\\[(-?[0-9a-f]+):(-?[0-9a-f]+):(-?[0-9a-f]+), (-?\\d+)]");

        /** Read from the stub's toString, the one public place that shows it. */
        static Target of(Remote stub) {
            Matcher m = OBJ_ID.matcher(stub.toString());
            if (!m.find()) {
                throw new IllegalArgumentException("no objID in " + stub);
            }
            return new Target(Long.parseLong(m.group(4)), Integer.parseInt(m.group(1), 16),
                    Long.parseLong(m.group(2), 16), (short) Integer.parseInt(m.group(3), 16));
        }
    }

    /** Writes a call's arguments. */
    interface Args {
        void write(ObjectOutputStream out) throws Exception;
    }

    private Jrmp() {
    }

    /** The legacy registry's interface hash; registry calls name their method by number. */
    static final long REGISTRY_HASH = 4905912898345647071L;
    static final int REGISTRY_LOOKUP = 2;

    /** The hash that names a method in a JRMP call: SHA-1 of its name and descriptor, little-endian. */
    static long methodHash(Method m) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-1");
            try (DataOutputStream out = new DataOutputStream(new DigestOutputStream(OutputStream.nullOutputStream(), sha))) {
                out.writeUTF(m.getName() + MethodType.methodType(m.getReturnType(), m.getParameterTypes())
                        .toMethodDescriptorString());
            }
            byte[] h = sha.digest();
            long hash = 0;
            for (int i = 0; i < 8; i++) {
                hash += (long) (h[i] & 0xFF) << (i * 8);
            }
            return hash;
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The bytes of one call message after the Call byte: RMI's object stream (whose class
     * annotations are codebase URLs, here null), the target, the method and the arguments.
     */
    static byte[] call(Target t, int op, long hash, Args args) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes) {
            @Override
            protected void annotateClass(Class<?> cl) throws IOException {
                writeObject(null);
            }

            @Override
            protected void annotateProxyClass(Class<?> cl) throws IOException {
                writeObject(null);
            }
        }) {
            out.writeLong(t.objNum());
            out.writeInt(t.unique());
            out.writeLong(t.time());
            out.writeShort(t.count());
            out.writeInt(op);
            out.writeLong(hash);
            args.write(out);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("could not write the arguments", e);
        }
        return bytes.toByteArray();
    }

    /** A call to a method of an exported rmiq object, with whatever arguments. */
    static byte[] call(Remote stub, Method m, Args args) throws IOException {
        return call(Target.of(stub), -1, methodHash(m), args);
    }

    /**
     * Connects, proves {@code key}, opens a JRMP stream connection, then sends {@code afterHandshake}
     * and half-closes, and returns everything the server answered until it closed: one bounded
     * exchange, whatever the bytes.
     *
     * @param jrmpHeader whether to send the JRMP protocol header first (else the bytes are all raw)
     */
    static byte[] exchange(int port, byte[] key, boolean jrmpHeader, byte[] afterHandshake, int timeoutMs)
            throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(timeoutMs);
            Handshake.client(s, realm -> key, "127.0.0.1:" + port);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            if (jrmpHeader) {
                out.writeInt(0x4a524d49); // "JRMI"
                out.writeShort(2);
                out.writeByte(0x4b); // StreamProtocol
                out.flush();
                int ack = in.read();
                if (ack != 0x4e) { // ProtocolAck
                    throw new IOException("no ProtocolAck: " + ack);
                }
                in.readUTF(); // the host the server sees us as
                in.readInt();
                out.writeUTF("127.0.0.1");
                out.writeInt(0);
            }
            out.write(afterHandshake);
            out.flush();
            s.shutdownOutput();
            readAll(in, answer);
            return answer.toByteArray();
        }
    }

    /** Sends one call message (Call byte, then {@code call}) and returns the answer. */
    static byte[] invoke(int port, byte[] key, byte[] call) throws IOException {
        byte[] message = new byte[call.length + 1];
        message[0] = 0x50; // Call
        System.arraycopy(call, 0, message, 1, call.length);
        return exchange(port, key, true, message, 10_000);
    }

    /** Whether the answer is a ReturnData whose return type is "normal" (not an exception). */
    static boolean returnedNormally(byte[] answer) {
        // 0x51, the stream header (4 bytes), a block-data header (2 bytes), then the return type
        return answer.length > 7 && answer[0] == 0x51 && answer[7] == 1;
    }

    /** The answer as text, where exception messages and class names can be found. */
    static String text(byte[] answer) {
        return new String(answer, StandardCharsets.ISO_8859_1);
    }

    private static void readAll(InputStream in, ByteArrayOutputStream sink) throws IOException {
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                sink.write(buf, 0, n);
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // an exchange ends at the timeout or a reset as surely as at a close
        }
    }
}
