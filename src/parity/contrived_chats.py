"""Contrived chat documents, for side_by_side.sh: appends N chats (seeded) to the chat table of a database at
374d2f66af06 (create it with pgbackfill seed --chats 1, then DELETE FROM chat).
   python3 contrived_chats.py URL N SEED"""
import json, random, sys, psycopg2
url, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
def msg(**kw):
    m = {"role": "user", "content": "hi"}; m.update(kw); return m
ws = [' ', '\t', '\n', '\x1c', '\x1d', '\x1e', '\x1f', '\x85', '\xa0', '\u2000', '\u3000', '\u200b', '\ufeff', '\x0b', '\x0c']
digits = ['1700000000', '\U0001d7cf\U0001d7d5\U0001d7ce\U0001d7ce\U0001d7ce\U0001d7ce\U0001d7ce\U0001d7ce\U0001d7ce\U0001d7ce',
          '\u0661\u0667\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660', '1_700_000_000', '1__700', '1.7e9', '١٧٠٠٠٠٠٠٠٠',
          '\uff11\uff17\uff10\uff10\uff10\uff10\uff10\uff10\uff10\uff10', 'Infinity', 'nan', '-0', '0x10', '1e400', '²']
numbers_raw = ['5e-324', '1e-323', '1.5e-323', '2e-323', '1e-322', '4.9e-324', '2.2250738585072014e-308', '1e16', '1e-7', '123456789012345678901234567890',
               '1E5', '-0.0', '0.1', '1e22', '1e21', '9007199254740993', '1.0', '100.0', '1e400', '-1e400', '1e-400', 'NaN', 'Infinity', '-Infinity']
