package org.pgbackfill.seed;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Writes one Open WebUI chat document into a {@link JsonOut}: plans the message tree (turns,
 * regenerated and edited branches), shares a byte budget out between messages, writes
 * {@code history.messages} and then the top-level {@code messages} array as byte copies of the
 * current path, and plants message-level {@link EdgeCase}s.
 *
 * <p>Budgets are adaptive: before each message, what is left of the document's target size is
 * shared among the messages still to write (a message on the current path counts twice, as it is
 * copied into {@code messages}), so fixed overheads and overshoot are absorbed as it goes.
 */
final class DocumentWriter {
    static final String[][] MODELS = {
        {"gpt-4o", "GPT-4o"}, {"gpt-4o-mini", "GPT-4o mini"}, {"llama3.1:8b", "llama3.1:8b"},
        {"qwen2.5:14b", "qwen2.5:14b"}, {"claude-3-5-sonnet-20241022", "Claude 3.5 Sonnet"},
        {"deepseek-r1:32b", "deepseek-r1:32b"}, {"mistral-small:24b", "Mistral Small"},
        {"gemma3:27b", "gemma3:27b"}, {"o3-mini", "o3-mini"}, {"rag-assistant", "Company Docs Assistant"}};
    private static final String[] FILE_NAMES = {
        "report.pdf", "Q3 results.xlsx", "notes.md", "contract_v2.docx", "architecture.png", "meeting-2024-05-02.txt",
        "handbook.pdf", "schema.sql", "résumé.pdf", "数据分析.pdf"};
    private static final byte[][] FILE_NAMES_ASCII = new byte[FILE_NAMES.length][];
    private static final byte[][] FILE_NAMES_UTF8 = new byte[FILE_NAMES.length][];
    static {
        for (int k = 0; k < FILE_NAMES.length; k++) {
            FILE_NAMES_ASCII[k] = TextPool.escape(FILE_NAMES[k], true);
            FILE_NAMES_UTF8[k] = TextPool.escape(FILE_NAMES[k], false);
        }
    }
    private static final String[] TAGS = {"work", "research", "code", "travel", "finance", "personal", "sql", "docs"};

    private final SplittableRandom rng;
    private final TextPool pool = TextPool.INSTANCE;
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

    // --- the plan -----------------------------------------------------------------------------
    private int m;
    private long[] msb = new long[64], lsb = new long[64], ts = new long[64];
    private int[] parent = new int[64], firstChild = new int[64], lastChild = new int[64], nextSib = new int[64];
    private int[] model = new int[64], start = new int[64], end = new int[64], imgChars = new int[64];
    private boolean[] assistant = new boolean[64], onPath = new boolean[64];
    private double[] weightLeft = new double[65];   // suffix sums of weight x copies
    private int[] chatModels = new int[2];
    private int chatModelCount;
    private boolean rag, web, msTimestamps, withOutput;
    private int edgeMsg;
    private long consumed, imageConsumed, imageLeft, textTotal;
    private boolean messagesAsArray;

    DocumentWriter(SplittableRandom rng, JsonOut out) {
        this.rng = rng;
        this.out = out;
    }

    // ================================================================== plan ===================

