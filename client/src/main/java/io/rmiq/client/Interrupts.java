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
    /** Ticks without a wait before the watcher ends. */
    private static final int IDLE_TICKS = 50;
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
    private volatile Thread watcher; // set and cleared under this

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

    private void watch() {
        if (watcher != null) { // racy read: a miss only takes the lock below
            return;
        }
        startWatcher();
    }

    private synchronized void startWatcher() {
        if (watcher == null) {
            watcher = new Thread(this::run, "rmiq-interrupts");
            watcher.setDaemon(true);
            watcher.start();
        }
    }

    private void run() {
        int idle = 0;
        while (true) {
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            // A caller that waits again and again (get after get) finds between its waits an empty
            // table at most ticks: ending only after a second of none spares it a thread start each time.
            idle = waiting.isEmpty() ? idle + 1 : 0;
            if (idle >= IDLE_TICKS) {
                synchronized (this) {
                    // Cleared before the last look: a wait registered after that look sees null and starts another.
                    watcher = null;
                    if (waiting.isEmpty()) {
                        return;
                    }
                    watcher = Thread.currentThread();
                }
                idle = 0;
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
