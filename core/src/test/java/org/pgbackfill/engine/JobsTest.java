package org.pgbackfill.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.BackfillException;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which job a database's Alembic revision calls for, and what the refusal says at the revisions where none starts. */
class JobsTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    private static String jobAt(String revision) throws Exception {
        try (Connection c = atRevision(revision)) {
            return Jobs.forDatabase(c).name();
        }
    }

    private static BackfillException refusalAt(String revision) throws Exception {
        try (Connection c = atRevision(revision)) {
            return assertThrows(BackfillException.class, () -> Jobs.forDatabase(c));
        }
    }

    private static Connection atRevision(String revision) throws Exception {
        Connection c = pg.connect();
        try (Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS alembic_version");
            st.execute("CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY)");
            st.execute("INSERT INTO alembic_version VALUES ('" + revision + "')");
        }
        return c;
    }

    @Test
    void eachJobStartsFromItsRevision() throws Exception {
        assertEquals("chat_message", jobAt("374d2f66af06"));
        assertEquals("current_message_id", jobAt("856c5b02fb54"));
    }

    @Test
    void afterItsStampAJobIsStillTheOneAskedSoItsCheckSaysThereIsNothingToDo() throws Exception {
        assertEquals("chat_message", jobAt("8452d01d26d7"));
        assertEquals("current_message_id", jobAt("9a1b2c3d4e5f"));
    }

    @Test
    void betweenTheJobsTheRefusalSaysWhichRevisionToReachNext() throws Exception {
        BackfillException e = refusalAt("f1e2d3c4b5a6");   // the first revision after 8452d01d26d7 (0.8.0)
        assertEquals(BackfillException.Kind.WRONG_REVISION, e.kind());
        assertTrue(e.getMessage().contains("alembic upgrade 856c5b02fb54"), e.getMessage());
        assertTrue(e.getMessage().contains("chat_message (374d2f66af06") && e.getMessage().contains("current_message_id (856c5b02fb54"),
            e.getMessage());
    }

    @Test
    void beforeTheFirstJobTheRefusalSendsToItsRevision() throws Exception {
        BackfillException e = refusalAt("7e5b5dc7342b");   // Open WebUI 0.3.8's first revision
        assertTrue(e.getMessage().contains("alembic upgrade 374d2f66af06"), e.getMessage());
    }

    @Test
    void pastBothJobsNothingIsLeftForPgbackfill() throws Exception {
        BackfillException e = refusalAt("f0bd01a18a3d");   // 0.11.0's head
        assertTrue(e.getMessage().contains("nothing is left for pgbackfill"), e.getMessage());
    }

    @Test
    void anUnknownRevisionIsSaidToBeUnknown() throws Exception {
        BackfillException e = refusalAt("0123456789ab");
        assertTrue(e.getMessage().contains("does not know this revision"), e.getMessage());
    }

    @Test
    void eachJobSaysTheRevisionsThePathDataGivesIt() {
        for (Jobs.Known k : Jobs.ALL) {
            org.pgbackfill.job.Job job = k.factory().get();
            assertEquals(k.name(), job.name());
            assertEquals(k.fromRevision(), job.fromRevision(), k.name());
            assertEquals(k.toRevision(), job.toRevision(), k.name());
            assertEquals(k.title(), org.pgbackfill.path.RevisionGraph.bundled().revisions().stream()
                .filter(r -> r.id().equals(k.toRevision())).findFirst().orElseThrow().title(), "the revision graph's title of " + k.name());
        }
    }

    @Test
    void aJobIsNamedAsTheCommandLineNamesIt() {
        assertEquals("856c5b02fb54", Jobs.named("current_message_id").fromRevision());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Jobs.named("chat"));
        assertTrue(e.getMessage().contains("chat_message, current_message_id"), e.getMessage());
    }
}
