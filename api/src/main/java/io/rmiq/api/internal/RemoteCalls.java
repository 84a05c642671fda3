package io.rmiq.api.internal;

import io.rmiq.api.RmiqException;
import io.rmiq.serial.ClassFilter;
import io.rmiq.serial.RmiqFilterFactory;
import java.rmi.RemoteException;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * How the handles (queues, locks) call their server: under the result filter, with failures
 * translated, and with waits cut into slices so that no server thread waits long for one caller.
 */
final class RemoteCalls {

    /** A deadline that never comes. */
    static final long FOREVER = Long.MIN_VALUE;

    private final String peer;
    private final ClassFilter resultFilter;

    /**
     * @param resultFilter applied to what a remote server returns, or null for an in-JVM server
     */
    RemoteCalls(String peer, ClassFilter resultFilter) {
        this.peer = peer;
        this.resultFilter = resultFilter;
    }

    String peer() {
        return peer;
    }

    /** A call that may wait on the server: an interrupt of the caller ends it with InterruptedException. */
    <T> T call(Callable<T> c) throws InterruptedException {
        try {
            return resultFilter == null ? c.call() : RmiqFilterFactory.during(resultFilter, c);
        } catch (RemoteException | RuntimeException e) {
            if (Thread.interrupted()) {
                // In process, the server's engine saw this thread's own interrupt.
                throw new InterruptedException();
            }
            if (e instanceof RuntimeException r && !(r instanceof RmiqException)) {
                throw r; // misuse (a closed client, a bad argument): not an outage to retry
            }
            throw Failures.translate(e, peer, resultFilter);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A short call that does not wait on the server: an interrupt is left for the caller to see. */
    <T> T uninterruptibly(Callable<T> c) {
        boolean interrupted = Thread.interrupted();
        try {
            return call(c);
        } catch (InterruptedException e) {
            interrupted = true;
            throw Failures.translate(e, peer);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static long deadline(Duration timeout) {
        long nanos = timeout.isNegative() ? 0 : Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
        long deadline = System.nanoTime() + nanos;
        return deadline == FOREVER ? deadline + 1 : deadline;
    }

    static boolean expired(long deadline) {
        return deadline != FOREVER && System.nanoTime() - deadline >= 0;
    }

    /** How long the next server-side wait may be: what is left, at most one slice. */
    static long slice(long deadline) {
        if (deadline == FOREVER) {
            return QueueHandle.SLICE_MILLIS;
        }
        long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
        return Math.min(left, QueueHandle.SLICE_MILLIS);
    }

    static void checkInterrupt() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }
}
