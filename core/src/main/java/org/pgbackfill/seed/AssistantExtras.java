package org.pgbackfill.seed;

import java.util.SplittableRandom;

/**
 * The fields an assistant's answer gets after its content: the status history of a search, token
 * usage (in the OpenAI or the Ollama shape, or the older {@code info}), a user's rating, and the
 * {@code output} array, which repeats the content's bytes. They are where large and long numbers
 * turn up, so those edge cases are planted here.
 */
final class AssistantExtras extends PartWriter {
    AssistantExtras(SplittableRandom rng, MessageTree tree) {
        super(rng, tree);
    }

    void statusHistory(boolean hit) {
        out.key("statusHistory");
        out.beginArr();
        if (tree.web) {
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

    void usage(boolean hit) {
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

    void annotation() {
        out.key("annotation");
        out.beginObj();
        boolean good = rng.nextInt(4) != 0;
        out.key("rating"); out.num(good ? 1 : -1);
        out.key("tags"); out.beginArr(); out.elem(); out.strAscii(good ? "helpful" : "inaccurate"); out.endArr();
        out.key("comment"); out.textStr(rng, pool, 1);
        out.key("reason"); out.strAscii(good ? "Accurate information" : "Not factually correct");
        out.endObj();
    }

    void output(int contentStart, int contentEnd) {
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
