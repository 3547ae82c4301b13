package org.pgbackfill.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the whole backfill must leave behind for a given {@code chat} table: the upstream loop
 * (chats read with no ORDER BY, that is in physical order, SPEC 6.2; each row inserted, the first
 * to take an id keeps it) replayed with {@link ReferenceExtractor}, single-threaded and in memory.
 */
public final class ReferenceBackfill {
    // Exactly upstream's predicate; its order is a sequential scan's, made explicit (no synchronized scan can start mid-table)
    private static final String READ_CHATS =
        "SELECT id, user_id, chat::text FROM chat WHERE user_id NOT LIKE 'shared-%' ORDER BY ctid";

    private ReferenceBackfill() {}

    /**
     * @param rows               expected {@code chat_message} rows by id, in upstream insertion order
     * @param messageRejections  expected message rejections, in chat order (DUPLICATE_ID included)
     * @param chatRejections     expected chat rejections, in chat order
     * @param chatIdsRead        ids of the chats the predicate lets through, in the order read
     */
    public record Expectation(Map<String, ExpectedRow> rows,
                              List<ExpectedMessageRejection> messageRejections,
                              List<ExpectedChatRejection> chatRejections,
                              List<String> chatIdsRead) {
    }

    /** Reads every chat of {@code conn}'s {@code chat} table (streamed, in one read-only transaction). */
    public static Expectation run(Connection conn, long now) throws SQLException {
        Builder b = new Builder(now);
        boolean autoCommit = conn.getAutoCommit();
        conn.setAutoCommit(false); // pgjdbc only honours the fetch size inside a transaction
        try (PreparedStatement ps = conn.prepareStatement(READ_CHATS)) {
            ps.setFetchSize(64);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) b.add(rs.getString(1), rs.getString(2), rs.getString(3));
            }
            conn.commit();
        } finally {
            if (conn.getAutoCommit() != autoCommit) {
                conn.rollback();
                conn.setAutoCommit(autoCommit);
            }
        }
        return b.build();
    }

    /**
     * The same from chats the caller already holds, in the order a table they were inserted into
     * in this order would hold them; the {@code user_id} predicate is applied here.
     */
    public static Expectation run(List<Fixture> chatsInTableOrder, long now) {
        Builder b = new Builder(now);
        for (Fixture f : chatsInTableOrder) {
            if (isRead(f.userId())) b.add(f.chatId(), f.userId(), f.document());
        }
        return b.build();
    }

    /**
     * {@code user_id NOT LIKE 'shared-%'} evaluated to true: NULL gives NULL (not read); LIKE is
     * case-sensitive and {@code -} is not a wildcard, so this is a plain prefix test.
     */
    public static boolean isRead(String userId) {
        return userId != null && !userId.startsWith("shared-");
    }

    private static final class Builder {
        private final long now;
        private final Map<String, ExpectedRow> rows = new LinkedHashMap<>();
        private final List<ExpectedMessageRejection> messageRejections = new ArrayList<>();
        private final List<ExpectedChatRejection> chatRejections = new ArrayList<>();
        private final List<String> chatIdsRead = new ArrayList<>();

        Builder(long now) {
            this.now = now;
        }

        void add(String chatId, String userId, String document) {
            chatIdsRead.add(chatId);
            ReferenceExtractor.Result r = ReferenceExtractor.extract(chatId, userId, document, now);
            r.chatRejection().ifPresent(reason -> chatRejections.add(new ExpectedChatRejection(chatId, reason)));
            messageRejections.addAll(r.messageRejections());
            for (ExpectedRow row : r.rows()) {
                // ON CONFLICT DO NOTHING: the first inserted row keeps the id. A message that failed
                // to insert never took the id, so only accepted rows count (SPEC leaves this implicit).
                if (rows.putIfAbsent(row.id(), row) != null) {
                    String key = row.id().substring(chatId.length() + 1);
                    messageRejections.add(new ExpectedMessageRejection(chatId, key, ExpectedReason.DUPLICATE_ID,
                        messageOf(document, key)));
                }
            }
        }

        // The raw message of a DUPLICATE_ID rejection: re-read from the document (rare, so no caching).
        private static JsonNode messageOf(String document, String key) {
            try {
                JsonNode doc = ExactJson.parse(document);
                if (doc.isTextual()) doc = ExactJson.parsePython(doc.textValue());
                return doc.get("history").get("messages").get(key);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("document parsed once already", e);
            }
        }

        Expectation build() {
            return new Expectation(Collections.unmodifiableMap(rows), List.copyOf(messageRejections),
                List.copyOf(chatRejections), List.copyOf(chatIdsRead));
        }
    }
}
