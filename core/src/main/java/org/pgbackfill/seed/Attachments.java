package org.pgbackfill.seed;

import java.util.SplittableRandom;

/**
 * What a message carries that is not its text: a user's pasted images and uploaded files, and an
 * assistant's retrieved sources (RAG documents or web pages) with their chunks, metadata and
 * distances. These are most of a RAG chat's bytes, and they share the file names and the
 * {@code file-<uuid>} collection names, so they are written together.
 */
final class Attachments extends PartWriter {
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

    Attachments(SplittableRandom rng, MessageTree tree) {
        super(rng, tree);
    }

    void userFiles(int i, boolean hit) {
        boolean image = tree.imgChars[i] > 0;
        boolean doc = (tree.rag && tree.parent[i] < 0) || rng.nextInt(100) < 3;
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
            out.base64(rng, tree.imgChars[i]);
            out.raw((byte) '"');
            out.endObj();
        }
        if (doc) {
            int name = rng.nextInt(FILE_NAMES.length);
            long fm = MessageTree.uuidMsb(rng.nextLong()), fl = MessageTree.uuidLsb(rng.nextLong());
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
            out.key("created_at"); out.num(tree.ts[i]);
            out.key("updated_at"); out.num(tree.ts[i]);
            out.endObj();
            out.key("id"); out.uuid(fm, fl);
            out.key("url"); out.raw((byte) '"'); out.ascii("/api/v1/files/"); out.uuidBare(fm, fl); out.raw((byte) '"');
            out.key("name"); fileName(name);
            out.key("collection_name"); out.raw((byte) '"'); out.ascii("file-"); out.uuidBare(fm, fl); out.raw((byte) '"');
            out.key("status"); out.strAscii("uploaded");
            out.key("size"); out.num(10_000 + rng.nextInt(5_000_000));
            out.key("error"); out.strAscii("");
            out.key("itemId"); out.uuid(MessageTree.uuidMsb(rng.nextLong()), MessageTree.uuidLsb(rng.nextLong()));
            out.endObj();
        }
        out.endArr();
    }

    private void fileName(int k) {
        out.raw((byte) '"');
        out.raw(out.ensureAscii ? FILE_NAMES_ASCII[k] : FILE_NAMES_UTF8[k]);
        out.raw((byte) '"');
    }

    void sources(int i, boolean hit, int budget) {
        out.key("sources");
        out.beginArr();
        int totalChunks = Math.max(1, Math.min(20, budget / 1_500));
        int nSources = 1 + rng.nextInt(Math.min(4, totalChunks));
        int per = Math.max(64, budget / nSources);
        for (int s = 0; s < nSources; s++) {
            int chunks = Math.max(1, totalChunks / nSources);
            int name = rng.nextInt(FILE_NAMES.length);
            long fm = MessageTree.uuidMsb(rng.nextLong()), fl = MessageTree.uuidLsb(rng.nextLong());
            int url = rng.nextInt(1_000_000);
            out.elem();
            out.beginObj();
            out.key("source");
            out.beginObj();
            if (tree.web) {
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
                if (tree.web) {
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
}
