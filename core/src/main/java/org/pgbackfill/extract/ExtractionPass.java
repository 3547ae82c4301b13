package org.pgbackfill.extract;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a pass over the document does at each step of {@link MessageExtractor}'s walk. A later
 * {@code history}, {@code messages} or message key replaces an earlier one, so a row may only leave
 * once it is known to win: {@link Buffered} holds a small document's rows until its end; for a
 * large one, {@link Scan} notes which occurrence of everything wins and {@link Stream} emits those
 * as the second walk meets them. The passes are told of keys and messages, never of tokens.
 */
interface ExtractionPass {
    void historyStarted();

    void messagesStarted();

    /** Whether the message at this key and position is to be read (else it is skipped). */
    boolean wants(String key, int ordinal);

    /** A message read: a {@link MessageRow}, a {@link MessageReader.Rejected}, or null (skipped). */
    void message(String key, int ordinal, Object result);

    /** Sends a message's result, a row or a rejection, to the sink (null: nothing). */
    static void emit(Object result, ExtractionSink sink, String chatId) {
        if (result instanceof MessageRow row) {
            sink.row(row);
        } else if (result instanceof MessageReader.Rejected r) {
            sink.rejectedMessage(chatId, r.key(), r.reason(), r.detail(), r.rawJson());
        }
    }

    /** One pass, rows held until the document is known to be whole; a later occurrence replaces an earlier one. */
    final class Buffered implements ExtractionPass {
        private final Map<String, Object> results = new LinkedHashMap<>();

        @Override public void historyStarted() { results.clear(); }
        @Override public void messagesStarted() { results.clear(); }
        @Override public boolean wants(String key, int ordinal) { return true; }

        @Override public void message(String key, int ordinal, Object result) {
            results.remove(key);
            if (result != null) results.put(key, result);
        }

        void emit(ExtractionSink sink, String chatId) {
            for (Object r : results.values()) ExtractionPass.emit(r, sink, chatId);
        }
    }

    /** First of two passes: validates the document and notes which occurrence of everything wins. */
    final class Scan implements ExtractionPass {
        int history = -1, messages = -1;
        final Map<String, Integer> lastOrdinal = new HashMap<>();

        @Override public void historyStarted() { history++; messages = -1; lastOrdinal.clear(); }
        @Override public void messagesStarted() { messages++; lastOrdinal.clear(); }

        @Override public boolean wants(String key, int ordinal) {
            lastOrdinal.put(key, ordinal);
            return false;
        }

        @Override public void message(String key, int ordinal, Object result) { throw new IllegalStateException(); }
    }

    /** Second pass: emits each winning message as soon as it is read. */
    final class Stream implements ExtractionPass {
        private final Scan winners;
        private final ExtractionSink sink;
        private final String chatId;
        private int history = -1, messages = -1;

        Stream(Scan winners, ExtractionSink sink, String chatId) {
            this.winners = winners;
            this.sink = sink;
            this.chatId = chatId;
        }

        @Override public void historyStarted() { history++; messages = -1; }
        @Override public void messagesStarted() { messages++; }

        @Override public boolean wants(String key, int ordinal) {
            return history == winners.history && messages == winners.messages
                && Integer.valueOf(ordinal).equals(winners.lastOrdinal.get(key));
        }

        @Override public void message(String key, int ordinal, Object result) { emit(result, sink, chatId); }
    }
}
