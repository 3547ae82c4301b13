package org.pgbackfill.verify;

import org.pgbackfill.extract.MessageRow;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Says which columns of a changed row differ, with both values shortened: the digest only tells
 * that something differs, a person needs to see what.
 */
final class RowDifferences {
    private RowDifferences() { }

    static String describe(RowEncoder encoder, CreatedAtRule rule, MessageRow expected, StoredValues stored, boolean timestampsMatch) {
        List<String> parts = new ArrayList<>();
        for (int c = 0; c < RowEncoder.BODY_COLUMNS; c++) {
            if (!Arrays.equals(encoder.column(expected, c), encoder.column(stored, c))) {
                parts.add(RowEncoder.COLUMNS[c] + ": expected " + expectedValue(expected, c) + " but stored " + storedValue(stored, c));
            }
        }
        if (!timestampsMatch) {
            parts.add("created_at/updated_at: expected " + rule.expected(expected) + " but stored "
                + stored.createdAt() + "/" + stored.updatedAt());
        }
        return parts.isEmpty() ? "the values differ only in a way the columns do not show (a bug: please report it)"
            : String.join("; ", parts);
    }

    private static String expectedValue(MessageRow r, int c) {
        return switch (c) {
            case 0 -> Shown.quoted(r.id);
            case 1 -> Shown.quoted(r.chatId);
            case 2 -> Shown.quoted(r.userId);
            case 3 -> Shown.quoted(r.role);
            case 4 -> Shown.quoted(r.parentId);
            case 7 -> Shown.quoted(r.modelId);
            case 11 -> r.done == null ? "NULL" : r.done.toString();
            default -> Shown.json(r.json(jsonIndex(c)));
        };
    }

    private static String storedValue(StoredValues s, int c) {
        return switch (c) {
            case 0 -> Shown.quoted(s.id());
            case 1 -> Shown.quoted(s.chatId());
            case 2 -> Shown.quoted(s.userId());
            case 3 -> Shown.quoted(s.role());
            case 4 -> Shown.quoted(s.parentId());
            case 7 -> Shown.quoted(s.modelId());
            case 11 -> s.done() == null ? "NULL" : s.done().toString();
            default -> {
                byte[] v = s.json()[jsonIndex(c)];
                yield Shown.json(v == null ? null : new String(v, StandardCharsets.UTF_8));
            }
        };
    }

    private static int jsonIndex(int column) {
        return Arrays.asList(MessageRow.JSON_COLUMNS).indexOf(RowEncoder.COLUMNS[column]);
    }
}
