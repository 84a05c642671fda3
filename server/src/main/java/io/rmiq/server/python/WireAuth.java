package io.rmiq.server.python;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * multiprocessing.connection's mutual HMAC handshake, server first: we challenge, then answer the
 * client's challenge. We send 3.12's {@code {sha256}} challenge and accept both its answer and the
 * raw HMAC-MD5 answer of 3.11 and older; we answer either kind of challenge. See PYTHON-WIRE.md §2.
 */
final class WireAuth {

    /** Python reads handshake messages with maxsize=256; so do we. */
    static final int MAX_AUTH_FRAME = 256;
    private static final byte[] CHALLENGE = ascii("#CHALLENGE#");
    private static final byte[] WELCOME = ascii("#WELCOME#");
    private static final byte[] FAILURE = ascii("#FAILURE#");
    private static final Map<String, String> DIGESTS = Map.of("md5", "HmacMD5", "sha256", "HmacSHA256",
            "sha384", "HmacSHA384", "sha3_256", "HmacSHA3-256", "sha3_384", "HmacSHA3-384");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The peer failed to prove it holds the key (or we failed to prove it to the peer). */
    static final class Failed extends IOException {
        Failed(String why) {
            super(why);
        }
    }

    private WireAuth() {
    }

    static void serverSide(DataInputStream in, DataOutputStream out, byte[] key) throws IOException {
        deliverChallenge(in, out, key);
        answerChallenge(in, out, key);
    }

    private static void deliverChallenge(DataInputStream in, DataOutputStream out, byte[] key) throws IOException {
        byte[] random = new byte[40];
        RANDOM.nextBytes(random);
        byte[] message = concat(ascii("{sha256}"), random);
        Frames.write(out, concat(CHALLENGE, message));
        byte[] response = Frames.read(in, MAX_AUTH_FRAME);
        byte[] expected;
        byte[] got;
        if (response.length == 16) {
            // A 3.11-or-older client MACs our whole message with MD5 and sends the bare digest.
            expected = hmac("HmacMD5", key, message);
            got = response;
        } else {
            String name = digestName(response);
            if (name == null) {
                Frames.write(out, FAILURE);
                throw new Failed("unrecognised response to our challenge (" + response.length + " bytes)");
            }
            int prefix = name.length() + 2;
            expected = hmac(DIGESTS.get(name), key, message);
            got = Arrays.copyOfRange(response, prefix, response.length);
        }
        if (!MessageDigest.isEqual(expected, got)) {
            Frames.write(out, FAILURE);
            throw new Failed("wrong authkey (the client's answer to our challenge did not match)");
        }
        Frames.write(out, WELCOME);
    }

    private static void answerChallenge(DataInputStream in, DataOutputStream out, byte[] key) throws IOException {
        byte[] challenge = Frames.read(in, MAX_AUTH_FRAME);
        if (!startsWith(challenge, CHALLENGE)) {
            throw new Failed("the client sent no challenge");
        }
        byte[] message = Arrays.copyOfRange(challenge, CHALLENGE.length, challenge.length);
        byte[] answer;
        if (message.length == 20) {
            answer = hmac("HmacMD5", key, message); // a legacy challenge gets a raw MD5 answer
        } else {
            String name = digestName(message);
            if (name == null) {
                throw new Failed("the client's challenge names no digest we know");
            }
            answer = concat(ascii("{" + name + "}"), hmac(DIGESTS.get(name), key, message));
        }
        Frames.write(out, answer);
        byte[] verdict = Frames.read(in, MAX_AUTH_FRAME);
        if (!Arrays.equals(verdict, WELCOME)) {
            throw new Failed("the client refused our answer: its authkey differs from ours");
        }
    }

    /** The digest named by a leading {@code {name}}, if it is one we accept. */
    private static String digestName(byte[] b) {
        if (b.length < 20 || b[0] != '{') {
            return null;
        }
        for (int i = 1; i < Math.min(b.length, 12); i++) {
            if (b[i] == '}') {
                String name = new String(b, 1, i - 1, StandardCharsets.US_ASCII);
                return DIGESTS.containsKey(name) ? name : null;
            }
        }
        return null;
    }

    private static byte[] hmac(String algorithm, byte[] key, byte[] message) {
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key, algorithm));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " is missing from this JDK", e);
        }
    }

    private static boolean startsWith(byte[] b, byte[] prefix) {
        return b.length >= prefix.length && Arrays.equals(b, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
