package org.pgbackfill.copy;

import org.pgbackfill.state.ControlTables;

import java.util.HashMap;
import java.util.Map;

/**
 * Knows when a claimed range (one attempt at it) is loaded: its reader has published everything it found (and said how many
 * events that was) and the writers have committed that many. Only then is the range recorded as
 * loaded, so a recorded range never has rows still in flight.
 */
public final class RangeTracker {
    public interface Listener { void loaded(ControlTables.Claim claim, long chats, long rows, long documentBytes) throws Exception; }

    private static final class State {
        long expectedEvents = -1, committedEvents, committedRows, chats, documentBytes;
        boolean done;
    }

    private final Map<ControlTables.Claim, State> states = new HashMap<>();
    private final Listener listener;

    public RangeTracker(Listener listener) { this.listener = listener; }

    public void published(ControlTables.Claim rangeId, long events, long chats, long documentBytes) throws Exception {
        State s;
        synchronized (this) {
            s = state(rangeId);
            s.expectedEvents = events;
            s.chats = chats;
            s.documentBytes = documentBytes;
            if (!complete(s)) return;
        }
        listener.loaded(rangeId, s.chats, s.committedRows, s.documentBytes);
    }

    void committed(ControlTables.Claim rangeId, long events, long rows) throws Exception {
        State s;
        synchronized (this) {
            s = state(rangeId);
            s.committedEvents += events;
            s.committedRows += rows;
            if (!complete(s)) return;
        }
        listener.loaded(rangeId, s.chats, s.committedRows, s.documentBytes);
    }

    public synchronized long rowsCommitted() {
        return states.values().stream().mapToLong(s -> s.committedRows).sum();
    }

    private boolean complete(State s) {
        if (s.done || s.expectedEvents < 0 || s.committedEvents < s.expectedEvents) return false;
        s.done = true;
        return true;
    }

    private State state(ControlTables.Claim rangeId) { return states.computeIfAbsent(rangeId, k -> new State()); }
}
