package org.pgbackfill.verify;

import org.pgbackfill.extract.ExtractionSink;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.extract.RejectReason;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the production extractor says one chat must contribute: its rows, the keys of the messages
 * it rejects (expected absent, SPEC.md section 6) and, for a document that cannot be read, why.
 * Reused chat after chat.
 */
final class ExpectedRows implements ExtractionSink {
    final List<MessageRow> rows = new ArrayList<>();
    final Map<String, RejectReason> rejectedKeys = new HashMap<>();
    RejectReason chatRejection;

    void reset() {
        rows.clear();
        rejectedKeys.clear();
        chatRejection = null;
    }

    @Override public void row(MessageRow row) { rows.add(row); }

    @Override public void rejectedMessage(String chatId, String messageKey, RejectReason reason, String detail, byte[] rawJson) {
        rejectedKeys.put(messageKey, reason);
    }

    @Override public void rejectedChat(String chatId, RejectReason reason, String detail, byte[] rawPrefix) {
        chatRejection = reason;
    }
}
