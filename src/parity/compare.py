"""Compares upstream_oracle.py's chat_message with pgbackfill's: rows (JSON columns by structure and key order), rows only
one side has, and upstream's failures (argv[5], the oracle's output) against pgbackfill's rejections."""
import json, sys, psycopg2
sys.setrecursionlimit(200000)
sys.set_int_max_str_digits(0)
a = psycopg2.connect(sys.argv[1]); b = psycopg2.connect(sys.argv[2])
cols = "id, chat_id, user_id, role, parent_id, content::text, output::text, model_id, files::text, sources::text, embeds::text, done, status_history::text, error::text, usage::text, created_at, updated_at"
def load(conn, table):
    cur = conn.cursor(); cur.execute(f"SELECT {cols} FROM {table}")
    out = {}
    for r in cur:
        r = list(r)
        for i in (5, 6, 8, 9, 10, 12, 13, 14):
            r[i] = json.loads(r[i], object_pairs_hook=lambda p: ('obj', p)) if r[i] is not None else 'SQLNULL'
        out[r[0]] = r
    return out
up = load(a, sys.argv[3]); ours = load(b, sys.argv[4])
names = [c.strip() for c in cols.split(',')]
only_up = sorted(set(up) - set(ours)); only_ours = sorted(set(ours) - set(up))
diff = [k for k in set(up) & set(ours) if up[k] != ours[k]]
print(f"upstream rows {len(up)}, ours {len(ours)}, only upstream {len(only_up)}, only ours {len(only_ours)}, differing {len(diff)}")
for k in only_up[:30]: print("ONLY UPSTREAM", repr(k)[:120])
for k in only_ours[:30]: print("ONLY OURS", repr(k)[:120])
for k in diff[:30]:
    for i, n in enumerate(names):
        if up[k][i] != ours[k][i]: print("DIFF", repr(k)[:80], n, repr(up[k][i])[:100], "|", repr(ours[k][i])[:100])
fails = {}
for line in open(sys.argv[5], encoding='utf-8'):
    p = line.rstrip('\n').split('\t')
    fails.setdefault(p[0], []).append((p[1], p[2]))
cur = b.cursor()
def why_ours(rowid):
    cur.execute("SELECT reason, left(detail, 80) FROM pgbackfill.rejected_message WHERE chat_id || '-' || message_key = %s", (rowid,))
    return cur.fetchall()
from collections import Counter
c1 = Counter()
for k in only_ours:
    chat = ours[k][1]
    f = [x[1][:40] for x in fails.get(chat, []) if x[0] in ('None', k)]
    c1[str(f)] += 1
print("only ours, by upstream's failure for that row/chat:", c1.most_common())
c2 = Counter()
for k in only_up:
    c2[str(why_ours(k))[:120]] += 1
print("only upstream, by our rejection:", c2.most_common())
cur.execute("SELECT chat_id, coalesce(to_jsonb(r)->>'message_key_json', to_json(message_key)::text), reason FROM pgbackfill.rejected_message r")
rej = {}
for chat, kj, reason in cur.fetchall():
    rej[chat + '-' + json.loads(kj)] = reason
cur.execute("SELECT chat_id, reason FROM pgbackfill.rejected_chat")
rejchat = dict(cur.fetchall())
missing = Counter()
for chat, lst in fails.items():
    for rowid, why in lst:
        if rowid == 'None':
            if chat not in rejchat: missing['chat not rejected: ' + why[:40]] += 1
        else:
            rid = rowid.encode('utf-8', 'backslashreplace').decode('unicode_escape', 'ignore') if '\\u' in rowid or '\\x' in rowid else rowid
            if rowid not in rej and rid not in rej and chat not in rejchat: missing['row not rejected: ' + why[:50]] += 1
print("upstream failures we do not record:", missing.most_common())
print("our rejections by reason:", Counter(rej.values()).most_common(), Counter(rejchat.values()).most_common())
