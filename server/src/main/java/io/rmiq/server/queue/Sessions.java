package io.rmiq.server.queue;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The server's live sessions. A lease belongs to a session; a session that stops sending heartbeats
 * (its client died, or lost the network) ends, and the caller then returns its leased tasks.
 *
 * <p>Why our own heartbeat: RMI's distributed GC notices a dead client only after its lease, ten
 * minutes by default; workers that die must give their tasks back within seconds.
 */
public final class Sessions {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** One client's session. */
    public static final class Session {
        final long id;
        final String description;
        final boolean local;
        final long openedAt;
        volatile long lastSeen;
        /** Bumped by {@link Sessions#cancelWaits}: a wait that saw another value ends. */
        volatile int cancels;

        Session(long id, String description, boolean local, long now) {
            this.id = id;
            this.description = description;
            this.local = local;
            this.openedAt = now;
            this.lastSeen = now;
        }

        public long openedAt() {
            return openedAt;
        }

        public long lastSeen() {
            return lastSeen;
        }

        public boolean local() {
            return local;
        }

        public long id() {
            return id;
        }

        public String description() {
            return description;
        }

        /** What a wait starting now compares against: see {@link #cancelledSince}. */
        public int waitMark() {
            return cancels;
        }

        /** Whether the session's waits were cancelled since {@code mark} was taken. */
        public boolean cancelledSince(int mark) {
            return cancels != mark;
        }
    }

    private final Map<Long, Session> live = new ConcurrentHashMap<>();
    private final Queue<Session> closed = new ConcurrentLinkedQueue<>();
    private final long timeoutMillis;

    public Sessions(long timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
    }

    public long timeoutMillis() {
        return timeoutMillis;
    }

    /** A session for a remote client, ended by silence. */
    public long open(String description, long now) {
        return add(description, false, now);
    }

    /** A session for the server's own JVM, which never times out. */
    public long openLocal() {
        return add("in-process", true, 0);
    }

    private long add(String description, boolean local, long now) {
        while (true) {
            long id = RANDOM.nextLong() & Long.MAX_VALUE;
            if (id != 0 && live.putIfAbsent(id, new Session(id, description, local, now)) == null) {
                return id;
            }
        }
    }

    public boolean isLive(long id) {
        return live.containsKey(id);
    }

    /** The live session {@code id}, or null. */
    public Session get(long id) {
        return live.get(id);
    }

    /** The session's {@link Session#waitMark}, or 0 if it is not live. */
    public int waitMark(long id) {
        Session s = live.get(id);
        return s == null ? 0 : s.cancels;
    }

    /**
     * Marks every wait of the session in progress as cancelled; the caller then wakes the waiters.
     *
     * @return false if the session is not live
     */
    public boolean cancelWaits(long id) {
        Session s = live.get(id);
        if (s == null) {
            return false;
        }
        synchronized (s) {
            s.cancels++;
        }
        return true;
    }

    /** Returns false if the session is unknown: expired, closed, or from before a restart. */
    public boolean heartbeat(long id, long now) {
        Session s = live.get(id);
        if (s == null) {
            return false;
        }
        s.lastSeen = now;
        return true;
    }

    /** Ends a session; returns it, or null if it was not live. {@link #expire} hands it on. */
    public Session close(long id) {
        cancelWaits(id);
        Session s = live.remove(id);
        if (s != null) {
            closed.add(s);
        }
        return s;
    }

    /** Ends the sessions silent for longer than the timeout, and returns them with those closed since. */
    public List<Session> expire(long now) {
        List<Session> out = new ArrayList<>();
        for (Session s; (s = closed.poll()) != null; ) {
            out.add(s);
        }
        for (Session s : live.values()) {
            if (!s.local && now - s.lastSeen > timeoutMillis && live.remove(s.id, s)) {
                out.add(s);
            }
        }
        return out;
    }

    public int size() {
        return live.size();
    }

    /** Live sessions of remote clients. */
    public int remote() {
        return (int) live.values().stream().filter(x -> !x.local).count();
    }

    /** The live sessions, in no order. */
    public List<Session> all() {
        return new ArrayList<>(live.values());
    }
}
