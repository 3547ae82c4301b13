"""Upstream's algorithm of Alembic revision 9a1b2c3d4e5f (chat.current_message_id), re-created in
Python for CurrentMessageBenchmark: the language, driver and parser upstream runs with (CPython,
psycopg2, json.loads), so the benchmark shows what the operator's upgrade costs today.

Written from reading upstream's migration (SPEC.md section 7 states the rule), not copied from it.
As upstream runs it: ONE connection, ONE transaction; the column added when missing; the chats
streamed through a server-side cursor 150 at a time; each document parsed whole; per fetch, the
candidates looked up in chat_message, the rows of the chats left unresolved read, and the changed
values written by executemany (what SQLAlchemy does for an UPDATE on psycopg2); alembic_version
bumped; one commit. SQLAlchemy's own overhead is left out (in upstream's favour).

usage: python3 upstream_current_message.py   (libpq's PG* environment names the database)
prints one line of JSON: seconds per part, chats, updated, CPU seconds of this process.
"""
import json
import resource
import sys
import time

import psycopg2
import psycopg2.extras

FETCH = 150


def strip(value, prefix):
    """A chat_message id or parent id without its "<chat id>-" prefix."""
    return value[len(prefix):] if value and value.startswith(prefix) else value


def newest_leaf(graph):
    """Of {id: (parent, created_at)}: the latest message nobody in the graph names as parent
    (all messages when each one is somebody's parent); the first of equals in the graph's order."""
    parents = {p for p, _ in graph.values() if p in graph}
    pool = [m for m in graph if m not in parents] or list(graph)
    best = None
    for m in pool:
        t = graph[m][1] or 0
        if best is None or t > best[1]:
            best = (m, t)
    return best[0]


def document_facts(chat_id, column, text):
    """The candidates (in order, deduplicated, prefix removed) and the document's own message graph."""
    doc = {}
    if text is not None:
        try:
            parsed = json.loads(text)
            if isinstance(parsed, dict):
                doc = parsed
        except (TypeError, ValueError):
            pass
    history = doc.get('history')
    if not isinstance(history, dict):
        history = {}
    prefix = chat_id + '-'
    candidates = []
    for c in (column, history.get('currentId'), doc.get('currentId'), doc.get('branchPointMessageId')):
        if isinstance(c, str) and c:
            c = strip(c, prefix)
            if c not in candidates:
                candidates.append(c)
    messages = history.get('messages')
    if not isinstance(messages, dict):
        messages = {}
    if not messages and isinstance(doc.get('messages'), list):
        messages = {m['id']: m for m in doc['messages'] if isinstance(m, dict) and m.get('id')}
    graph = {}
    for key, m in messages.items():
        graph[key] = (m.get('parentId'), m.get('timestamp', 0)) if isinstance(m, dict) else (None, 0)
    return candidates, graph


def main():
    clock = {'fetching': 0.0, 'parsing': 0.0, 'lookups': 0.0, 'updates': 0.0, 'commit': 0.0}
    start = time.perf_counter()
    # documents arrive as text and are parsed below (timed apart), as json.loads would in psycopg2's typecaster
    psycopg2.extras.register_default_json(globally=True, loads=lambda s: s)
    conn = psycopg2.connect('')
    cur = conn.cursor()
    cur.execute("SELECT 1 FROM information_schema.columns WHERE table_name = 'chat' AND column_name = 'current_message_id' "
                "AND table_schema = current_schema()")
    if cur.fetchone() is None:
        cur.execute('ALTER TABLE chat ADD COLUMN current_message_id TEXT')
    cur.execute("SELECT to_regclass('chat_message') IS NOT NULL")
    has_rows = cur.fetchone()[0]
    stream = conn.cursor('chats')
    stream.itersize = FETCH
    stream.execute('SELECT id, chat, current_message_id FROM chat')
    chats = updated = 0
    while True:
        t = time.perf_counter()
        fetched = stream.fetchmany(FETCH)
        clock['fetching'] += time.perf_counter() - t
        if not fetched:
            break
        t = time.perf_counter()
        ids, column, facts = [], {}, {}
        for chat_id, text, value in fetched:
            ids.append(chat_id)
            column[chat_id] = value
            facts[chat_id] = document_facts(chat_id, value, text)
        chats += len(ids)
        clock['parsing'] += time.perf_counter() - t

        t = time.perf_counter()
        decided = {}
        if has_rows:
            wanted = tuple({c + '-' + k for c in ids for k in facts[c][0]})
            if wanted:
                cur.execute('SELECT chat_id, id FROM chat_message WHERE chat_id IN %s AND id IN %s', (tuple(ids), wanted))
                present = {}
                for chat_id, row_id in cur.fetchall():
                    row_id = strip(row_id, chat_id + '-')
                    if row_id:
                        present.setdefault(chat_id, set()).add(row_id)
                for c in ids:
                    hit = next((k for k in facts[c][0] if k in present.get(c, ())), None)
                    if hit is not None:
                        decided[c] = hit
            left = tuple(c for c in ids if c not in decided)
            if left:
                graphs = {}
                cur.execute('SELECT chat_id, id, parent_id, created_at FROM chat_message WHERE chat_id IN %s', (left,))
                for chat_id, row_id, parent, created in cur.fetchall():
                    prefix = chat_id + '-'
                    row_id = strip(row_id, prefix)
                    if row_id:
                        graphs.setdefault(chat_id, {})[row_id] = (strip(parent, prefix), created or 0)
                for c, graph in graphs.items():
                    decided[c] = newest_leaf(graph)
        clock['lookups'] += time.perf_counter() - t

        t = time.perf_counter()
        for c in ids:
            if c in decided:
                continue
            candidates, graph = facts[c]
            hit = next((k for k in candidates if k in graph), None)
            if hit:
                decided[c] = hit
            elif graph:
                decided[c] = newest_leaf(graph)
        clock['parsing'] += time.perf_counter() - t

        t = time.perf_counter()
        changes = [(v, c) for c, v in decided.items() if v and v != column[c]]
        if changes:
            cur.executemany('UPDATE chat SET current_message_id = %s WHERE id = %s', changes)
            updated += len(changes)
        clock['updates'] += time.perf_counter() - t
    stream.close()
    cur.execute("UPDATE alembic_version SET version_num = '9a1b2c3d4e5f'")
    t = time.perf_counter()
    conn.commit()
    clock['commit'] = time.perf_counter() - t
    conn.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    clock.update(total=time.perf_counter() - start, chats=chats, updated=updated, cpu=usage.ru_utime + usage.ru_stime)
    print(json.dumps(clock))


if __name__ == '__main__':
    sys.exit(main())