def raw_doc():
    k = rnd.randrange(20)
    key = "m%d" % rnd.randrange(5)
    if k == 0:   # a number where a text column goes
        f = rnd.choice(['role', 'parentId', 'model'])
        return '{"history":{"messages":{"%s":{"role":"user","%s":%s}}}}' % (key, f, rnd.choice(numbers_raw)) if f != 'role' else \
               '{"history":{"messages":{"%s":{"role":%s}}}}' % (key, rnd.choice(numbers_raw))
    if k == 1:   # timestamp strings
        s = rnd.choice(ws) + rnd.choice(digits) + rnd.choice(ws)
        return json.dumps({"history": {"messages": {key: msg(timestamp=s)}}})
    if k == 2:   # duplicate keys with an overwritten bad value
        bad = rnd.choice(['1e400', '{"o":1}', '[1]', '"a\\u0000b"', '"\\ud800"', 'NaN'])
        f = rnd.choice(['role', 'model', 'parentId', 'usage', 'done', 'content'])
        return '{"history":{"messages":{"%s":{"role":"user","%s":%s,"%s":"ok"}}}}' % (key, f, bad, f)
    if k == 3:   # non-standard literals
        lit = rnd.choice(['-INF', '+INF', 'INF', '+Infinity', 'Infinity', '-Infinity', 'NaN', '-NaN', 'nan', 'infinity'])
        where = rnd.choice(['"usage":%s', '"x":[%s]', '"content":%s'])
        return '{"history":{"messages":{"%s":{"role":"user",%s}}},"other":%s}' % (key, where % lit, rnd.choice(['1', lit]))
    if k == 4:   # big integers
        d = rnd.choice([4299, 4300, 4301, 5000])
        where = rnd.choice(['top', 'msg', 'role'])
        num = '1' * d
        if where == 'top': return '{"big":%s,"history":{"messages":{"%s":{"role":"user"}}}}' % (num, key)
        if where == 'msg': return '{"history":{"messages":{"%s":{"role":"user","usage":%s}}}}' % (key, num)
        return '{"history":{"messages":{"%s":{"role":%s}}}}' % (key, num)
    if k == 5:   # nesting well below and well above the limits
        depth = rnd.choice([100, 500, 800, 2000, 5000])
        where = rnd.choice(['top', 'msg'])
        nest = '[' * depth + ']' * depth
        if where == 'top': return '{"deep":%s,"history":{"messages":{"%s":{"role":"user"}}}}' % (nest, key)
        return '{"history":{"messages":{"%s":{"role":"user","content":%s}}}}' % (key, nest)
    if k == 6:   # double-encoded, possibly looking like UTF-16/32
        inner = rnd.choice(['{\u0000\u0000\u0000x', '\u0000{\u0000"', '{"history":{"messages":{"a":{"role":"user"}}}}',
                            '\ufeff{"history":{}}', ' {"history":{"messages":{"a":{"role":"user"}}}} ', '[1]', '"x"', '', 'null', '0', '{}',
                            '{"history":{"messages":{"a":{"role":"user","content":NaN}}}}', '{"history":{"messages":{"a":{"role":"user"}}}}x'])
        return json.dumps(inner)
    if k == 7:   # raw control characters and odd whitespace between tokens (invalid for Python)
        c = rnd.choice(['\x01', '\x1f', '\x7f', '\u2028', '\xa0', '\x0b', '\x0c'])
        return '{"history":{"messages":{"%s":{"role":"us%ser"}}}}' % (key, c) if rnd.random() < 0.5 else \
               '{"history":%s{"messages":{"%s":{"role":"user"}}}}' % (c, key)
    if k == 8:   # leading zeros, lone minus, odd exponents
        v = rnd.choice(['01', '-', '-01', '1.', '.5', '1e', '1e+', '-0', '0e0', '1E-0', '1e999999999', '-1e-999999999'])
        return '{"history":{"messages":{"%s":{"role":"user","usage":%s}}}}' % (key, v)
    if k == 9:   # done variants
        v = rnd.choice(['1.0', '0.0', '"true"', '2', '-1', 'true', 'false', 'null', '1e0', '0e0', '1.5', '[]', '{}', '"1"'])
        return '{"history":{"messages":{"%s":{"role":"user","done":%s}}}}' % (key, v)
    if k == 10:  # keys and values with escapes
        kk = rnd.choice(['a\\u0000', 'a\\\\u0000', '\\udc00', '\\ud83d\\ude00', 'x\\"y', '\\u0041', 'é'])
        return '{"history":{"messages":{"%s":{"role":"user"}}}}' % kk
    if k == 11:  # role truthiness
        v = rnd.choice(['0', '0.0', '""', '[]', '{}', 'false', 'null', '"0"', '" "', '-0.0', '1e-400', '[0]', '{"a":0}'])
        return '{"history":{"messages":{"%s":{"role":%s}}}}' % (key, v)
    if k == 12:  # shapes of history/messages
        return rnd.choice(['{"history":[]}', '{"history":{"messages":[]}}', '{"history":null}', '{"history":{"messages":null}}',
                           '{"history":{"messages":{"a":[]}}}', '{"history":{"messages":{"a":"x"}}}', '{"history":"x"}',
                           '{"history":{"messages":{"a":{"role":"user"}}},"history":{"messages":{"b":{"role":"user"}}}}',
                           '{"history":{"messages":{"a":{"role":"user"}},"messages":{"b":{"role":"user"}}}}'])
    if k == 13:  # top-level shapes
        return rnd.choice(['[]', '[1]', '0', '1', 'true', 'false', 'null', '""', '"x"', '{}', '0.0', '-0', '1e400', '[{}]'])
    if k == 14:  # timestamps as numbers
        v = rnd.choice(['1.7e9', '1700000000.9', '-1700000000', '1e400', '1.7e12', '17000000000', '10000000001', 'true', 'false',
                        '[]', '{}', 'null', 'NaN', '"1e400"', '"-inf"', '"  1700000000  "', '1577836799.9', '1577836800'])
        return '{"history":{"messages":{"%s":{"role":"user","timestamp":%s}}}}' % (key, v)
    if k == 15:  # a number in TEXT via parentId and model, huge and tiny
        return '{"history":{"messages":{"%s":{"role":"user","parentId":%s,"model":%s}}}}' % (key, rnd.choice(numbers_raw), rnd.choice(numbers_raw))
    if k == 16:  # JSON columns with NUL and surrogates
        v = rnd.choice(['"a\\u0000"', '{"\\u0000":1}', '"\\ud800"', '["\\udfff"]', '{"k":"\\ud83d\\ude00"}'])
        return '{"history":{"messages":{"%s":{"role":"user","content":%s}}}}' % (key, v)
    if k == 17:  # deep nesting inside a message near dumps' limit
        depth = rnd.choice([900, 950, 980, 990, 1000])
        return '{"history":{"messages":{"%s":{"role":"user","content":%s}}}}' % (key, '[' * depth + ']' * depth)
    if k == 18:  # truncated / damaged
        good = json.dumps({"history": {"messages": {key: msg(usage={"a": 1})}}})
        cut = rnd.randrange(1, len(good))
        return good[:cut]
    return json.dumps({"history": {"messages": {key: msg(model=rnd.choice(["gpt", 7, 1.5, True, None]), parentId=rnd.choice([None, "p", 3]))}}})

conn = psycopg2.connect(url); cur = conn.cursor()
bad = 0
for i in range(n):
    d = raw_doc()
    cur.execute("SAVEPOINT s")
    try:
        cur.execute("INSERT INTO chat (id, user_id, title, created_at, updated_at, chat, meta) VALUES (%s, %s, 't', 0, 0, %s::json, '{}')",
                    ("c%05d" % i, "u", d))
        cur.execute("RELEASE SAVEPOINT s")
    except Exception:
        cur.execute("ROLLBACK TO SAVEPOINT s"); bad += 1
conn.commit()
print("inserted", n - bad, "refused by PostgreSQL's json input:", bad)
