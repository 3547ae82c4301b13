package org.pgbackfill.seed;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Pre-built, pre-escaped text fragments that {@link ChatGenerator} copies into documents.
 *
 * <p>Text is the bulk of a chat document, so it is never built character by character: a pool of a
 * few thousand sentences (English prose, accented words, CJK, emoji, markdown, code) is made once
 * from a fixed seed and kept in two encodings, as Python's {@code json.dumps} would write it
 * ({@code ensure_ascii=True}: {@code \u00e9}, surrogate pairs for emoji) and as raw UTF-8. A
 * document then costs one random draw and one {@code arraycopy} per sentence. The pool is large
 * enough that pglz/lz4 find little repetition inside their windows, as with real prose.
 */
final class TextPool {
    private static final String[] WORDS = (
        "the of and to in is that for it as with was on be by this are or from at an which have not "
        + "but they has had were all their can one more will would there been also other into its "
        + "report data model results analysis table figure section summary question answer context "
        + "document source page chapter revenue growth quarter market customer product service "
        + "system network server database query index migration backup restore latency throughput "
        + "memory storage cluster replica primary partition transaction commit rollback schema "
        + "function variable parameter return value error exception warning message request "
        + "response token embedding vector retrieval search ranking relevance score threshold "
        + "user assistant prompt completion temperature context window instruction example "
        + "please explain why how what when where could should might must may first second third "
        + "finally however therefore because although while since until unless whether either "
        + "important significant relevant specific general detailed brief clear simple complex "
        + "increase decrease improve reduce maintain support provide include require consider "
        + "time year month week day hour minute people team company project plan goal risk issue "
        + "policy process method approach strategy solution problem change update version release "
        + "python java javascript rust sql json yaml docker kubernetes linux postgres redis kafka "
        + "review test build deploy monitor measure compare evaluate estimate calculate verify "
        + "large small new old high low long short good better best fast slow easy hard main key "
        + "based using following according within between across during after before without").split(" ");

    private static final String[] ACCENTED = {
        "café", "naïve", "résumé", "über", "Straße", "niño", "façade", "Ångström", "déjà", "vu",
        "coöperate", "São", "Paulo", "Zürich", "Kraków", "Ελληνικά", "русский", "язык", "élève",
        "piñata", "jalapeño", "smörgåsbord", "Fußgänger", "crème", "brûlée", "Œuvre", "ça", "où"};

    private static final String[] CJK = {
        "数据", "模型", "分析", "报告", "用户", "问题", "东京", "日本語", "こんにちは", "ありがとう",
        "한국어", "안녕하세요", "数据库迁移", "向量检索", "上下文窗口", "性能测试", "表格", "結果"};

    private static final String[] EMOJI = {
        "😀", "🚀", "👍", "🎉", "🤖", "✅", "❌", "⚠️", "📊", "🔥", "💡", "🙏", "👨‍💻", "🇫🇷", "∑", "→", "≈", "€", "£", "©"};

    private static final String[] FRAGMENTS = {
        "\n\n", "\n\n", "\n\n", "\n", "\n- ", "\n- ", "\n1. ", "\n2. ", "\n\n## Summary\n\n",
        "\n\n### Details\n\n", "\n\n> Note: ", " **important** ", " `SELECT * FROM chat` ",
        "\n\n```python\ndef extract(doc):\n    for key, msg in doc[\"history\"][\"messages\"].items():\n        yield key, msg.get(\"role\")\n```\n\n",
        "\n\n```sql\nSELECT id, user_id FROM chat WHERE user_id NOT LIKE 'shared-%';\n```\n\n",
        "\n\n| column | type |\n|---|---|\n| id | text |\n| done | boolean |\n\n",
        " C:\\Users\\admin\\Documents\\report.pdf ", " \"quoted text\" ", "\t", " path/to/file.txt ",
        " https://example.com/docs?page=2&lang=en ", " $x = \\frac{a}{b}$ "};

    /** Sentences and fragments, Python {@code ensure_ascii} form (the common case in real tables). */
    final byte[][] ascii;
    /** The same, raw UTF-8 form. */
    final byte[][] utf8;
    /** Plain single words, for titles and short fields (Java strings). */
    final String[] titleWords;

    private TextPool(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int n = 6144;
        ascii = new byte[n][];
        utf8 = new byte[n][];
        StringBuilder s = new StringBuilder(256);
        for (int i = 0; i < n; i++) {
            s.setLength(0);
            int kind = rng.nextInt(100);
            if (kind < 6) {
                s.append(FRAGMENTS[rng.nextInt(FRAGMENTS.length)]);
            } else if (kind < 10) {
                int words = 3 + rng.nextInt(10);
                for (int w = 0; w < words; w++) s.append(CJK[rng.nextInt(CJK.length)]);
                s.append(rng.nextBoolean() ? "。" : "！");
            } else {
                int words = 5 + rng.nextInt(26);
                for (int w = 0; w < words; w++) {
                    String word;
                    int r = rng.nextInt(100);
                    if (r < 3) word = ACCENTED[rng.nextInt(ACCENTED.length)];
                    else if (r < 4) word = EMOJI[rng.nextInt(EMOJI.length)];
                    else if (r < 5) word = Integer.toString(rng.nextInt(100_000));
                    else if (r < 6) word = CJK[rng.nextInt(CJK.length)];
                    else word = WORDS[rng.nextInt(WORDS.length)];
                    if (w == 0) word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
                    s.append(word);
                    if (w + 1 < words) s.append(rng.nextInt(12) == 0 ? ", " : " ");
                }
                s.append(rng.nextInt(8) == 0 ? "? " : ". ");
            }
            String text = s.toString();
            ascii[i] = escape(text, true);
            utf8[i] = escape(text, false);
        }
        titleWords = WORDS;
    }

    /**
     * JSON string body (no quotes) for {@code s}: Python's {@code json.dumps} escaping when
     * {@code ensureAscii} (lower-case {@code \\uXXXX}, UTF-16 surrogate pairs), else raw UTF-8.
     */
    static byte[] escape(String s, boolean ensureAscii) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length()
                        && Character.isLowSurrogate(s.charAt(i + 1));
                    if (!ensureAscii && pair) {
                        b.append(c).append(s.charAt(++i));
                    } else if (c < 0x20 || (ensureAscii && c > 0x7e) || Character.isSurrogate(c)) {
                        b.append("\\u").append(HEX4[c >>> 12 & 0xf]).append(HEX4[c >>> 8 & 0xf])
                            .append(HEX4[c >>> 4 & 0xf]).append(HEX4[c & 0xf]);
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static final char[] HEX4 = "0123456789abcdef".toCharArray();

    /** Built last: the word lists above must be initialised first. */
    static final TextPool INSTANCE = new TextPool(0x5EED_7E47L);
}
