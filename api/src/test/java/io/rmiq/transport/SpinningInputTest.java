package io.rmiq.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SpinningInputTest {

    @Test
    void bytesThatComeLate_areRead_andTheConnectionIsLeftAloneForAWhile() throws Exception {
        assumeTrue(Runtime.getRuntime().availableProcessors() > 1, "no read watches on one core");
        PipedOutputStream out = new PipedOutputStream();
        PipedInputStream pipe = new PipedInputStream(out, 1 << 16);
        SpinningInput in = new SpinningInput(pipe, pipe);
        // A new connection's first reads block at once.
        assertFalse(in.watching());
        for (int i = 0; i < 8; i++) {
            out.write(i);
            assertEquals(i, in.read());
        }
        assertTrue(in.watching());

        // Far later than a watch lasts: the read watches, finds nothing, blocks, and gets the bytes.
        CompletableFuture<Void> late = CompletableFuture.runAsync(() -> {
            try {
                TimeUnit.MILLISECONDS.sleep(100);
                out.write(new byte[] {1, 2, 3});
                out.flush();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        byte[] got = new byte[3];
        assertEquals(3, in.readNBytes(got, 0, 3));
        assertArrayEquals(new byte[] {1, 2, 3}, got);
        late.get(10, TimeUnit.SECONDS);
        assertFalse(in.watching(), "a watch that found nothing backs off");

        // The back-off is counted in reads: one read later it watches again.
        out.write(4);
        assertEquals(4, in.read());
        assertTrue(in.watching());
    }

    @Test
    void bytesAlreadyThere_areReadAtOnce_inOrder() throws Exception {
        PipedOutputStream out = new PipedOutputStream();
        PipedInputStream pipe = new PipedInputStream(out, 1 << 16);
        SpinningInput in = new SpinningInput(pipe, pipe);
        byte[] data = new byte[10_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        out.write(data);
        out.close();
        assertArrayEquals(data, in.readAllBytes());
        assertEquals(-1, in.read());
    }
}
