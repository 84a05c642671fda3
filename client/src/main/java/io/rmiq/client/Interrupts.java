package io.rmiq.client;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * Makes a wait on the server end when its thread is interrupted. An RMI call blocked in a socket
 * read does not notice {@link Thread#interrupt()}, so a watcher thread looks at the waiting threads
 * every few milliseconds and, for an interrupted one, asks the server to cancel its session's waits
 * ({@code cancelWaits}); the call then returns, and the handle throws {@link InterruptedException}.
 *
 * <p>The watcher runs only while waits are in progress. A cancel also ends the other waits of the
 * same session early; they see no items and simply wait again.
 */
final class Interrupts {

    private static final long TICK_MILLIS = 20;
    /** A cancel can reach the server before the wait it is for has begun there: repeat it this often. */
    private static final long REPEAT_NANOS = 200_000_000;

    private static final class Wait {
        final long session;
        long cancelledAt; // nanoTime of the last cancel sent, 0 for none; only the watcher touches it

        Wait(long session) {
            this.session = session;
        }
    }

    private final Map<Thread, Wait> waiting = new ConcurrentHashMap<>();
    private final LongConsumer cancel;
    private Thread watcher; // guarded by this

    /** @param cancel asks the server to end the waits of a session; must not throw */
    Interrupts(LongConsumer cancel) {
        this.cancel = cancel;
    }

    /** Runs a wait of {@code session} (0: none, and nothing to cancel) that an interrupt ends. */
    <T> T during(long session, Supplier<T> wait) {
        if (session == 0) {
            return wait.get();
        }
        Thread me = Thread.currentThread();
        Wait previous = waiting.put(me, new Wait(session));
        watch();
        try {
            return wait.get();
        } finally {
            if (previous == null) {
                waiting.remove(me);
            } else {
                waiting.put(me, previous);
            }
        }
    }

    private synchronized void watch() {
        if (watcher == null) {
            watcher = new Thread(this::run, "rmiq-interrupts");
            watcher.setDaemon(true);
            watcher.start();
        }
    }

    private void run() {
        while (true) {
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (waiting.isEmpty()) {
                    watcher = null;
                    return;
                }
            }
            long now = System.nanoTime();
            for (Map.Entry<Thread, Wait> e : waiting.entrySet()) {
                Wait w = e.getValue();
                if (e.getKey().isInterrupted() && (w.cancelledAt == 0 || now - w.cancelledAt >= REPEAT_NANOS)) {
                    w.cancelledAt = now == 0 ? 1 : now;
                    cancel.accept(w.session);
                }
            }
        }
    }
}
