package org.pgbackfill.job.currentmessage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.Backfill;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.verify.CurrentMessageVerifier;
import org.pgbackfill.verify.VerifyConfig;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** verify for the current_message_id job: silent on a finished run, and it finds every chat whose value was tampered with. */
class CurrentMessageVerifierTest {
    @RegisterExtension
    static PostgresFixture pg = CurrentMessageJobTest.pg;

    private static CurrentMessageVerifier.Report verify(DatabaseUrl url) throws Exception {
        return new CurrentMessageVerifier(VerifyConfig.builder().database(url).workers(2).maxMismatches(10).build()).verify();
    }

    @Test
    void aFinishedRunVerifiesAndEveryTamperedChatIsFound() throws Exception {
        DatabaseUrl url = CurrentMessageJobTest.database("verify", "", 200);
        new Backfill(CurrentMessageJobTest.config(url, 2, null).build()).run();

        CurrentMessageVerifier.Report clean = verify(url);
        long chats, rejected;
        List<String> tampered = new ArrayList<>();
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            chats = Long.parseLong(CurrentMessageJobTest.one(st, "SELECT count(*) FROM chat"));
            // this job's run is the last one (the first job's run filled chat_message, with rejections of its own)
            String thisRun = "(SELECT max(run_id) FROM pgbackfill.run)";
            rejected = Long.parseLong(CurrentMessageJobTest.one(st, "SELECT count(DISTINCT chat_id) FROM pgbackfill.rejected_chat WHERE run_id = "
                + thisRun));
            try (ResultSet rs = st.executeQuery("SELECT id FROM chat WHERE current_message_id IS NOT NULL "
                    + "AND id NOT IN (SELECT chat_id FROM pgbackfill.rejected_chat WHERE run_id = " + thisRun + ") ORDER BY id LIMIT 3")) {
                while (rs.next()) tampered.add(rs.getString(1));
            }
            st.execute("UPDATE chat SET current_message_id = 'tampered-" + "x' WHERE id IN ('" + tampered.get(0) + "', '" + tampered.get(1) + "')");
            st.execute("UPDATE chat SET current_message_id = NULL WHERE id = '" + tampered.get(2) + "'");
        }
        assertTrue(clean.matches(), clean.summary() + clean.shown());
        assertEquals(chats, clean.chats(), "every chat is checked");
        assertEquals(rejected, clean.rejected(), "the chats the run recorded as rejected are the ones SPEC 7 cannot decide");
        assertEquals(chats - rejected, clean.unchanged());

        CurrentMessageVerifier.Report dirty = verify(url);
        assertFalse(dirty.matches());
        assertEquals(3, dirty.mismatches(), dirty.summary() + dirty.shown());
        for (String id : tampered) {
            assertTrue(dirty.shown().stream().anyMatch(s -> s.startsWith("chat " + id + ":")), id + " in " + dirty.shown());
        }
        assertTrue(dirty.shown().stream().anyMatch(s -> s.contains("it is NULL")), dirty.shown().toString());
        assertTrue(dirty.shown().stream().anyMatch(s -> s.contains("it is 'tampered-x'")), dirty.shown().toString());
    }
}
