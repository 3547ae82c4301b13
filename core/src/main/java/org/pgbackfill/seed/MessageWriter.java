package org.pgbackfill.seed;

import java.util.SplittableRandom;

/**
 * Writes one entry of {@code history.messages}: the message object, its content and, for an
 * assistant, what Open WebUI stores beside the answer. The fields that carry planted odd values
 * are {@link MessageFields}'; the files and retrieved sources are {@link Attachments}'; the
 * assistant's status, usage, rating and output are {@link AssistantExtras}'. This class keeps the
 * order of the fields, which is the order the random draws are made in, so it is the one place
 * that says what a message looks like.
 */
final class MessageWriter extends PartWriter {
    private final MessageFields fields;
    private final Attachments attachments;
    private final AssistantExtras extras;

    MessageWriter(SplittableRandom rng, MessageTree tree) {
        super(rng, tree);
        fields = new MessageFields(rng, tree);
        attachments = new Attachments(rng, tree);
        extras = new AssistantExtras(rng, tree);
    }

    @Override void begin(JsonOut out, EdgeCase edge, int ev, byte[] edgeKey, int edgeMsg, String userId, long epochBase) {
        super.begin(out, edge, ev, edgeKey, edgeMsg, userId, epochBase);
        fields.begin(out, edge, ev, edgeKey, edgeMsg, userId, epochBase);
        attachments.begin(out, edge, ev, edgeKey, edgeMsg, userId, epochBase);
        extras.begin(out, edge, ev, edgeKey, edgeMsg, userId, epochBase);
    }

    void writeMessage(int i) {
        boolean hit = i == edgeMsg;
        boolean asst = tree.assistant[i];
        int budget = tree.budget(i);

        if (hit && edge == EdgeCase.MISSING_FIELDS) { writeMinimal(i, budget); return; }

        out.beginObj();
        if (asst) { fields.parentId(i, hit); fields.id(i, hit); } else { fields.id(i, hit); fields.parentId(i, hit); }
        out.key("childrenIds");
        out.beginArr();
        for (int c = tree.firstChild[i]; c >= 0; c = tree.nextSib[c]) { out.elem(); out.uuid(tree.msb[c], tree.lsb[c]); }
        out.endArr();
        fields.role(i, hit);
        int contentBudget = budget;
        if (asst && (tree.rag || tree.web)) contentBudget = budget * 3 / 10;
        if (asst && tree.withOutput) contentBudget /= 2;
        int contentStart = out.n;
        content(i, hit, contentBudget);
        int contentEnd = out.n;
        if (asst) {
            fields.modelField(i, hit);
            out.key("modelName"); out.strAscii(MessageTree.MODELS[tree.model[i]][1]);
            out.key("modelIdx"); out.num(tree.model[i] == tree.chatModels[0] ? 0 : 1);
            out.key("userContext"); out.nul();
        } else if (hit && (edge == EdgeCase.OBJECT_IN_TEXT || edge == EdgeCase.NUMBER_IN_TEXT
                   || edge == EdgeCase.NUL_IN_TEXT || edge == EdgeCase.LONE_SURROGATE)) {
            fields.modelField(i, true);
        }
        fields.timestamp(i, hit);
        if (!asst) {
            out.key("models");
            out.beginArr();
            for (int k = 0; k < tree.chatModelCount; k++) { out.elem(); out.strAscii(MessageTree.MODELS[tree.chatModels[k]][0]); }
            out.endArr();
            attachments.userFiles(i, hit);
            if (hit && edge == EdgeCase.ODD_DONE) fields.done(true);
        } else {
            fields.done(hit && edge == EdgeCase.ODD_DONE);
            if (tree.rag || tree.web || hit && edge == EdgeCase.HUGE_NUMBER) extras.statusHistory(hit);
            if (tree.rag || tree.web || hit && edge == EdgeCase.HUGE_NUMBER && ev % 5 == 4) {
                attachments.sources(i, hit, budget - (contentEnd - contentStart) * (tree.withOutput ? 2 : 1));
            }
            extras.usage(hit);
            if (rng.nextInt(100) < 12) extras.annotation();
            if (rng.nextInt(100) < 3) { out.key("error"); out.beginObj(); out.key("content"); out.strAscii("Ollama: 500, message='Internal Server Error', url='http://ollama:11434/api/chat'"); out.endObj(); }
            if (tree.withOutput) extras.output(contentStart, contentEnd);
            if (rng.nextInt(100) < 2) { out.key("embeds"); out.beginArr(); out.elem(); out.strAscii("<iframe src=\\\"https://example.com/embed/chart\\\" width=\\\"100%\\\"></iframe>"); out.endArr(); }
            out.key("lastSentence"); out.textStr(rng, pool, 1);
            if (rng.nextInt(3) == 0) {
                out.key("followUps");
                out.beginArr();
                for (int k = 0; k < 3; k++) { out.elem(); out.textStr(rng, pool, 1); }
                out.endArr();
            }
        }
        if (hit && edge == EdgeCase.DUPLICATE_ROLE) {
            out.key("role");
            switch (ev % 5) {
                case 0 -> out.strAscii(asst ? "user" : "assistant");
                case 1 -> out.nul();
                case 2 -> out.strAscii("");
                case 3 -> out.num(0);
                default -> out.strAscii("system");
            }
        }
        out.endObj();
    }