    private void plan() {
        chatModelCount = rng.nextInt(20) == 0 ? 2 : 1;
        chatModels[0] = rng.nextInt(MODELS.length);
        chatModels[1] = (chatModels[0] + 1 + rng.nextInt(MODELS.length - 1)) % MODELS.length;
        rag = rng.nextInt(100) < 30;
        web = !rag && rng.nextInt(100) < 12;
        msTimestamps = rng.nextInt(100) < 3;
        withOutput = rng.nextInt(100) < 10;

        double minTurn = rag || web ? 12_000 : 6_000;       // below this, fixed overheads exceed the budget
        double perTurn = Math.exp(Math.log(minTurn) + rng.nextDouble() * (Math.log(80_000) - Math.log(minTurn)));
        int turns = (int) Math.max(1, Math.min(1200, Math.round(target * (1 - imageShare) / perTurn)));
        m = 0;
        int prev = -1;
        long t = createdAt;
        for (int turn = 0; turn < turns; turn++) {
            if (turn > 0 && rng.nextInt(100) < 3) {                      // an edited question, abandoned
                int u = add(false, prev, false, 0, t += 5 + rng.nextInt(300));
                add(true, u, false, chatModels[0], t += 2 + rng.nextInt(60));
            }
            t += turn == 0 ? 0 : (rng.nextInt(20) == 0 ? 3_600 + rng.nextInt(7 * 86_400) : 10 + rng.nextInt(900));
            int u = add(false, prev, true, 0, t);
            int siblings = chatModelCount - 1 + (rng.nextInt(100) < 8 ? 1 + rng.nextInt(2) : 0);
            for (int s = 0; s < siblings; s++) {                        // regenerated or other-model answers
                add(true, u, false, chatModels[(s + 1) % chatModelCount], t += 2 + rng.nextInt(60));
            }
            prev = add(true, u, true, chatModels[0], t += 2 + rng.nextInt(120));
        }
        lastTimestamp = Math.min(t, epochBase);

        // images: in the first user messages on the path
        Arrays.fill(imgChars, 0, m, 0);
        long msgBudget = Math.max(0, target - 450 - title.length());
        long imageTotal = (long) (msgBudget * imageShare);
        imageLeft = 0;
        if (imageTotal > 256) {
            int carriers = 1 + rng.nextInt(3);
            int found = 0;
            for (int i = 0; i < m && found < carriers; i++) if (!assistant[i] && onPath[i]) found++;
            int each = (int) Math.min(Integer.MAX_VALUE / 2, imageTotal / (2L * Math.max(1, found)));
            for (int i = 0, k = 0; i < m && k < found; i++) {
                if (!assistant[i] && onPath[i]) { imgChars[i] = each; k++; imageLeft += 2L * each; }
            }
        }
        textTotal = msgBudget - imageLeft;
        weightLeft[m] = 0;
        for (int i = m - 1; i >= 0; i--) {
            weightLeft[i] = weightLeft[i + 1] + (assistant[i] ? (rag || web ? 6 : 4) : 1) * (onPath[i] ? 2 : 1);
        }
        consumed = 0;
        imageConsumed = 0;
    }

    private int add(boolean isAssistant, int parentIdx, boolean path, int modelI, long timestamp) {
        if (m == msb.length) grow();
        int i = m++;
        msb[i] = uuidMsb(rng.nextLong());
        lsb[i] = uuidLsb(rng.nextLong());
        parent[i] = parentIdx;
        firstChild[i] = -1;
        lastChild[i] = -1;
        nextSib[i] = -1;
        assistant[i] = isAssistant;
        onPath[i] = path;
        model[i] = modelI;
        ts[i] = Math.min(timestamp, epochBase);
        if (parentIdx >= 0) {
            if (lastChild[parentIdx] < 0) firstChild[parentIdx] = i; else nextSib[lastChild[parentIdx]] = i;
            lastChild[parentIdx] = i;
        }
        return i;
    }

    private void grow() {
        int c = msb.length * 2;
        msb = Arrays.copyOf(msb, c); lsb = Arrays.copyOf(lsb, c); ts = Arrays.copyOf(ts, c);
        parent = Arrays.copyOf(parent, c); firstChild = Arrays.copyOf(firstChild, c);
        lastChild = Arrays.copyOf(lastChild, c); nextSib = Arrays.copyOf(nextSib, c);
        model = Arrays.copyOf(model, c); start = Arrays.copyOf(start, c); end = Arrays.copyOf(end, c);
        imgChars = Arrays.copyOf(imgChars, c); assistant = Arrays.copyOf(assistant, c);
        onPath = Arrays.copyOf(onPath, c); weightLeft = Arrays.copyOf(weightLeft, c + 1);
    }

    static long uuidMsb(long r) { return (r & 0xffffffffffff0fffL) | 0x0000000000004000L; }
    static long uuidLsb(long r) { return (r & 0x3fffffffffffffffL) | 0x8000000000000000L; }

    // ================================================================== document ===============

