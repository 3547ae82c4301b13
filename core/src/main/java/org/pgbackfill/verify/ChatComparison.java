package org.pgbackfill.verify;

import org.pgbackfill.extract.DocumentSource;
import org.pgbackfill.extract.MessageExtractor;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.extract.RejectReason;
import org.pgbackfill.verify.StoredRows.StoredRow;

import org.pgbackfill.schema.TargetSchema;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares one chat's expected rows, recomputed from its document by the production extractor,
 * with the rows stored for it, by id and content digest. Extra rows are reported at once. Missing
 * and changed rows are only noted: whether a missing id is held by a lower chat id, and what a
 * changed row's stored values are, takes queries that must wait until the chat COPY of the range
 * is over ({@link RangeCheck}). One per worker; not thread-safe.
 */
final class ChatComparison {
    /** Rows of one chat whose ids are not stored for it; {@code notes} says, for each, what may explain it (or null). */
    record MissingRows(String chatId, List<String> ids, List<String> notes, int expected, boolean anyStored) { }

    /** A row stored with other values than expected; {@code timestampsMatch} whether created_at/updated_at are right. */
    record ChangedRow(MessageRow expected, StoredRow stored, boolean timestampsMatch) { }

    /** A row found on both sides, its body compared, its timestamps waiting for a decision. */
    private record Pair(MessageRow expected, StoredRow stored, boolean sameBody) { }

    /** Extractors for other "now"s (a few distinct run times at most), created on demand. */
    private final Map<Long, MessageExtractor> otherNow = new HashMap<>();
    private final ExpectedRows again = new ExpectedRows();
    private final List<Pair> candidates = new ArrayList<>();

    private final CheckContext ctx;
    private final RowEncoder encoder;
    private final MessageExtractor extractor;
    private final ExpectedRows expected = new ExpectedRows();
    final List<MissingRows> missing = new ArrayList<>();
    final List<ChangedRow> changed = new ArrayList<>();

    ChatComparison(CheckContext ctx, RowEncoder encoder) {
        this.ctx = ctx;
        this.encoder = encoder;
        this.extractor = new MessageExtractor(ctx.createdAt().extractorNow(), ctx.inlineDocumentBytes(), false);
    }

    /** Forgets what the previous range left to resolve. */
    void startRange() {
        missing.clear();
        changed.clear();
    }

    /** Compares one chat ({@code doc} null: SQL NULL) with its stored rows, which this consumes. */
    void compare(String chatId, String userId, DocumentSource doc, Map<String, StoredRow> stored) throws IOException {
        Tally tally = ctx.tally();
        tally.chats.increment();
        expected.reset();
        candidates.clear();
        if (doc != null) extractor.extract(chatId, userId, doc, expected);
        tally.messagesRejected.add(expected.rejectedKeys.size());
        if (expected.chatRejection != null) tally.chatsRejected.increment();
        Map<String, String> recorded = ctx.run().rejected().getOrDefault(chatId, Map.of());
        boolean anyStored = !stored.isEmpty();
        List<String> missingIds = null, notes = null;
        int expectedCount = 0;
        for (MessageRow row : expected.rows) {
            if (recorded.containsKey(row.messageKey)) {
                tally.rejectionsRecorded.increment();
                continue;
            }
            expectedCount++;
            StoredRow s = stored.remove(row.id);
            if (s == null) {
                if (missingIds == null) {
                    missingIds = new ArrayList<>();
                    notes = new ArrayList<>();
                }
                missingIds.add(row.id);
                notes.add(tooLongForAnIndex(row));
            } else {
                boolean sameBody = s.digest().equals(encoder.digest(row));
                if (ctx.createdAt().matches(row, s.createdAt(), s.updatedAt())) {
                    decide(row, s, sameBody, true);
                } else if (ctx.createdAt().isCandidateNow(s.createdAt(), s.updatedAt())) {
                    candidates.add(new Pair(row, s, sameBody));
                } else {
                    decide(row, s, sameBody, false);
                }
            }
        }
        if (!candidates.isEmpty()) decideCandidates(chatId, userId, doc);
        tally.rowsExpected.add(expectedCount);
        for (StoredRow s : stored.values()) extra(chatId, doc == null, s, recorded);
        if (missingIds != null) missing.add(new MissingRows(chatId, missingIds, notes, expectedCount, anyStored));
    }

