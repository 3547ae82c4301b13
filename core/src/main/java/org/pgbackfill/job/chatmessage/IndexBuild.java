package org.pgbackfill.job.chatmessage;

import org.pgbackfill.db.SqlStates;
import org.pgbackfill.job.JobRun;
import org.pgbackfill.online.ChangeCapture;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.schema.IndexBuilder;
import org.pgbackfill.schema.TargetTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * chat_message's build, once the rows are in: the eight indexes in parallel; if the data stopped
 * one (ids shared between chats, values too long for a btree entry), those rows are recorded and
 * removed and the failed indexes built again. Then the primary key, and the foreign key.
 */
final class IndexBuild {
    private static final Logger log = LoggerFactory.getLogger(IndexBuild.class);

    private final JobRun run;
    private final long longIndexRows;

    /** @param longIndexRows rows with long indexed values, as the reconciliation counted them; -1 if unknown */
    IndexBuild(JobRun run, long longIndexRows) {
        this.run = run;
        this.longIndexRows = longIndexRows;
    }

    void build(Connection c) throws Exception {
        endOrphanedBuilds(c);
        IndexBuilder builder = new IndexBuilder(run.maintenanceWorkMem(), run.lockTimeout());
        int parallel = IndexBuilder.parallelism(run.load().workers());
        TargetTable target = new TargetTable(run.control().schema(), run.facts().idCollation());
        if (longIndexRows != 0) {
            // which long values fit in an index entry is judged as upstream's row-by-row INSERT judges it (SPEC 6)
            TargetTable.Judged judged = target.judgeLongRows(c, run.runId());
            if (judged.rejected() > 0) {
                run.progress().info(tooLong(judged.rejected()));
            }
            run.metrics().rejected("INDEX_ROW_TOO_LARGE", judged.rejected());
            if (judged.changed()) target.forgetDeletedRows(c, 600);
        }
        List<IndexBuilder.Failure> failed = builder.buildIndexes(run.db()::connection, parallel, IndexBuilder.ALL);
        run.stop().check(Phase.BUILD);
        if (!failed.isEmpty()) {
            // expected on real data, not a failure: say so, and keep the server's error text for DEBUG
            log.info("{} not built yet: some rows cannot go in as they are (ids shared between chats, or values too long for an "
                + "index entry); recording them as rejections, as Open WebUI's own migration would, then building again",
                failed.stream().map(IndexBuilder.Failure::index).toList());
            log.debug("the server said: {}", failed.get(0).cause().getMessage());
            // values judged above fit; a row too large still (none expected) is judged again, the same way
            boolean tooLarge = failed.stream().anyMatch(f -> SqlStates.PROGRAM_LIMIT_EXCEEDED.equals(f.cause().getSQLState()));
            long oversized = tooLarge ? target.judgeLongRows(c, run.runId()).rejected() : 0;
            if (oversized > 0) run.progress().info(tooLong(oversized));
            long duplicates = target.resolveCollisions(c, run.runId());
            if (duplicates > 0) {
                run.progress().info(duplicates == 1 ? "1 row shared its id with a row of another chat; kept upstream's winner, recorded the other"
                    : duplicates + " rows shared an id with a row of another chat; kept upstream's winner, recorded the rest");
            }
            run.metrics().rejected("INDEX_ROW_TOO_LARGE", oversized);
            run.metrics().rejected("DUPLICATE_ID", duplicates);
            // a deleted row too large for an index entry is still indexed while an older snapshot may see it
            if (tooLarge) target.forgetDeletedRows(c, 600);
            List<String> names = failed.stream().map(IndexBuilder.Failure::index).toList();
            List<IndexBuilder.Failure> again = builder.buildIndexes(run.db()::connection, parallel,
                IndexBuilder.ALL.stream().filter(ix -> names.contains(ix.name())).toList());
            if (!again.isEmpty()) throw again.get(0).cause();
        }
        builder.addPrimaryKey(c);
        run.stop().check(Phase.BUILD);
        // online, the application writes to chat: the key's moment of SHARE ROW EXCLUSIVE lock on chat is tried briefly, again and again
        long orphans = run.online() ? builder.addForeignKey(c, ChangeCapture.INSTALL_LOCK_TIMEOUT, ChangeCapture.INSTALL_TRIES)
            : builder.addForeignKey(c);
        if (orphans > 0) run.progress().info(orphans + " rows belonged to chats deleted during the run and were removed");
    }

    /** What the build says of rows set aside for a value too long for an index entry (one row, or several). */
    static String tooLong(long rows) {
        return rows == 1 ? "1 row had a value too long for an index entry; recorded it as a rejection"
            : rows + " rows had values too long for an index entry; recorded them as rejections";
    }

    /**
     * A process killed during the build leaves its index builds running on the server: a busy
     * backend does not notice its client is gone until the statement ends, and its session holds an
     * old snapshot and the names it is creating. Whoever holds the run lock is the only one who may
     * build, so any other pgbackfill session still running DDL on chat_message is such an orphan:
     * it is terminated, and waited for, before this build starts (it would otherwise fail this one,
     * or keep rows set aside visible to it).
     */
    private void endOrphanedBuilds(Connection c) throws SQLException, InterruptedException {
        String orphans = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            + "AND application_name LIKE 'pgbackfill%' AND state <> 'idle' "
            + "AND query ~* '^\\s*(CREATE\\s+(UNIQUE\\s+)?INDEX|ALTER\\s+TABLE|DELETE\\s+FROM)\\s.*chat_message'";
        long ended = ChatMessageJob.count(c, "SELECT count(pg_terminate_backend(pid)) " + orphans);
        if (ended == 0) return;
        run.progress().info("ended " + ended + " index build(s) left running on the server by a pgbackfill process that is gone");
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (ChatMessageJob.count(c, "SELECT count(*) " + orphans) > 0) {
            if (System.nanoTime() > deadline) {
                run.progress().info("an ended index build is still on the server after 30 s; building anyway");
                return;
            }
            Thread.sleep(200);
        }
    }
}
