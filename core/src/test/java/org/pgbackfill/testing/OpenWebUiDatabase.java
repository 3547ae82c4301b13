package org.pgbackfill.testing;

import org.pgbackfill.seed.ChatSeeder;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.Collection;

/** Builds and fills Open WebUI databases at revision {@code 374d2f66af06}, the backfill's starting point. */
public final class OpenWebUiDatabase {
    public static final String SCHEMA_RESOURCE = ChatSeeder.SCHEMA_RESOURCE;
    /** created_at/updated_at of inserted chats (2024-05-29); the backfill never reads them. */
    public static final long CHAT_TIMESTAMP = 1_717_000_000L;

    private static final String INSERT_CHAT =
        "INSERT INTO chat (id, user_id, title, created_at, updated_at, share_id, archived, chat, pinned, meta, folder_id) "
            + "VALUES (?, ?, ?, ?, ?, NULL, false, ?::json, false, '{}'::json, NULL)";
    private static final int BATCH = 500;

    private OpenWebUiDatabase() {}

    /** The {@code chat} table, its indexes and {@code alembic_version} = 374d2f66af06, exactly as shipped. */
    public static void createSchema(Connection conn) throws SQLException {
        execute(conn, schemaSql());
    }

    /**
     * The old-install variant SPEC.md section 1 allows: {@code id VARCHAR(255)} with {@code UNIQUE(id)}
     * and no primary key; everything else identical (derived from the same resource so it cannot drift).
     */
    public static void createLegacySchema(Connection conn) throws SQLException {
        String sql = replaceOnce(schemaSql(), "id         VARCHAR NOT NULL,", "id         VARCHAR(255) NOT NULL,");
        sql = replaceOnce(sql, "CONSTRAINT chat_pkey PRIMARY KEY (id),", "CONSTRAINT chat_id_key UNIQUE (id),");
        execute(conn, sql);
    }

    /** Inserts one chat; {@code jsonText} null stores SQL NULL, otherwise PostgreSQL validates it as {@code json}. */
    public static void insertChat(Connection conn, String id, String userId, String jsonText) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(INSERT_CHAT)) {
            bind(ps, id, userId, jsonText);
            ps.executeUpdate();
        }
    }

    /** Inserts many chats with batched statements (in the caller's transaction mode). */
    public static void insertChats(Connection conn, Collection<Fixture> chats) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(INSERT_CHAT)) {
            int pending = 0;
            for (Fixture f : chats) {
                bind(ps, f.chatId(), f.userId(), f.document());
                ps.addBatch();
                if (++pending == BATCH) {
                    ps.executeBatch();
                    pending = 0;
                }
            }
            if (pending > 0) ps.executeBatch();
        }
    }

    private static void bind(PreparedStatement ps, String id, String userId, String jsonText) throws SQLException {
        ps.setString(1, id);
        ps.setString(2, userId);
        ps.setString(3, "chat " + id);
        ps.setLong(4, CHAT_TIMESTAMP);
        ps.setLong(5, CHAT_TIMESTAMP);
        if (jsonText == null) ps.setNull(6, Types.VARCHAR);
        else ps.setString(6, jsonText);
    }

    static String schemaSql() {
        return ChatSeeder.schemaSql();   // one copy of the DDL, shared with `pgbackfill seed`
    }

    private static void execute(Connection conn, String sql) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute(sql); // pgjdbc runs a multi-statement script as one batch
        }
    }

    private static String replaceOnce(String s, String from, String to) {
        int i = s.indexOf(from);
        if (i < 0 || s.indexOf(from, i + 1) >= 0) {
            throw new IllegalStateException("schema resource changed: expected exactly one '" + from + "'");
        }
        return s.substring(0, i) + to + s.substring(i + from.length());
    }
}
