package org.pgbackfill.seed;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * Makes rows of Open WebUI's {@code chat} table whose documents look like real ones (SPEC.md
 * section 1): branching message trees in {@code history.messages}, the current path copied into
 * {@code messages}, assistant messages with sources (RAG document text), status history, usage,
 * annotations, errors and outputs; user messages with files and pasted base64 images; Python-style
 * escaping ({@code \u00e9}) in most documents and raw UTF-8 in others; timestamps in seconds and
 * sometimes milliseconds; and, on request, the odd documents of {@link EdgeCase}.
 *
 * <p>Everything is a function of {@link GeneratorOptions#seed()}: the same options give the same
 * rows, byte for byte. Documents are written straight into a reusable byte buffer from pre-built,
 * pre-escaped text (see {@link TextPool}), so one core makes several hundred MB/s; the document of
 * the chat returned by {@link #next()} lives in that buffer until the following call.
 *
 * <p>Not thread-safe; use one generator per thread (with different seeds for different data).
 */
public final class ChatGenerator implements Iterator<GeneratedChat> {
    private static final long TWO_YEARS = 2L * 365 * 86_400;

    private final GeneratorOptions options;
    private final SplittableRandom rng;
    private final EdgeCase[] edges;
    private final String[] users;
    private final double muLog;
    private JsonOut out = new JsonOut(1 << 16);
    private JsonOut spare = new JsonOut(1 << 16);
    private long index;
    private long bytes;
    private String partnerChatId;       // DUPLICATE_ROW_ID: the chat that must come next
    private final String[] titleWords = TextPool.INSTANCE.titleWords;
    private final DocumentWriter writer;

    public ChatGenerator(GeneratorOptions options) {
        this.options = options;
        this.rng = new SplittableRandom(options.seed());
        this.edges = options.edgeCases().toArray(new EdgeCase[0]);
        SplittableRandom userRng = new SplittableRandom(options.seed() ^ 0x75_73_65_72L);
        this.users = new String[options.users()];
        for (int i = 0; i < users.length; i++) users[i] = uuid(userRng);
        double s = options.sizeSigma();
        this.muLog = Math.log(options.meanDocumentBytes()) - s * s / 2;
        this.writer = new DocumentWriter(rng, out);
    }

    public GeneratorOptions options() { return options; }

    /** Chats made so far. */
    public long generated() { return index; }

    /** Document bytes made so far. */
    public long generatedBytes() { return bytes; }

    /** False once {@link GeneratorOptions#chats()} chats or {@link GeneratorOptions#targetBytes()} bytes were made. */
    @Override public boolean hasNext() {
        return index < options.chats() && bytes < options.targetBytes();
    }

    /**
     * The next chat. Its document is only valid until the following call. Works past
     * {@link #hasNext()} too (the limits are advisory for callers that loop).
     */
    @Override public GeneratedChat next() {
        if (index == Long.MAX_VALUE) throw new NoSuchElementException();
        EdgeCase edge = null;
        String chatId;
        boolean partner = partnerChatId != null;
        if (partner) {
            edge = EdgeCase.DUPLICATE_ROW_ID;
            chatId = partnerChatId;
            partnerChatId = null;
        } else {
            if (edges.length > 0 && rng.nextDouble() < options.edgeCaseShare()) edge = edges[rng.nextInt(edges.length)];
            chatId = edge == EdgeCase.NON_UUID_CHAT_ID ? oddChatId() : uuid(rng);
        }
        int ev = rng.nextInt(1 << 20);
        String userId = userId(edge, ev);
        long createdAt = options.epochBase() - 1 - rng.nextLong(TWO_YEARS);
        String title = title();

        DocumentWriter w = writer();
        out.reset();
        boolean ascii = rng.nextInt(10) < 8;
        out.ensureAscii = ascii;
        setSeparators(out, edge == EdgeCase.ODD_WHITESPACE ? 2 : (rng.nextInt(10) < 9 ? 0 : 1));
        w.edge = edge;
        w.ev = ev;
        w.chatId = chatId;
        w.userId = userId;
        w.title = title;
        w.createdAt = createdAt;
        w.epochBase = options.epochBase();
        w.target = plannedSize();
        w.imageShare = imageShare();
        w.edgeKey = null;
        w.lastTimestamp = createdAt;
        if (partner) {
            w.edgeKey = "1".getBytes(StandardCharsets.US_ASCII);
        } else if (edge != null) {
            w.edgeKey = edgeKey(edge, ev, ascii);
            if (edge == EdgeCase.DUPLICATE_ROW_ID) {
                String k = Long.toHexString(rng.nextLong() | 1L << 63).substring(0, 8);
                w.edgeKey = (k + "-1").getBytes(StandardCharsets.US_ASCII);
                partnerChatId = chatId + "-" + k;
            }
        }

        int length;
        if (edge == EdgeCase.FALSY_DOCUMENT) {
            length = falsyDocument(ev);
        } else if (edge == EdgeCase.NOT_AN_OBJECT && ev % 7 != 0) {
            out.ascii(switch (ev % 7) { case 1 -> "[1, 2, 3]"; case 2 -> "42"; case 3 -> "-1.5"; case 4 -> "true"; case 5 -> "1e5"; default -> "[{}]"; });
            length = out.n;
        } else if (edge == EdgeCase.DOUBLE_ENCODED_BAD) {
            out.ascii(switch (ev % 9) {
                case 0 -> "\"{\\\"history\\\": \"";
                case 1 -> "\"not json\"";
                case 2 -> "\"[1, 2]\"";
                case 3 -> "\"42\"";
                case 4 -> "\"\\\"{\\\\\\\"history\\\\\\\": {}}\\\"\"";                  // triple-encoded
                case 5 -> "\"null\"";
                case 6 -> "\"{'history': {'messages': {}}}\"";                       // Python repr, not JSON
                case 7 -> "\" \"";
                default -> "\"true\"";
            });
            length = out.n;
        } else {
            if (edge == EdgeCase.ODD_WHITESPACE) out.ascii("\n \t");
            if (edge == EdgeCase.NOT_AN_OBJECT) { out.beginArr(); out.elem(); }  // [ {a whole chat} ]
            w.write();
            if (edge == EdgeCase.NOT_AN_OBJECT) out.endArr();
            if (edge == EdgeCase.ODD_WHITESPACE) out.ascii(" \r\n");
            length = out.n;
            if (edge == EdgeCase.DOUBLE_ENCODED) {
                spare.reset();
                spare.raw((byte) '"');
                spare.escapeFrom(out.a, 0, out.n);
                spare.raw((byte) '"');
                JsonOut t = out; out = spare; spare = t;
                length = out.n;
            }
        }
        long updatedAt = Math.max(createdAt, Math.min(options.epochBase(), w.lastTimestamp + rng.nextInt(30)));
        boolean archived = rng.nextInt(100) < 4;
        boolean pinned = rng.nextInt(100) < 2;
        String meta = rng.nextInt(100) < 85 ? "{}" : "{\"tags\": [\"" + (rng.nextBoolean() ? "work" : "research") + "\"]}";
        GeneratedChat chat = new GeneratedChat(index, chatId, userId, title, createdAt, updatedAt, archived, pinned,
            meta, out.a, length, edge);
        index++;
        bytes += Math.max(length, 0);
        return chat;
    }

    private DocumentWriter writer() {
        writer.out = out;                                     // out and spare swap after a double encoding
        return writer;
    }

    /** 0: Python's ", " and ": "; 1: compact; 2: odd whitespace between every token. */
    private static void setSeparators(JsonOut o, int style) {
        switch (style) {
            case 0 -> { o.comma = new byte[] {',', ' '}; o.colon = new byte[] {':', ' '}; }
            case 1 -> { o.comma = new byte[] {','}; o.colon = new byte[] {':'}; }
            default -> { o.comma = new byte[] {'\n', ',', '\t', ' '}; o.colon = new byte[] {' ', ':', '\r', '\n', ' '}; }
        }
    }

    private long plannedSize() {
        double sigma = options.sizeSigma();
        double z = sigma == 0 ? 0 : gaussian();
        double size = Math.exp(muLog + sigma * z);
        return (long) Math.max(1_500, Math.min(options.maxDocumentBytes(), size));
    }

    /** Box-Muller, so that sizes do not depend on the JDK's gaussian algorithm. */
    private double gaussian() {
        double u1 = 1.0 - rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /**
     * Share of this document's bytes to spend on base64 images: most chats have none, a few are
     * mostly images, so that over many chats the share of bytes matches the option.
     */
    private double imageShare() {
        double share = options.incompressibleShare();
        if (share <= 0) return 0;
        double perCarrier = Math.max(share, 0.75);
        double carrierProbability = share / perCarrier;
        return rng.nextDouble() < carrierProbability ? perCarrier : 0;
    }

    private String userId(EdgeCase edge, int ev) {
        if (edge == EdgeCase.NULL_USER) return null;
        if (edge == EdgeCase.SHARED_LOOKALIKE_USER) {
            String u = uuid(rng);
            return switch (ev % 6) {
                case 0 -> "Shared-" + u;
                case 1 -> "shared_" + u;
                case 2 -> " shared-" + u;
                case 3 -> "xshared-" + u;
                case 4 -> "SHARED-" + u;
                default -> "shared" + u;
            };
        }
        if (rng.nextDouble() < options.sharedUserShare()) return "shared-" + uuid(rng);
        return users[rng.nextInt(users.length)];
    }

    private String oddChatId() {
        long n = index;
        return switch (rng.nextInt(8)) {
            case 0 -> "chat-" + n;
            case 1 -> String.format("%08d", n);
            case 2 -> "Chat With Spaces " + n;
            case 3 -> "ÄÖÜ-é-" + n;
            case 4 -> "a/b\\c'\"" + n;
            case 5 -> uuid(rng).toUpperCase(java.util.Locale.ROOT);
            case 6 -> "😀-" + n;
            default -> "zz_" + n + "_" + Long.toString(rng.nextLong() & Long.MAX_VALUE, 36);
        };
    }

    private byte[] edgeKey(EdgeCase edge, int ev, boolean ascii) {
        String k;
        switch (edge) {
            case WEIRD_KEYS -> {
                switch (ev % 8) {
                    case 0 -> { return new byte[0]; }
                    case 1 -> { return TextPool.escape("clé-ü-日本-😀-" + uuid(rng), ascii); }
                    case 2 -> { return ("a\\\"b\\\\c-" + uuid(rng)).getBytes(StandardCharsets.US_ASCII); }
                    case 3 -> { return ("\\u0061\\u0062c-" + uuid(rng)).getBytes(StandardCharsets.US_ASCII); }
                    case 4 -> { return ("a\\/b-" + uuid(rng)).getBytes(StandardCharsets.US_ASCII); }
                    case 5 -> { return ("" + rng.nextInt(1_000_000)).getBytes(StandardCharsets.US_ASCII); }
                    case 6 -> { return ("  spaced key " + rng.nextInt(1_000)).getBytes(StandardCharsets.US_ASCII); }
                    default -> { return null; }                 // the message's id differs from its key: see DocumentWriter
                }
            }
            case NUL_IN_KEY -> k = "\\u0000" + uuid(rng).substring(1);
            case LONE_SURROGATE -> { if (ev % 6 != 4) return null; k = "k\\ud800-" + uuid(rng); }
            case LONG_KEY -> {
                int len = ev % 2 == 0 ? 3_000 : 60_000;
                StringBuilder b = new StringBuilder(len);
                for (int i = 0; i < len; i++) b.append((char) ('a' + rng.nextInt(26)));
                k = b.toString();
            }
            default -> { return null; }
        }
        return k.getBytes(StandardCharsets.US_ASCII);
    }

    private int falsyDocument(int ev) {
        String v = switch (ev % 10) {
            case 0, 1 -> null;              // SQL NULL
            case 2 -> "null";
            case 3 -> "false";
            case 4 -> "0";
            case 5 -> "0.0";
            case 6 -> "\"\"";
            case 7 -> "{}";
            case 8 -> "[]";
            default -> " [ ] ";
        };
        if (v == null) return -1;
        out.ascii(v);
        return out.n;
    }

    private String title() {
        int r = rng.nextInt(100);
        if (r < 5) return "New Chat";
        int words = 2 + rng.nextInt(6);
        StringBuilder b = new StringBuilder(48);
        if (r < 12) b.append("📊 ");
        for (int i = 0; i < words; i++) {
            String w = titleWords[rng.nextInt(titleWords.length)];
            if (i == 0) b.append(Character.toUpperCase(w.charAt(0))).append(w, 1, w.length());
            else b.append(' ').append(w);
        }
        if (r >= 95) b.append(" — résumé");
        return b.toString();
    }

    static String uuid(SplittableRandom rng) {
        long msb = MessageTree.uuidMsb(rng.nextLong());
        long lsb = MessageTree.uuidLsb(rng.nextLong());
        JsonOut o = UUID_OUT.get();
        o.reset();
        o.uuidBare(msb, lsb);
        return new String(o.a, 0, o.n, StandardCharsets.US_ASCII);
    }

    private static final ThreadLocal<JsonOut> UUID_OUT = ThreadLocal.withInitial(() -> new JsonOut(64));
}
