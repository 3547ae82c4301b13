package org.pgbackfill.seed;

import java.util.SplittableRandom;

/**
 * Writes one Open WebUI chat document into a {@link JsonOut}: has the {@link MessageTree} planned
 * (turns, regenerated and edited branches, each message's byte budget), writes the chat's own
 * fields and {@code history.messages} (each entry through {@link MessageWriter}), then the
 * top-level {@code messages} array as byte copies of the current path, and plants the
 * document-level {@link EdgeCase}s (no history, a history or messages that is not an object,
 * duplicate keys, non-object messages). {@link ChatGenerator} sets the chat's fields below and
 * calls {@link #write}.
 */
final class DocumentWriter {
    private static final String[] TAGS = {"work", "research", "code", "travel", "finance", "personal", "sql", "docs"};

    private final SplittableRandom rng;
    private final TextPool pool = TextPool.INSTANCE;
    private final MessageTree tree = new MessageTree();
    private final MessageWriter messages;
    JsonOut out;

    // --- per chat, set by ChatGenerator before write() ---------------------------------------
    EdgeCase edge;
    int ev;                     // variant selector for the edge case
    String chatId;
    String userId;
    String title;
    long createdAt;
    long epochBase;
    long target;                // planned document size
    double imageShare;          // share of this document's bytes that is base64
    byte[] edgeKey;             // escaped key for the edge-case message, or null
    // --- results -----------------------------------------------------------------------------
    long lastTimestamp;

    private int edgeMsg;
    private boolean messagesAsArray;

    DocumentWriter(SplittableRandom rng, JsonOut out) {
        this.rng = rng;
        this.out = out;
        this.messages = new MessageWriter(rng, tree);
    }

    void write() {
        tree.plan(rng, target, imageShare, createdAt, epochBase, title.length());
        lastTimestamp = tree.lastTimestamp;
        boolean assistantOnly = edge == EdgeCase.HUGE_NUMBER || edge == EdgeCase.LONG_NUMBER;  // usage, statusHistory
        int pick = assistantOnly || rng.nextInt(10) < 6 ? lastAssistantBefore(rng.nextInt(tree.m)) : rng.nextInt(tree.m);
        edgeMsg = edge == null ? -1 : pick;
        messagesAsArray = edge == EdgeCase.MESSAGES_NOT_OBJECT && ev % 6 == 0;
        messages.begin(out, edge, ev, edgeKey, edgeMsg, userId, epochBase);

        out.beginObj();
        out.key("id");
        if (rng.nextInt(10) < 6) out.strAscii(""); else out.str(chatId);
        out.key("title"); out.str(title);
        out.key("models");
        out.beginArr();
        for (int k = 0; k < tree.chatModelCount; k++) { out.elem(); out.strAscii(MessageTree.MODELS[tree.chatModels[k]][0]); }
        out.endArr();
        out.key("params");
        out.beginObj();
        if (rng.nextInt(5) == 0) {
            out.key("system"); out.textStr(rng, pool, 40 + rng.nextInt(300));
            out.key("temperature"); out.dec(rng.nextInt(11), 1);
        }
        out.endObj();

        boolean history = true;
        if (edge == EdgeCase.NO_HISTORY) history = false;
        if (edge == EdgeCase.DUPLICATE_HISTORY && ev % 2 == 0) bogusHistory();
        if (edge == EdgeCase.HISTORY_NOT_OBJECT) {
            out.key("history");
            switch (ev % 5) {
                case 0 -> out.nul();
                case 1 -> out.ascii("[]");
                case 2 -> out.ascii("\"{\\\"messages\\\": {}}\"");
                case 3 -> out.num(5);
                default -> out.bool(true);
            }
            history = false;
        }
        if (history) writeHistory(); else for (int i = 0; i < tree.m; i++) tree.start[i] = -1;
        if (edge == EdgeCase.DUPLICATE_HISTORY && ev % 2 == 1) bogusHistory();

        out.key("messages");
        out.beginArr();
        for (int i = 0; i < tree.m; i++) {
            if (!tree.onPath[i]) continue;
            out.elem();
            if (tree.start[i] >= 0) {
                out.copyWithin(tree.start[i], tree.end[i]);
            } else {                                                        // no usable history: write it here
                int before = out.n;
                messages.writeMessage(i);
                tree.account(i, out.n - before);
            }
        }
        out.endArr();
        out.key("tags");
        out.beginArr();
        if (rng.nextInt(4) == 0) { out.elem(); out.strAscii(TAGS[rng.nextInt(TAGS.length)]); }
        out.endArr();
        out.key("timestamp"); out.num(createdAt * 1000 + rng.nextInt(1000));
        out.key("files"); out.ascii("[]");
        out.endObj();
    }

