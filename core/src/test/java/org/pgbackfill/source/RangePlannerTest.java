package org.pgbackfill.source;

import org.pgbackfill.testing.VersionMatrix;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ranges must tile the keyspace exactly (every chat in exactly one range) in the database's
 * collation, whatever the ids look like, and balance document bytes, not rows.
 */
@VersionMatrix
class RangePlannerTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"C", "ICU en-US"})
    void rangesTileTheKeyspaceAndBalanceBytes(String collation) throws Exception {
        DatabaseUrl url = pg.createDatabase(collation.startsWith("ICU") ? "icu" : "c",
            collation.startsWith("ICU") ? PostgresFixture.ICU_EN_US : "TEMPLATE template0 LOCALE 'C'");
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            OpenWebUiDatabase.createSchema(c);
            // Ids of every shape (case, punctuation, digits, non-ASCII); sizes skewed: every 50th chat is 200x larger.
            st.execute("INSERT INTO chat (id, user_id, chat, meta) SELECT "
                + "(ARRAY['a','B','_','-','Ä','z','0','é'])[1 + g % 8] || (g * 7919 % 10007)::text || (CASE WHEN g % 3 = 0 THEN '-x' ELSE 'Y' END), "
                + "CASE WHEN g % 40 = 0 THEN 'shared-' || g ELSE 'u' || g % 7 END, "
                + "json_build_object('history', json_build_object('messages', json_build_object('m', json_build_object('role', 'user', "
                + "'content', repeat(md5(g::text), CASE WHEN g % 50 = 0 THEN 400 ELSE 2 END))))), '{}' "
                + "FROM generate_series(1, 6000) g");
            st.execute("ANALYZE chat");

            RangePlanner.Plan plan = new RangePlanner(12, Long.MAX_VALUE, 800, org.pgbackfill.job.chatmessage.ChatMessageJob.SCOPE).plan(c);   // sampling path: 800 of 6000 rows
            List<KeyRange> ranges = plan.ranges();
            assertTrue(ranges.size() >= 8, "ranges: " + ranges.size());
            assertEquals(null, ranges.get(0).lo());
            assertEquals(null, ranges.get(ranges.size() - 1).hi());
            for (int i = 1; i < ranges.size(); i++) assertEquals(ranges.get(i - 1).hi(), ranges.get(i).lo());

            // every chat falls in exactly one range, decided by PostgreSQL
            StringBuilder matches = new StringBuilder("SELECT count(*) FILTER (WHERE n <> 1), count(*) FROM (SELECT ");
            for (int i = 0; i < ranges.size(); i++) {
                matches.append(i == 0 ? "" : " + ").append("(CASE WHEN ").append(ranges.get(i).predicate()).append(" THEN 1 ELSE 0 END)");
            }
            matches.append(" AS n FROM chat) s");
            try (ResultSet rs = st.executeQuery(matches.toString())) {
                rs.next();
                assertEquals(0, rs.getLong(1), "chats in zero or several ranges");
                assertEquals(6000, rs.getLong(2));
            }

            // bytes are balanced although rows are not
            long[] bytes = new long[ranges.size()];
            long total = 0;
            for (int i = 0; i < ranges.size(); i++) {
                try (ResultSet rs = st.executeQuery("SELECT coalesce(sum(pg_column_size(chat) + 256), 0) FROM chat WHERE "
                        + ranges.get(i).predicate() + " AND user_id NOT LIKE 'shared-%'")) {
                    rs.next();
                    bytes[i] = rs.getLong(1);
                    total += bytes[i];
                }
            }
            long mean = total / ranges.size();
            for (int i = 0; i < ranges.size(); i++) {
                assertTrue(bytes[i] < 3 * mean, "range " + i + " holds " + bytes[i] + " bytes, mean " + mean);
            }
        }
    }
}