    /** Writes the whole document (the caller has reset {@code out} and chosen its separators). */
    void write() {
        plan();
        boolean assistantOnly = edge == EdgeCase.HUGE_NUMBER || edge == EdgeCase.LONG_NUMBER;  // usage, statusHistory
        int pick = assistantOnly || rng.nextInt(10) < 6 ? lastAssistantBefore(rng.nextInt(m)) : rng.nextInt(m);
        edgeMsg = edge == null ? -1 : pick;
        messagesAsArray = edge == EdgeCase.MESSAGES_NOT_OBJECT && ev % 6 == 0;

        out.beginObj();
        out.key("id");
        if (rng.nextInt(10) < 6) out.strAscii(""); else out.str(chatId);
        out.key("title"); out.str(title);
        out.key("models");
        out.beginArr();
        for (int k = 0; k < chatModelCount; k++) { out.elem(); out.strAscii(MODELS[chatModels[k]][0]); }
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
        if (history) writeHistory(); else for (int i = 0; i < m; i++) start[i] = -1;
        if (edge == EdgeCase.DUPLICATE_HISTORY && ev % 2 == 1) bogusHistory();

        out.key("messages");
        out.beginArr();
        for (int i = 0; i < m; i++) {
            if (!onPath[i]) continue;
            out.elem();
            if (start[i] >= 0) {
                out.copyWithin(start[i], end[i]);
            } else {                                                        // no usable history: write it here
                int before = out.n;
                writeMessage(i);
                account(i, out.n - before);
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
        for (int j = i; j >= 0; j--) if (assistant[j]) return j;
        for (int j = i; j < m; j++) if (assistant[j]) return j;
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
            for (int i = 0; i < m; i++) writeEntry(i);
            if (messagesAsArray) out.endArr(); else out.endObj();
        } else {
            for (int i = 0; i < m; i++) start[i] = -1;
        }
        out.key("currentId");
        int cur = m - 1;
        while (cur > 0 && !onPath[cur]) cur--;
        if (m == 0) out.nul(); else out.uuid(msb[cur], lsb[cur]);
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
                out.key("role"); out.strAscii(assistant[i] ? "assistant" : "user");
                out.key("content"); out.strAscii("superseded by the later duplicate");
                out.key("timestamp"); out.num(ts[i]);
                out.endObj();
            }
            writeKey(i);
        }
        int s = out.n;
        writeMessage(i);
        start[i] = s;
        end[i] = out.n;
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
            if (messagesAsArray) out.elem(); else out.keyUuid(uuidMsb(rng.nextLong()), uuidLsb(rng.nextLong()));
            switch (ev % 6) {
                case 0 -> out.strAscii("a message that is a string");
                case 1 -> out.num(42);
                case 2 -> out.nul();
                case 3 -> out.ascii("[1, 2, 3]");
                case 4 -> out.bool(true);
                default -> out.bool(false);
            }
        }
        account(i, out.n - before);
    }

    private void account(int i, int bytes) {
        int copies = onPath[i] ? 2 : 1;
        consumed += (long) bytes * copies;
        imageConsumed += (long) imgChars[i] * copies;
    }

    private void writeKey(int i) {
        if (i == edgeMsg && edgeKey != null) out.keyRaw(edgeKey);
        else out.keyUuid(msb[i], lsb[i]);
    }

    // ================================================================== messages ===============

    private void writeMessage(int i) {
        boolean hit = i == edgeMsg;
        boolean asst = assistant[i];
        long remaining = textTotal - (consumed - imageConsumed);
        double share = weightLeft[i] <= 0 ? 1 : (assistant[i] ? (rag || web ? 6 : 4) : 1) * (onPath[i] ? 2 : 1) / weightLeft[i];
        int budget = (int) Math.max(0, Math.min(Integer.MAX_VALUE / 4,
            remaining * share / (onPath[i] ? 2 : 1) - (asst ? 900 : 300)));

        if (hit && edge == EdgeCase.MISSING_FIELDS) { writeMinimal(i, budget); return; }

        out.beginObj();
        if (asst) { parentId(i, hit); id(i, hit); } else { id(i, hit); parentId(i, hit); }
        out.key("childrenIds");
        out.beginArr();
        for (int c = firstChild[i]; c >= 0; c = nextSib[c]) { out.elem(); out.uuid(msb[c], lsb[c]); }
        out.endArr();
        role(i, hit);
        int contentBudget = budget;
        if (asst && (rag || web)) contentBudget = budget * 3 / 10;
        if (asst && withOutput) contentBudget /= 2;
        int contentStart = out.n;
        content(i, hit, contentBudget);
        int contentEnd = out.n;
        if (asst) {
            modelField(i, hit);
            out.key("modelName"); out.strAscii(MODELS[model[i]][1]);
            out.key("modelIdx"); out.num(model[i] == chatModels[0] ? 0 : 1);
            out.key("userContext"); out.nul();
        } else if (hit && (edge == EdgeCase.OBJECT_IN_TEXT || edge == EdgeCase.NUMBER_IN_TEXT
                   || edge == EdgeCase.NUL_IN_TEXT || edge == EdgeCase.LONE_SURROGATE)) {
            modelField(i, true);
        }
        timestamp(i, hit);
        if (!asst) {
            out.key("models");
            out.beginArr();
            for (int k = 0; k < chatModelCount; k++) { out.elem(); out.strAscii(MODELS[chatModels[k]][0]); }
            out.endArr();
            userFiles(i, hit);
            if (hit && edge == EdgeCase.ODD_DONE) done(true);
        } else {
            done(hit && edge == EdgeCase.ODD_DONE);
            if (rag || web || hit && edge == EdgeCase.HUGE_NUMBER) statusHistory(hit);
            if (rag || web || hit && edge == EdgeCase.HUGE_NUMBER && ev % 5 == 4) {
                sources(i, hit, budget - (contentEnd - contentStart) * (withOutput ? 2 : 1));
            }
            usage(hit);
            if (rng.nextInt(100) < 12) annotation();
            if (rng.nextInt(100) < 3) { out.key("error"); out.beginObj(); out.key("content"); out.strAscii("Ollama: 500, message='Internal Server Error', url='http://ollama:11434/api/chat'"); out.endObj(); }
            if (withOutput) output(contentStart, contentEnd);
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
            default -> { out.key("content"); out.textStr(rng, pool, Math.min(budget, 400)); out.key("role"); out.strAscii("assistant"); out.key("model"); out.strAscii(MODELS[model[i]][0]); }
        }
        out.endObj();
    }

    private void id(int i, boolean hit) {
        out.key("id");
        if (hit && edge == EdgeCase.WEIRD_KEYS && edgeKey == null) out.uuid(~msb[i], lsb[i]);   // differs from its key
        else out.uuid(msb[i], lsb[i]);
    }

    private void parentId(int i, boolean hit) {
        out.key("parentId");
        if (hit) {
            String pid = parent[i] < 0 ? "root" : null;
            switch (edge) {
                case OBJECT_IN_TEXT -> { if (ev % 8 == 2) { out.ascii("{\"id\": \"x\"}"); return; } if (ev % 8 == 3) { out.ascii("[\"a\", \"b\"]"); return; } if (ev % 8 == 6) { out.ascii("[]"); return; } }
                case NUMBER_IN_TEXT -> { switch (ev % 7) { case 0 -> { out.num(12345); return; } case 1 -> { out.ascii("1.5"); return; } case 2 -> { out.bool(true); return; } case 3 -> { out.ascii("1e20"); return; } default -> { } } }
                case NUL_IN_TEXT -> { if (ev % 3 == 2) { out.raw((byte) '"'); if (pid == null) out.uuidBare(msb[parent[i]], lsb[parent[i]]); else out.ascii(pid); out.ascii("\\u0000\""); return; } }
                case LONE_SURROGATE -> { if (ev % 6 == 2) { out.ascii("\"\\udc00abc\""); return; } }
                default -> { }
            }
        }
        if (parent[i] < 0) out.nul(); else out.uuid(msb[parent[i]], lsb[parent[i]]);
    }

    private void role(int i, boolean hit) {
        String r = assistant[i] ? "assistant" : "user";
        if (hit) {
            switch (edge) {
                case FALSY_ROLE -> {
                    if (ev % 9 == 0) return;                                // missing
                    out.key("role");
                    out.ascii(switch (ev % 9) { case 1 -> "null"; case 2 -> "false"; case 3 -> "0"; case 4 -> "0.0";
                        case 5 -> "\"\""; case 6 -> "[]"; case 7 -> "{}"; default -> "-0"; });
                    return;
                }
                case NUMERIC_ROLE -> {
                    out.key("role");
                    out.ascii(switch (ev % 8) { case 0 -> "7"; case 1 -> "1.5"; case 2 -> "1e20"; case 3 -> "-3";
                        case 4 -> "0.5e1"; case 5 -> "true"; case 6 -> "1E+2"; default -> "12345678901234567890"; });
                    return;
                }
                case DUPLICATE_ROLE -> { out.key("role"); out.strAscii(ev % 2 == 0 ? r : "system"); return; }
                case OBJECT_IN_TEXT -> {
                    if (ev % 8 == 0) { out.key("role"); out.ascii("{\"name\": \"user\"}"); return; }
                    if (ev % 8 == 1) { out.key("role"); out.ascii("[\"user\", \"assistant\"]"); return; }
                }
                case NUL_IN_TEXT -> { if (ev % 3 == 0) { out.key("role"); out.ascii("\"us\\u0000er\""); return; } }
                case LONE_SURROGATE -> {
                    if (ev % 6 == 0) { out.key("role"); out.ascii("\"\\ud800\""); return; }
                    if (ev % 6 == 5) { out.key("role"); out.ascii("\"\\ude00\\ud83d\""); return; }
                }
                default -> { }
            }
        }
        out.key("role");
        out.strAscii(r);
    }

    private void modelField(int i, boolean hit) {
        out.key("model");
        if (hit) {
            switch (edge) {
                case OBJECT_IN_TEXT -> { if (ev % 8 == 4) { out.ascii("{\"id\": \"gpt-4o\"}"); return; } if (ev % 8 == 5) { out.ascii("[\"gpt-4o\"]"); return; } if (ev % 8 == 7) { out.ascii("{}"); return; } }
                case NUMBER_IN_TEXT -> { switch (ev % 7) { case 4 -> { out.num(4); return; } case 5 -> { out.ascii("3.5"); return; } case 6 -> { out.bool(false); return; } default -> { } } }
                case NUL_IN_TEXT -> { if (ev % 3 == 1) { out.ascii("\"gpt\\u0000-4o\""); return; } }
                case LONE_SURROGATE -> { if (ev % 6 == 1) { out.ascii("\"gpt-\\udfff\""); return; } }
                default -> { }
            }
        }
        out.strAscii(MODELS[model[i]][0]);
    }

    private void timestamp(int i, boolean hit) {
        long t = msTimestamps ? ts[i] * 1000 + rng.nextInt(1000) : ts[i];
        if (hit && edge == EdgeCase.STRING_TIMESTAMP) {
            out.key("timestamp");
            long s = ts[i];
            switch (ev % 16) {
                case 0 -> { out.raw((byte) '"'); out.num(s); out.raw((byte) '"'); }
                case 1 -> { out.ascii("\" "); out.num(s); out.ascii(".5 \""); }
                case 2 -> { out.raw((byte) '"'); underscored(s); out.raw((byte) '"'); }
                case 3 -> out.ascii("\"1.7e9\"");
                case 4 -> out.ascii("\"abc\"");
                case 5 -> out.ascii("\"\"");
                case 6 -> out.ascii("\"NaN\"");
                case 7 -> out.ascii("\"inf\"");
                case 8 -> out.ascii("\"-Infinity\"");
                case 9 -> out.ascii("\"0x6650c0c0\"");
                case 10 -> { out.raw((byte) '"'); out.num(s * 1000 + 123); out.raw((byte) '"'); }
                case 11 -> { out.ascii("\"\\t"); out.num(s); out.ascii("\\n\""); }
                case 12 -> out.ascii("\"1__700_000_000\"");
                case 13 -> out.ascii("\"_1700000000\"");
                case 14 -> out.ascii("\"\\uff11\\uff17\\uff10\\uff10\\uff10\\uff10\\uff10\\uff10\\uff10\\uff10\"");  // full-width digits
                default -> { out.ascii("\"+"); out.num(s); out.ascii(".\""); }
            }
            return;
        }
        if (hit && edge == EdgeCase.ODD_TIMESTAMP) {
            if (ev % 16 == 15) return;                                      // missing
            out.key("timestamp");
            switch (ev % 16) {
                case 0 -> out.nul();
                case 1 -> out.bool(true);
                case 2 -> out.bool(false);
                case 3 -> out.ascii("{\"seconds\": 1717000000}");
                case 4 -> out.ascii("[1717000000]");
                case 5 -> { out.num(ts[i]); out.ascii(".987"); }
                case 6 -> out.num(ts[i] * 1000 + 456);
                case 7 -> out.num(1_234_567_890);                           // 2009: before 2020
                case 8 -> out.num(epochBase + 10L * 365 * 86_400);          // far future
                case 9 -> out.ascii("1e300");
                case 10 -> out.num(-5);
                case 11 -> out.ascii("99999999999999999999");
                case 12 -> out.ascii("1.7e9");
                case 13 -> out.ascii("-0.0");
                default -> out.num(ts[i] * 1_000_000);                       // microseconds
            }
            return;
        }
        if (hit && edge == EdgeCase.HUGE_NUMBER && ev % 5 == 3) { out.key("timestamp"); out.ascii("1e400"); return; }
        out.key("timestamp");
        out.num(t);
    }

    private void underscored(long v) {
        String s = Long.toString(v);
        for (int k = 0; k < s.length(); k++) {
            if (k > 0 && (s.length() - k) % 3 == 0) out.raw((byte) '_');
            out.raw((byte) s.charAt(k));
        }
    }

    private void done(boolean odd) {
        if (!odd) { out.key("done"); out.bool(rng.nextInt(50) != 0); return; }
        out.key("done");
        out.ascii(switch (ev % 12) { case 0 -> "0"; case 1 -> "1"; case 2 -> "0.0"; case 3 -> "1.0"; case 4 -> "null";
            case 5 -> "2"; case 6 -> "-1"; case 7 -> "\"x\""; case 8 -> "\"true\""; case 9 -> "[]"; case 10 -> "{}"; default -> "1e0"; });
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
        if (assistant[i] && rng.nextInt(100) < 2 && imageShare > 0) {     // a generated image, inline
            out.ascii("\"![image](data:image/png;base64,iVBORw0KGgo");
            out.base64(rng, Math.max(400, budget));
            out.ascii(")\"");
            return;
        }
        out.textStr(rng, pool, budget);
    }

    private void userFiles(int i, boolean hit) {
        boolean image = imgChars[i] > 0;
        boolean doc = (rag && parent[i] < 0) || rng.nextInt(100) < 3;
        if (!image && !doc) return;
        out.key("files");
        out.beginArr();
        if (image) {
            out.elem();
            out.beginObj();
            out.key("type"); out.strAscii("image");
            out.key("url");
            boolean png = rng.nextBoolean();
            out.ascii(png ? "\"data:image/png;base64,iVBORw0KGgo" : "\"data:image/jpeg;base64,/9j/4AAQSkZJRg");
            out.base64(rng, imgChars[i]);
            out.raw((byte) '"');
            out.endObj();
        }
        if (doc) {
            int name = rng.nextInt(FILE_NAMES.length);
            long fm = uuidMsb(rng.nextLong()), fl = uuidLsb(rng.nextLong());
            out.elem();
            out.beginObj();
            out.key("type"); out.strAscii("file");
            out.key("file");
            out.beginObj();
            out.key("id"); out.uuid(fm, fl);
            out.key("user_id"); if (userId == null) out.nul(); else out.str(userId);
            out.key("hash"); out.raw((byte) '"'); out.hex(rng.nextLong(), 16); out.hex(rng.nextLong(), 16); out.hex(rng.nextLong(), 16); out.hex(rng.nextLong(), 16); out.raw((byte) '"');
            out.key("filename"); fileName(name);
            out.key("data"); out.beginObj(); out.key("content"); out.textStr(rng, pool, 200 + rng.nextInt(2000)); out.endObj();
            out.key("meta"); out.beginObj();
            out.key("name"); fileName(name);
            out.key("content_type"); out.strAscii("application/pdf");
            out.key("size"); out.num(10_000 + rng.nextInt(5_000_000));
            out.key("collection_name"); out.raw((byte) '"'); out.ascii("file-"); out.uuidBare(fm, fl); out.raw((byte) '"');
            out.endObj();
            out.key("created_at"); out.num(ts[i]);
            out.key("updated_at"); out.num(ts[i]);
            out.endObj();
            out.key("id"); out.uuid(fm, fl);
            out.key("url"); out.raw((byte) '"'); out.ascii("/api/v1/files/"); out.uuidBare(fm, fl); out.raw((byte) '"');
            out.key("name"); fileName(name);
            out.key("collection_name"); out.raw((byte) '"'); out.ascii("file-"); out.uuidBare(fm, fl); out.raw((byte) '"');
            out.key("status"); out.strAscii("uploaded");
            out.key("size"); out.num(10_000 + rng.nextInt(5_000_000));
            out.key("error"); out.strAscii("");
            out.key("itemId"); out.uuid(uuidMsb(rng.nextLong()), uuidLsb(rng.nextLong()));
            out.endObj();
        }
        out.endArr();
    }

    private void fileName(int k) {
        out.raw((byte) '"');
        out.raw(out.ensureAscii ? FILE_NAMES_ASCII[k] : FILE_NAMES_UTF8[k]);
        out.raw((byte) '"');
    }

    private void statusHistory(boolean hit) {
        out.key("statusHistory");
        out.beginArr();
        if (web) {
            out.elem(); out.beginObj(); out.key("done"); out.bool(false); out.key("action"); out.strAscii("web_search");
            out.key("description"); out.strAscii("Generating search query"); out.endObj();
            out.elem(); out.beginObj(); out.key("done"); out.bool(true); out.key("action"); out.strAscii("web_search");
            out.key("description"); out.strAscii("Searched 3 sites"); out.key("query"); out.textStr(rng, pool, 10);
            out.key("urls"); out.beginArr();
            for (int k = 0; k < 3; k++) { out.elem(); out.ascii("\"https://example.com/article/"); out.num(rng.nextInt(1_000_000)); out.raw((byte) '"'); }
            out.endArr(); out.endObj();
        } else {
            out.elem(); out.beginObj(); out.key("action"); out.strAscii("knowledge_search");
            out.key("query"); out.textStr(rng, pool, 10); out.key("done"); out.bool(false); out.endObj();
            out.elem(); out.beginObj(); out.key("action"); out.strAscii("sources_retrieved");
            out.key("count"); out.num(1 + rng.nextInt(8));
            out.key("done"); out.bool(true); out.endObj();
        }
        if (hit && edge == EdgeCase.HUGE_NUMBER && ev % 5 == 2) {
            out.elem(); out.beginObj(); out.key("action"); out.strAscii("sources_retrieved");
            out.key("count"); out.ascii("-1e999"); out.key("done"); out.bool(true); out.endObj();
        }
        out.endArr();
    }

    private void sources(int i, boolean hit, int budget) {
        out.key("sources");
        out.beginArr();
        int totalChunks = Math.max(1, Math.min(20, budget / 1_500));
        int nSources = 1 + rng.nextInt(Math.min(4, totalChunks));
        int per = Math.max(64, budget / nSources);
        for (int s = 0; s < nSources; s++) {
            int chunks = Math.max(1, totalChunks / nSources);
            int name = rng.nextInt(FILE_NAMES.length);
            long fm = uuidMsb(rng.nextLong()), fl = uuidLsb(rng.nextLong());
            int url = rng.nextInt(1_000_000);
            out.elem();
            out.beginObj();
            out.key("source");
            out.beginObj();
            if (web) {
                out.key("name"); out.ascii("\"https://example.com/article/"); out.num(url); out.raw((byte) '"');
                out.key("type"); out.strAscii("web_search");
            } else {
                out.key("id"); out.uuid(fm, fl);
                out.key("name"); fileName(name);
                out.key("type"); out.strAscii("file");
                out.key("collection_name"); out.raw((byte) '"'); out.ascii("file-"); out.uuidBare(fm, fl); out.raw((byte) '"');
                out.key("status"); out.strAscii("uploaded");
                out.key("size"); out.num(10_000 + rng.nextInt(5_000_000));
                out.key("error"); out.strAscii("");
                out.key("url"); out.raw((byte) '"'); out.ascii("/api/v1/files/"); out.uuidBare(fm, fl); out.raw((byte) '"');
            }
            out.endObj();
            out.key("document");
            out.beginArr();
            for (int c = 0; c < chunks; c++) {
                out.elem();
                if (hit && edge == EdgeCase.NUL_IN_CONTENT && c == 0) {
                    out.raw((byte) '"'); out.text(rng, pool, per / chunks / 2); out.ascii("\\u0000"); out.raw((byte) '"');
                } else {
                    out.textStr(rng, pool, per / chunks);
                }
            }
            out.endArr();
            out.key("metadata");
            out.beginArr();
            for (int c = 0; c < chunks; c++) {
                out.elem();
                out.beginObj();
                if (web) {
                    out.key("source"); out.ascii("\"https://example.com/article/"); out.num(url); out.raw((byte) '"');
                    out.key("title"); out.textStr(rng, pool, 1);
                    out.key("language"); out.strAscii("en");
                } else {
                    out.key("created_by"); if (userId == null) out.nul(); else out.str(userId);
                    out.key("embedding_config"); out.strAscii("{\\\"engine\\\": \\\"\\\", \\\"model\\\": \\\"sentence-transformers/all-MiniLM-L6-v2\\\"}");
                    out.key("file_id"); out.uuid(fm, fl);
                    out.key("hash"); out.raw((byte) '"'); out.hex(rng.nextLong(), 16); out.hex(rng.nextLong(), 16); out.hex(rng.nextLong(), 16); out.hex(rng.nextLong(), 16); out.raw((byte) '"');
                    out.key("name"); fileName(name);
                    out.key("page"); out.num(rng.nextInt(60));
                    out.key("source"); fileName(name);
                    out.key("start_index"); out.num(rng.nextInt(200_000));
                    out.key("total_pages"); out.num(60 + rng.nextInt(100));
                }
                out.endObj();
            }
            out.endArr();
            out.key("distances");
            out.beginArr();
            for (int c = 0; c < chunks; c++) {
                out.elem();
                if (hit && edge == EdgeCase.HUGE_NUMBER && ev % 5 == 4 && c == 0) out.ascii("1e400");
                else out.dec(2000 + rng.nextInt(8000), 4);
            }
            out.endArr();
            out.endObj();
        }
        out.endArr();
    }

    private void usage(boolean hit) {
        boolean huge = hit && edge == EdgeCase.HUGE_NUMBER && ev % 5 == 0;
        boolean nul = hit && edge == EdgeCase.NUL_IN_CONTENT && ev % 2 == 0;
        boolean longNumber = hit && edge == EdgeCase.LONG_NUMBER;
        int style = rng.nextInt(10);
        if (style == 0 && !huge && !nul && !longNumber) return;           // no usage at all
        out.key(style == 1 ? "info" : "usage");                           // older versions kept it in info
        out.beginObj();
        if (style < 5) {
            int p = rng.nextInt(8000), c = rng.nextInt(1500);
            out.key("prompt_tokens"); if (huge) out.ascii("1e400"); else out.num(p);
            out.key("completion_tokens"); out.num(c);
            out.key("total_tokens");
            if (longNumber) {
                if (ev % 2 == 0) { out.raw((byte) '1'); for (int k = 0; k < 1499; k++) out.raw((byte) ('0' + (k % 10))); }
                else { out.ascii("0."); for (int k = 0; k < 1500; k++) out.raw((byte) ('0' + (k % 7))); }
            } else out.num(p + c);
            out.key("prompt_tokens_details"); out.beginObj(); out.key("cached_tokens"); out.num(0); out.key("audio_tokens"); out.num(0); out.endObj();
            out.key("completion_tokens_details"); out.beginObj(); out.key("reasoning_tokens"); out.num(0); out.key("accepted_prediction_tokens"); out.num(0); out.endObj();
        } else {
            out.key("response_token/s"); out.dec(500 + rng.nextInt(9000), 2);
            out.key("prompt_token/s"); if (huge) out.ascii("1e400"); else out.dec(5000 + rng.nextInt(90000), 2);
            out.key("total_duration"); out.num(1_000_000_000L + rng.nextLong(30_000_000_000L));
            out.key("load_duration"); out.num(10_000_000L + rng.nextLong(100_000_000L));
            out.key("prompt_eval_count"); if (longNumber) { for (int k = 0; k < 1500; k++) out.raw((byte) ('1' + (k % 9))); } else out.num(rng.nextInt(8000));
            out.key("eval_count"); out.num(rng.nextInt(1500));
            out.key("eval_duration"); out.num(rng.nextLong(20_000_000_000L));
            out.key("approximate_total"); out.strAscii("0h0m" + (1 + rng.nextInt(59)) + "s");
        }
        if (nul) { out.key("note"); out.strAscii("nul \\u0000 inside"); }
        out.endObj();
    }

    private void annotation() {
        out.key("annotation");
        out.beginObj();
        boolean good = rng.nextInt(4) != 0;
        out.key("rating"); out.num(good ? 1 : -1);
        out.key("tags"); out.beginArr(); out.elem(); out.strAscii(good ? "helpful" : "inaccurate"); out.endArr();
        out.key("comment"); out.textStr(rng, pool, 1);
        out.key("reason"); out.strAscii(good ? "Accurate information" : "Not factually correct");
        out.endObj();
    }

    private void output(int contentStart, int contentEnd) {
        // content was written as `"content": "…"`: find the string value and reuse its bytes
        int q = contentStart;
        while (q < contentEnd && out.a[q] != ':') q++;
        while (q < contentEnd && out.a[q] != '"' && out.a[q] != '[' && out.a[q] != '{'
            && out.a[q] != 'n' && out.a[q] != 't' && out.a[q] != 'f' && out.a[q] != '-' && (out.a[q] < '0' || out.a[q] > '9')) q++;
        out.key("output");
        out.beginArr();
        out.elem();
        out.beginObj();
        out.key("type"); out.strAscii("message");
        out.key("id"); out.raw((byte) '"'); out.ascii("msg_"); out.hex(rng.nextLong(), 16); out.raw((byte) '"');
        out.key("status"); out.strAscii("completed");
        out.key("role"); out.strAscii("assistant");
        out.key("content");
        out.beginArr();
        out.elem();
        out.beginObj();
        out.key("type"); out.strAscii("output_text");
        out.key("text");
        if (q < contentEnd) out.copyWithin(q, contentEnd); else out.strAscii("");
        out.endObj();
        out.endArr();
        out.endObj();
        out.endArr();
    }
}
