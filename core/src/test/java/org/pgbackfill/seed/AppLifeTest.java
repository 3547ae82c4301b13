package org.pgbackfill.seed;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The app's simulated life takes every row the first job can write: a chat_message row whose
 * content is a JSON string with a lone surrogate escape, which PostgreSQL's json type stores but
 * cannot take apart ({@code json_typeof}, {@code #>>} raise "Unicode low surrogate must follow a high
 * surrogate"), stopped {@code seed --revision 856c5b02fb54} at 20,000 chats.
 */
class AppLifeTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @Test
    void rowsWhoseContentJsonCannotTakeApartAreLeftAsTheyAre() throws Exception {
        DatabaseUrl url = pg.createDatabase("applife", "");
        try (Connection c = PostgresFixture.connect(url)) {
            new RevisionSeeder(GeneratorOptions.builder().seed(3).chats(20).build(), RevisionSeeder.BEFORE_CURRENT_MESSAGE)
                .seed(url, List.of(c));
            String chat;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM chat ORDER BY id LIMIT 1")) {
                rs.next();
                chat = rs.getString(1);
            }
            // 200 rows: the edit picks 5% of rows, so some of them are picked whatever the seed
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO chat_message (id, chat_id, role, content, created_at, updated_at) "
                    + "VALUES (?, ?, 'user', ?::json, 1, 1)")) {
                for (int i = 0; i < 200; i++) {
                    ps.setString(1, "lone-" + i);
                    ps.setString(2, chat);
                    ps.setString(3, "\"text with a lone \\ud83d\"");
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            AppLife.Report report = AppLife.apply(c, 5, 1_750_000_000L);
            assertTrue(report.rowsEdited() > 0, report.toString());
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM chat_message WHERE id LIKE 'lone-%' "
                    + "AND content::text = '\"text with a lone \\ud83d\"'")) {
                rs.next();
                long kept = rs.getLong(1);
                try (Statement s2 = c.createStatement(); ResultSet all = s2.executeQuery("SELECT count(*) FROM chat_message WHERE id LIKE 'lone-%'")) {
                    all.next();
                    assertEquals(all.getLong(1), kept, "a row the app cannot read is not edited");
                }
            }
        }
    }
}
