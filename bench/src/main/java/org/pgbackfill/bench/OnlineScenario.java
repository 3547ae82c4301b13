package org.pgbackfill.bench;

import org.pgbackfill.db.DatabaseUrl;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The online migration as an operator runs it: {@code pgbackfill run --online} while a writer (the
 * old Open WebUI) adds a message to {@code share} of the chats, spread over the run; then the
 * writer stops (Open WebUI is stopped) and {@code pgbackfill finish} runs. The finish's duration
 * is the downtime.
 */
final class OnlineScenario {
    /** The online run's seconds, the chats changed during it, and the finish's seconds (the downtime). */
    record Result(double onlineSeconds, long changes, double finishSeconds, double finishWallSeconds, long rows) { }

    private OnlineScenario() { }

    static Result run(PgbackfillProcess pgbackfill, DatabaseUrl url, int workers, long nowEpoch, double share, double expectedSeconds,
                      PrintStream out) throws Exception {
        List<String> ids = new ArrayList<>();
        try (Connection c = BenchDatabases.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id FROM chat WHERE user_id NOT LIKE 'shared-%'")) {
            while (rs.next()) ids.add(rs.getString(1));
        }
        Collections.shuffle(ids, new Random(7));
        List<String> toChange = ids.subList(0, (int) Math.max(1, ids.size() * share));
        AtomicLong changed = new AtomicLong();
        long intervalMillis = Math.max(1, (long) (expectedSeconds * 1000 / toChange.size()));
        Thread writer = new Thread(() -> {
            try (Connection c = BenchDatabases.connect(url);
                 PreparedStatement ps = c.prepareStatement("UPDATE chat SET chat = jsonb_set(chat::jsonb, '{history,messages}', "
                     + "(chat::jsonb #> '{history,messages}') || jsonb_build_object('added-' || updated_at, "
                     + "jsonb_build_object('role', 'user', 'content', 'one more question', 'timestamp', 1717000000)))::json, "
                     + "updated_at = updated_at + 1 WHERE id = ? AND jsonb_typeof(chat::jsonb #> '{history,messages}') = 'object'")) {
                for (String id : toChange) {
                    if (Thread.currentThread().isInterrupted()) return;
                    ps.setString(1, id);
                    ps.executeUpdate();
                    changed.incrementAndGet();
                    Thread.sleep(intervalMillis);
                }
            } catch (InterruptedException e) {
                // stopped: Open WebUI is shut down for the cut-over
            } catch (Exception e) {
                out.println("  writer failed: " + e);
            }
        }, "bench-writer");
        writer.start();
        out.printf(Locale.ROOT, "online: pgbackfill run --online --workers %d while a writer changes %d chats ...%n", workers, toChange.size());
        PgbackfillProcess.Result online = pgbackfill.exec(url, "run", "--online", "--workers", String.valueOf(workers),
            "--now-epoch", String.valueOf(nowEpoch));
        writer.interrupt();   // Open WebUI stopped
        writer.join();
        out.printf(Locale.ROOT, "online: %.1f s, %d chats changed; pgbackfill finish ...%n", online.totalSeconds(), changed.get());
        PgbackfillProcess.Result finish = pgbackfill.exec(url, "finish");
        return new Result(online.totalSeconds(), changed.get(), finish.totalSeconds(), finish.wallSeconds(), finish.rows());
    }
}
