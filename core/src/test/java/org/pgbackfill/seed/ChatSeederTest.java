package org.pgbackfill.seed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.PostgresFixture;

class ChatSeederTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    private static final GeneratorOptions EDGY = GeneratorOptions.builder().seed(5).chats(400)
        .meanDocumentBytes(16 << 10).sizeSigma(1.5).edgeCaseShare(0.3).build();

    @Test
    void everyGeneratedDocumentIsAcceptedByPostgresAndStoredAsWritten() throws SQLException {
        DatabaseUrl db = pg.createDatabase("edgy", "");
        SeedReport r;
        try (Connection c = PostgresFixture.connect(db)) {
            r = new ChatSeeder(EDGY).seed(c);
            assertEquals(400, r.chats());
            assertEquals("374d2f66af06", one(c, "SELECT version_num FROM alembic_version"));
            assertEquals("400", one(c, "SELECT count(*) FROM chat"));
            assertEquals(Long.toString(r.documentBytes()), one(c, "SELECT sum(octet_length(chat::text)) FROM chat"));

            Map<String, String[]> stored = new HashMap<>();
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT id, user_id, title, created_at, updated_at, archived, pinned, chat::text, meta::text FROM chat")) {
                while (rs.next()) {
                    String[] row = new String[8];
                    for (int i = 0; i < 8; i++) row[i] = rs.getString(i + 2);
                    stored.put(rs.getString(1), row);
                }
            }
            ChatGenerator again = new ChatGenerator(EDGY);
            EnumSet<EdgeCase> seen = EnumSet.noneOf(EdgeCase.class);
            while (again.hasNext()) {
                GeneratedChat g = again.next();
                String[] row = stored.get(g.id());
                assertNotNull(row, "chat " + g.id() + " is in the table");
                assertEquals(g.userId(), row[0]);
                assertEquals(g.title(), row[1]);
                assertEquals(Long.toString(g.createdAt()), row[2]);
                assertEquals(Long.toString(g.updatedAt()), row[3]);
                assertEquals(g.archived() ? "t" : "f", row[4]);
                assertEquals(g.pinned() ? "t" : "f", row[5]);
                assertEquals(g.documentText(), row[6], "json keeps the text as written: " + g);
                assertEquals(g.meta(), row[7]);
                if (g.edgeCase() != null) seen.add(g.edgeCase());
            }
            assertTrue(seen.size() > 25, "a broad mix of edge cases went in: " + seen);
        }
        assertTrue(r.copyBytes() > r.documentBytes());
    }

    @Test
    void aHugeStringDocumentLoads() throws SQLException {
        DatabaseUrl db = pg.createDatabase("huge", "");
        GeneratorOptions o = GeneratorOptions.builder().seed(1).chats(1).edgeCaseShare(1)
            .edgeCases(EnumSet.of(EdgeCase.HUGE_STRING)).build();
        try (Connection c = PostgresFixture.connect(db)) {
            SeedReport r = new ChatSeeder(o).seed(c);
            assertTrue(r.documentBytes() > 21_000_000);
            assertEquals(Long.toString(r.documentBytes()), one(c, "SELECT octet_length(chat::text) FROM chat"));
        }
    }

    @Test
    void parallelStreamsLoadExactlyTheSameRows() throws SQLException {
        GeneratorOptions o = GeneratorOptions.builder().seed(8).targetBytes(12_000_000).meanDocumentBytes(32 << 10)
            .edgeCaseShare(0.05).build();
        DatabaseUrl one = pg.createDatabase("one", ""), three = pg.createDatabase("three", "");
        SeedReport a, b;
        try (Connection c = PostgresFixture.connect(one)) {
            a = new ChatSeeder(o).copyBatchBytes(2 << 20).seed(c);
        }
        List<Connection> cs = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) cs.add(PostgresFixture.connect(three));
            b = new ChatSeeder(o).copyBatchBytes(2 << 20).seed(cs);
        } finally {
            for (Connection c : cs) c.close();
        }
        assertEquals(a.chats(), b.chats());
        assertEquals(a.documentBytes(), b.documentBytes());
        assertTrue(a.documentBytes() >= 12_000_000);
        assertTrue(a.copies() >= 4, "2 MiB batches make several COPY statements: " + a.copies());
        assertTrue(b.copies() >= 3, "every connection ran COPY: " + b.copies());
        String digest = "SELECT md5(string_agg(id || coalesce(user_id, '') || coalesce(chat::text, '<null>'), '|' ORDER BY id)) FROM chat";
        try (Connection x = PostgresFixture.connect(one); Connection y = PostgresFixture.connect(three)) {
            assertEquals(one(x, digest), one(y, digest));
        }
    }

    @Test
    void aFailingCopyIsReportedAndLeavesTheConnectionsUsable() throws SQLException {
        DatabaseUrl db = pg.createDatabase("dup", "");
        GeneratorOptions o = GeneratorOptions.builder().seed(3).chats(200).meanDocumentBytes(8 << 10).edgeCaseShare(0).build();
        try (Connection c = PostgresFixture.connect(db); Connection d = PostgresFixture.connect(db)) {
            new ChatSeeder(o).seed(c);
            assertFalse(ChatSeeder.createSchemaIfAbsent(c), "the schema exists now");
            // the same chats again: primary key violations, on both streams
            SQLException e = assertThrows(SQLException.class, () -> new ChatSeeder(o).seed(List.of(c, d)));
            assertTrue(e.getMessage().contains("chat_pkey") || String.valueOf(e.getCause()).contains("chat_pkey"), e.getMessage());
            assertEquals("200", one(c, "SELECT count(*) FROM chat"));
            assertEquals("200", one(d, "SELECT count(*) FROM chat"));
        }
    }

    @Test
    void refusesAnAlembicDatabaseWithoutChat() throws SQLException {
        DatabaseUrl db = pg.createDatabase("alembic", "");
        try (Connection c = PostgresFixture.connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)");
            SQLException e = assertThrows(SQLException.class, () -> ChatSeeder.createSchemaIfAbsent(c));
            assertTrue(e.getMessage().contains("no chat table"), e.getMessage());
        }
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
