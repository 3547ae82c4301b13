package org.pgbackfill.extract;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** An {@link ExtractionSink} that keeps everything, for tests. */
final class Collected implements ExtractionSink {
    record MessageRejection(String chatId, String key, RejectReason reason, String detail, String raw) { }

    record ChatRejection(String chatId, RejectReason reason, String detail) { }

    final List<MessageRow> rows = new ArrayList<>();
    final List<MessageRejection> rejected = new ArrayList<>();
    final List<ChatRejection> rejectedChats = new ArrayList<>();

    @Override public void row(MessageRow row) { rows.add(row); }

    @Override public void rejectedMessage(String chatId, String messageKey, RejectReason reason, String detail, byte[] rawJson) {
        rejected.add(new MessageRejection(chatId, messageKey, reason, detail, new String(rawJson, StandardCharsets.UTF_8)));
    }

    @Override public void rejectedChat(String chatId, RejectReason reason, String detail, byte[] rawPrefix) {
        rejectedChats.add(new ChatRejection(chatId, reason, detail));
    }

    MessageRow only() {
        if (rows.size() != 1) throw new AssertionError("expected one row, got " + rows.size() + " and rejections " + rejected + rejectedChats);
        return rows.get(0);
    }

    MessageRow row(String key) {
        return rows.stream().filter(r -> r.messageKey.equals(key)).findFirst()
            .orElseThrow(() -> new AssertionError("no row for key " + key + " in " + rows.stream().map(r -> r.messageKey).toList()));
    }

    static int column(String name) {
        for (int i = 0; i < MessageRow.JSON_COLUMNS.length; i++) if (MessageRow.JSON_COLUMNS[i].equals(name)) return i;
        throw new IllegalArgumentException(name);
    }
}