    /**
     * PostgreSQL refuses a row whose indexed values do not fit a btree entry (about 2.7 kB after
     * compression): upstream loses it, a pgbackfill run records it as INDEX_ROW_TOO_LARGE. Without
     * that record, a check can only say that this may be why the row is missing.
     */
    private static String tooLongForAnIndex(MessageRow r) {
        String[][] indexed = {{"id", r.id}, {"chat_id and parent_id", r.chatId + (r.parentId == null ? "" : r.parentId)},
            {"model_id", r.modelId}, {"user_id", r.userId}};
        for (String[] v : indexed) {
            int bytes = v[1] == null ? 0 : v[1].getBytes(StandardCharsets.UTF_8).length;
            if (bytes > TargetSchema.SAFE_INDEX_BYTES) {
                return "its " + v[0] + " take " + bytes + " bytes, maybe too long for a btree index entry: PostgreSQL then "
                    + "refuses the row (Open WebUI's migration loses it; pgbackfill records it as INDEX_ROW_TOO_LARGE)";
            }
        }
        return null;
    }

    private void decide(MessageRow row, StoredRow s, boolean sameBody, boolean sameTimestamps) {
        if (sameBody && sameTimestamps) {
            ctx.tally().rowsMatched.increment();
        } else if (ctx.log().full()) {
            ctx.log().count(Mismatch.Kind.CHANGED_ROW);
        } else {
            changed.add(new ChangedRow(row, s, sameTimestamps));
        }
    }

    /**
     * With the run's "now" unknown, a stored time {@code S} that the check's own "now" does not
     * explain is right when a run at {@code S} would have stored it: the chat is extracted again
     * with {@code now = S} (once per distinct {@code S}; a run has one "now", so usually once).
     */
    private void decideCandidates(String chatId, String userId, DocumentSource doc) throws IOException {
        Map<Long, Map<String, Long>> createdAtByNow = new HashMap<>();
        for (Pair p : candidates) {
            long s = p.stored().createdAt();
            Map<String, Long> byId = createdAtByNow.get(s);
            if (byId == null) {
                if (otherNow.size() > 16) otherNow.clear();
                MessageExtractor x = otherNow.computeIfAbsent(s, now -> new MessageExtractor(now, ctx.inlineDocumentBytes(), false));
                again.reset();
                x.extract(chatId, userId, doc, again);
                byId = new HashMap<>();
                for (MessageRow r : again.rows) byId.put(r.id, r.createdAt);
                createdAtByNow.put(s, byId);
            }
            decide(p.expected(), p.stored(), p.sameBody(), Long.valueOf(s).equals(byId.get(p.expected().id)));
        }
        candidates.clear();
    }

    private void extra(String chatId, boolean nullDocument, StoredRow s, Map<String, String> recorded) {
        String key = s.id().startsWith(chatId + "-") ? s.id().substring(chatId.length() + 1) : null;
        RejectReason rejected = key == null ? null : expected.rejectedKeys.get(key);
        if (rejected == RejectReason.ARRAY_IN_TEXT) {
            // Open WebUI's migration stores an array as PostgreSQL array text ('{1,2}'); pgbackfill
            // deliberately rejects it (SPEC.md section 6). Either is an acceptable result.
            ctx.tally().arrayRowsTolerated.increment();
            return;
        }
        String detail;
        if (key == null) {
            detail = "the id does not start with the chat id and '-': no message of this chat yields it";
        } else if (rejected != null) {
            detail = "message " + Shown.quoted(key) + " is rejected (" + rejected + "): it must not be in chat_message";
        } else if (recorded.containsKey(key)) {
            detail = "the run recorded message " + Shown.quoted(key) + " as rejected (" + recorded.get(key) + "), yet it is stored";
        } else if (nullDocument) {
            detail = "the chat's document is SQL NULL: it yields no rows";
        } else if (expected.chatRejection != null) {
            detail = "the chat's document cannot be read (" + expected.chatRejection + "): it yields no rows";
        } else {
            detail = "history.messages has no message " + Shown.quoted(key) + " with a truthy role";
        }
        ctx.log().add(new Mismatch(Mismatch.Kind.EXTRA_ROW, chatId, s.id(), detail));
    }
}