    private void writeMinimal(int i, int budget) {
        out.beginObj();
        switch (ev % 3) {
            case 0 -> { out.key("role"); out.strAscii("user"); }
            case 1 -> { out.key("role"); out.strAscii("assistant"); out.key("content"); out.textStr(rng, pool, Math.min(budget, 400)); }
            default -> { out.key("content"); out.textStr(rng, pool, Math.min(budget, 400)); out.key("role"); out.strAscii("assistant"); out.key("model"); out.strAscii(MessageTree.MODELS[tree.model[i]][0]); }
        }
        out.endObj();
    }

    private void content(int i, boolean hit, int budget) {
        out.key("content");
        if (hit) {
            switch (edge) {
                case CONTENT_NOT_STRING -> {
                    switch (ev % 6) {
                        case 0 -> {
                            out.beginArr();
                            out.elem(); out.beginObj(); out.key("type"); out.strAscii("text"); out.key("text"); out.textStr(rng, pool, budget / 2); out.endObj();
                            out.elem(); out.beginObj(); out.key("type"); out.strAscii("image_url"); out.key("image_url");
                            out.beginObj(); out.key("url"); out.ascii("\"data:image/jpeg;base64,/9j/4AAQSkZJRg"); out.base64(rng, 2000); out.raw((byte) '"'); out.endObj();
                            out.endObj();
                            out.endArr();
                        }
                        case 1 -> { out.beginObj(); out.key("text"); out.textStr(rng, pool, budget); out.endObj(); }
                        case 2 -> out.num(42);
                        case 3 -> out.bool(true);
                        case 4 -> out.nul();
                        default -> out.ascii("[]");
                    }
                    return;
                }
                case NUL_IN_CONTENT -> {
                    out.raw((byte) '"'); out.text(rng, pool, budget / 2); out.ascii("\\u0000"); out.text(rng, pool, budget / 2); out.raw((byte) '"');
                    return;
                }
                case LONE_SURROGATE -> { if (ev % 6 == 3) { out.ascii("\"text with a lone \\ud83d surrogate\""); return; } }
                case ESCAPED_TEXT -> {
                    out.ascii("\"\\/path\\/to \\b\\f\\r\\n\\t \\u0041\\u0042\\u0043 caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\u2028\\u2029 \\u007f end ");
                    out.text(rng, pool, budget);
                    out.raw((byte) '"');
                    return;
                }
                case DEEP_NESTING -> {
                    for (int k = 0; k < 1100; k++) out.raw((byte) '[');
                    out.strAscii("deep");
                    for (int k = 0; k < 1100; k++) out.raw((byte) ']');
                    return;
                }
                case HUGE_NUMBER -> { if (ev % 5 == 1) { out.ascii("1e400"); return; } }
                case HUGE_STRING -> {
                    out.ascii("\"![pasted](data:image/png;base64,iVBORw0KGgo");
                    out.base64(rng, 21_000_000);
                    out.ascii(")\"");
                    return;
                }
                default -> { }
            }
        }
        if (tree.assistant[i] && rng.nextInt(100) < 2 && tree.imageShare > 0) {     // a generated image, inline
            out.ascii("\"![image](data:image/png;base64,iVBORw0KGgo");
            out.base64(rng, Math.max(400, budget));
            out.ascii(")\"");
            return;
        }
        out.textStr(rng, pool, budget);
    }
}
