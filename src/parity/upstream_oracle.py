"""Upstream v0.8.12's algorithm for revision 8452d01d26d7, as SPEC.md describes it (re-created from the spec, not copied), run with Python's own json and SQLAlchemy's own type processing.
Reads chat with no ORDER BY, inserts each row into a table that has upstream's indexes,
one savepoint per row (the result of upstream's batch-then-row-by-row fallback); rows that fail are lost."""
import json, sys
import sqlalchemy as sa

url, schema, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
eng = sa.create_engine(url)
cols = [('id', sa.Text()), ('chat_id', sa.Text()), ('user_id', sa.Text()), ('role', sa.Text()), ('parent_id', sa.Text()),
        ('content', sa.JSON()), ('output', sa.JSON()), ('model_id', sa.Text()), ('files', sa.JSON()), ('sources', sa.JSON()),
        ('embeds', sa.JSON()), ('done', sa.Boolean()), ('status_history', sa.JSON()), ('error', sa.JSON()), ('usage', sa.JSON()),
        ('created_at', sa.BigInteger()), ('updated_at', sa.BigInteger())]
target = sa.table('chat_message', *[sa.column(n, t) for n, t in cols], schema=schema)
chat = sa.table('chat', sa.column('id', sa.Text()), sa.column('user_id', sa.Text()), sa.column('chat', sa.Text()))

def rows_of(chat_id, user_id, doc):
    if not doc:
        return
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except Exception:
            return
    h = doc.get('history', {})
    if not isinstance(h, dict):
        return
    ms = h.get('messages', {})
    if not isinstance(ms, dict):
        return
    for key, m in ms.items():
        if not isinstance(m, dict):
            continue
        role = m.get('role')
        if not role:
            continue
        ts = m.get('timestamp', now)
        try:
            ts = int(float(ts))
        except Exception:
            ts = now
        if ts > 10_000_000_000:
            ts = ts // 1000
        if ts < 1577836800 or ts > now + 86400:
            ts = now
        yield dict(id=f'{chat_id}-{key}', chat_id=chat_id, user_id=user_id, role=role, parent_id=m.get('parentId'),
                   content=m.get('content'), output=m.get('output'), model_id=m.get('model'), files=m.get('files'),
                   sources=m.get('sources'), embeds=m.get('embeds'), done=m.get('done', True),
                   status_history=m.get('statusHistory'), error=m.get('error'), usage=m.get('usage'),
                   created_at=ts, updated_at=ts)

failures = []
with eng.connect() as read, eng.connect() as conn:
    conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    conn.execute(sa.text(f"""CREATE TABLE {schema}.chat_message (id TEXT PRIMARY KEY, chat_id TEXT NOT NULL, user_id TEXT,
        role TEXT NOT NULL, parent_id TEXT, content JSON, output JSON, model_id TEXT, files JSON, sources JSON, embeds JSON,
        done BOOLEAN DEFAULT TRUE, status_history JSON, error JSON, usage JSON, created_at BIGINT, updated_at BIGINT)"""))
    for n, c in [('chat_id', 'chat_id'), ('user_id', 'user_id'), ('model_id', 'model_id'), ('created_at', 'created_at'),
                 ('cp', 'chat_id, parent_id'), ('mc', 'model_id, created_at'), ('uc', 'user_id, created_at')]:
        conn.execute(sa.text(f"CREATE INDEX up_{n} ON {schema}.chat_message ({c})"))
    conn.commit() if hasattr(conn, 'commit') else None
    trans = conn.begin()
    result = read.execution_options(stream_results=True).execute(
        sa.select(chat.c.id, chat.c.user_id, sa.cast(chat.c.chat, sa.Text)).where(~chat.c.user_id.like('shared-%')))
    for cid, uid, text in result:
        try:
            doc = None if text is None else json.loads(text)   # what psycopg2's json typecaster does on fetch
            msgs = list(rows_of(cid, uid, doc))
        except Exception as e:   # upstream aborts here (a top-level array, number or true: .get on a non-dict)
            failures.append((cid, None, 'ABORT ' + type(e).__name__))
            continue
        for r in msgs:
            sp = conn.begin_nested()
            try:
                conn.execute(sa.insert(target).values(**r))
                sp.commit()
            except Exception as e:
                sp.rollback()
                failures.append((cid, r['id'], type(e).__name__ + ': ' + str(e).split('\n')[0][:100]))
    trans.commit()
for f in failures:
    print('\t'.join(str(x) for x in f).encode('utf-8', 'backslashreplace').decode('utf-8'))
