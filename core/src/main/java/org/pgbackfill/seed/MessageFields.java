package org.pgbackfill.seed;

import java.util.SplittableRandom;

/**
 * A message's small fields (id, parentId, role, model, timestamp, done), each written as Open
 * WebUI writes it or, in the message an edge case is planted in, as one of the odd values real
 * databases hold: strings, numbers and objects where text belongs, NULs, lone surrogates, every
 * spelling of a timestamp. The variants live beside the field they replace, so one can read what
 * a field can be in one place.
 */
final class MessageFields extends PartWriter {
    MessageFields(SplittableRandom rng, MessageTree tree) {
        super(rng, tree);
    }

    void id(int i, boolean hit) {
        out.key("id");
        if (hit && edge == EdgeCase.WEIRD_KEYS && edgeKey == null) out.uuid(~tree.msb[i], tree.lsb[i]);   // differs from its key
        else out.uuid(tree.msb[i], tree.lsb[i]);
    }

    void parentId(int i, boolean hit) {
        out.key("parentId");
        if (hit) {
            String pid = tree.parent[i] < 0 ? "root" : null;
            switch (edge) {
                case OBJECT_IN_TEXT -> { if (ev % 8 == 2) { out.ascii("{\"id\": \"x\"}"); return; } if (ev % 8 == 3) { out.ascii("[\"a\", \"b\"]"); return; } if (ev % 8 == 6) { out.ascii("[]"); return; } }
                case NUMBER_IN_TEXT -> { switch (ev % 7) { case 0 -> { out.num(12345); return; } case 1 -> { out.ascii("1.5"); return; } case 2 -> { out.bool(true); return; } case 3 -> { out.ascii("1e20"); return; } default -> { } } }
                case NUL_IN_TEXT -> { if (ev % 3 == 2) { out.raw((byte) '"'); if (pid == null) out.uuidBare(tree.msb[tree.parent[i]], tree.lsb[tree.parent[i]]); else out.ascii(pid); out.ascii("\\u0000\""); return; } }
                case LONE_SURROGATE -> { if (ev % 6 == 2) { out.ascii("\"\\udc00abc\""); return; } }
                default -> { }
            }
        }
        if (tree.parent[i] < 0) out.nul(); else out.uuid(tree.msb[tree.parent[i]], tree.lsb[tree.parent[i]]);
    }

    void role(int i, boolean hit) {
        String r = tree.assistant[i] ? "assistant" : "user";
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

    void modelField(int i, boolean hit) {
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
        out.strAscii(MessageTree.MODELS[tree.model[i]][0]);
    }

    void timestamp(int i, boolean hit) {
        long t = tree.msTimestamps ? tree.ts[i] * 1000 + rng.nextInt(1000) : tree.ts[i];
        if (hit && edge == EdgeCase.STRING_TIMESTAMP) {
            out.key("timestamp");
            long s = tree.ts[i];
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
                case 5 -> { out.num(tree.ts[i]); out.ascii(".987"); }
                case 6 -> out.num(tree.ts[i] * 1000 + 456);
                case 7 -> out.num(1_234_567_890);                           // 2009: before 2020
                case 8 -> out.num(epochBase + 10L * 365 * 86_400);          // far future
                case 9 -> out.ascii("1e300");
                case 10 -> out.num(-5);
                case 11 -> out.ascii("99999999999999999999");
                case 12 -> out.ascii("1.7e9");
                case 13 -> out.ascii("-0.0");
                default -> out.num(tree.ts[i] * 1_000_000);                       // microseconds
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

    void done(boolean odd) {
        if (!odd) { out.key("done"); out.bool(rng.nextInt(50) != 0); return; }
        out.key("done");
        out.ascii(switch (ev % 12) { case 0 -> "0"; case 1 -> "1"; case 2 -> "0.0"; case 3 -> "1.0"; case 4 -> "null";
            case 5 -> "2"; case 6 -> "-1"; case 7 -> "\"x\""; case 8 -> "\"true\""; case 9 -> "[]"; case 10 -> "{}"; default -> "1e0"; });
    }
}
