package org.pgbackfill.seed;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The plan of one chat's messages, made before a byte is written: the tree of turns with its
 * regenerated and edited branches, each message's id, timestamp and model, which messages carry
 * pasted images, and the byte budget each message gets. It is a set of parallel arrays, reused
 * from chat to chat, because a document can hold a thousand messages and the generator makes
 * millions of documents; the writers read them by message index.
 *
 * <p>Budgets are adaptive: before each message, what is left of the document's target size is
 * shared among the messages still to write (a message on the current path counts twice, as it is
 * copied into {@code messages}), so fixed overheads and overshoot are absorbed as it goes.
 */
final class MessageTree {
    static final String[][] MODELS = {
        {"gpt-4o", "GPT-4o"}, {"gpt-4o-mini", "GPT-4o mini"}, {"llama3.1:8b", "llama3.1:8b"},
        {"qwen2.5:14b", "qwen2.5:14b"}, {"claude-3-5-sonnet-20241022", "Claude 3.5 Sonnet"},
        {"deepseek-r1:32b", "deepseek-r1:32b"}, {"mistral-small:24b", "Mistral Small"},
        {"gemma3:27b", "gemma3:27b"}, {"o3-mini", "o3-mini"}, {"rag-assistant", "Company Docs Assistant"}};

    int m;
    long[] msb = new long[64], lsb = new long[64], ts = new long[64];
    int[] parent = new int[64], firstChild = new int[64], lastChild = new int[64], nextSib = new int[64];
    int[] model = new int[64], start = new int[64], end = new int[64], imgChars = new int[64];
    boolean[] assistant = new boolean[64], onPath = new boolean[64];
    private double[] weightLeft = new double[65];   // suffix sums of weight x copies
    final int[] chatModels = new int[2];
    int chatModelCount;
    boolean rag, web, msTimestamps, withOutput;
    long lastTimestamp;
    private long consumed, imageConsumed, imageLeft, textTotal;
    private long epochBase;
    double imageShare;          // share of the document's bytes that is base64

    /** Plans a chat of about {@code target} bytes, {@code imageShare} of them base64. */
    void plan(SplittableRandom rng, long target, double imageShare, long createdAt, long epochBase, int titleLength) {
        this.epochBase = epochBase;
        this.imageShare = imageShare;
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
                int u = add(rng, false, prev, false, 0, t += 5 + rng.nextInt(300));
                add(rng, true, u, false, chatModels[0], t += 2 + rng.nextInt(60));
            }
            t += turn == 0 ? 0 : (rng.nextInt(20) == 0 ? 3_600 + rng.nextInt(7 * 86_400) : 10 + rng.nextInt(900));
            int u = add(rng, false, prev, true, 0, t);
            int siblings = chatModelCount - 1 + (rng.nextInt(100) < 8 ? 1 + rng.nextInt(2) : 0);
            for (int s = 0; s < siblings; s++) {                        // regenerated or other-model answers
                add(rng, true, u, false, chatModels[(s + 1) % chatModelCount], t += 2 + rng.nextInt(60));
            }
            prev = add(rng, true, u, true, chatModels[0], t += 2 + rng.nextInt(120));
        }
        lastTimestamp = Math.min(t, epochBase);

        // images: in the first user messages on the path
        Arrays.fill(imgChars, 0, m, 0);
        long msgBudget = Math.max(0, target - 450 - titleLength);
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

    private int add(SplittableRandom rng, boolean isAssistant, int parentIdx, boolean path, int modelI, long timestamp) {
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

    /** Message {@code i}'s share of the text still to write, less its fixed overhead. */
    int budget(int i) {
        boolean asst = assistant[i];
        long remaining = textTotal - (consumed - imageConsumed);
        double share = weightLeft[i] <= 0 ? 1 : (assistant[i] ? (rag || web ? 6 : 4) : 1) * (onPath[i] ? 2 : 1) / weightLeft[i];
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE / 4,
            remaining * share / (onPath[i] ? 2 : 1) - (asst ? 900 : 300)));
    }

    /** Counts the bytes written for message {@code i}, twice if it is copied into {@code messages}. */
    void account(int i, int bytes) {
        int copies = onPath[i] ? 2 : 1;
        consumed += (long) bytes * copies;
        imageConsumed += (long) imgChars[i] * copies;
    }

    static long uuidMsb(long r) { return (r & 0xffffffffffff0fffL) | 0x0000000000004000L; }
    static long uuidLsb(long r) { return (r & 0x3fffffffffffffffL) | 0x8000000000000000L; }
}