    private int lastAssistantBefore(int i) {
        for (int j = i; j >= 0; j--) if (tree.assistant[j]) return j;
        for (int j = i; j < tree.m; j++) if (tree.assistant[j]) return j;
        return i;
    }

    private void bogusHistory() {
        out.key("history");
        switch ((ev / 2) % 3) {
            case 0 -> out.ascii("{}");
            case 1 -> out.nul();
            default -> { out.beginObj(); out.key("messages"); out.ascii("{}"); out.key("currentId"); out.nul(); out.endObj(); }
        }
    }

    private void writeHistory() {
        out.key("history");
        out.beginObj();
        boolean real = true;
        if (edge == EdgeCase.MESSAGES_NOT_OBJECT && !messagesAsArray) {
            if (ev % 6 != 5) {                                              // 5: no messages key at all
                out.key("messages");
                switch (ev % 6) {
                    case 1 -> out.nul();
                    case 2 -> out.strAscii("{}");
                    case 3 -> out.num(0);
                    default -> out.ascii("{}");
                }
            }
            real = false;
        }
        if (real) {
            out.key("messages");
            if (messagesAsArray) out.beginArr(); else out.beginObj();
            for (int i = 0; i < tree.m; i++) writeEntry(i);
            if (messagesAsArray) out.endArr(); else out.endObj();
        } else {
            for (int i = 0; i < tree.m; i++) tree.start[i] = -1;
        }
        out.key("currentId");
        int cur = tree.m - 1;
        while (cur > 0 && !tree.onPath[cur]) cur--;
        if (tree.m == 0) out.nul(); else out.uuid(tree.msb[cur], tree.lsb[cur]);
        out.endObj();
    }

    private void writeEntry(int i) {
        boolean hit = i == edgeMsg;
        int before = out.n;
        if (messagesAsArray) {
            out.elem();
        } else {
            if (hit && edge == EdgeCase.DUPLICATE_MESSAGE_KEY && ev % 3 == 0) {     // an earlier version, superseded
                writeKey(i);
                out.beginObj();
                out.key("role"); out.strAscii(tree.assistant[i] ? "assistant" : "user");
                out.key("content"); out.strAscii("superseded by the later duplicate");
                out.key("timestamp"); out.num(tree.ts[i]);
                out.endObj();
            }
            writeKey(i);
        }
        int s = out.n;
        messages.writeMessage(i);
        tree.start[i] = s;
        tree.end[i] = out.n;
        if (hit && !messagesAsArray && edge == EdgeCase.DUPLICATE_MESSAGE_KEY && ev % 3 != 0) {  // a later one wins
            writeKey(i);
            if (ev % 3 == 1) out.nul();
            else {
                out.beginObj();
                out.key("role"); out.strAscii("assistant");
                out.key("content"); out.strAscii("the last duplicate wins");
                out.key("done"); out.bool(false);
                out.endObj();
            }
        }
        if (hit && edge == EdgeCase.NON_OBJECT_MESSAGE) {
            if (messagesAsArray) out.elem(); else out.keyUuid(MessageTree.uuidMsb(rng.nextLong()), MessageTree.uuidLsb(rng.nextLong()));
            switch (ev % 6) {
                case 0 -> out.strAscii("a message that is a string");
                case 1 -> out.num(42);
                case 2 -> out.nul();
                case 3 -> out.ascii("[1, 2, 3]");
                case 4 -> out.bool(true);
                default -> out.bool(false);
            }
        }
        tree.account(i, out.n - before);
    }

    private void writeKey(int i) {
        if (i == edgeMsg && edgeKey != null) out.keyRaw(edgeKey);
        else out.keyUuid(tree.msb[i], tree.lsb[i]);
    }
}
