#!/usr/bin/env python3
"""SPEC.md 7 step by step in Python itself, so that Python's own json.loads, truthiness, hashing
and ordering decide. Input: one JSON object per line {"chat", "current", "doc", "rows"}; output: one
JSON object per line {"kind": "write"|"unchanged"|"rejected", "value"?, "reason"?}.
The exception classes Python raises are mapped to the reason names of CurrentMessageReject by the
step that raised them (upstream aborts at each of them)."""
import json
import sys
from decimal import Decimal


class Abort(Exception):
    def __init__(self, reason):
        self.reason = reason


def read_document(text):
    # Step 1: psycopg2 json.loads the column while fetching; failures abort.
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except RecursionError:
        raise Abort("DOCUMENT_NESTING_TOO_DEEP")
    except ValueError as e:
        raise Abort("DOCUMENT_INTEGER_TOO_LONG" if "digits" in str(e) else "DOCUMENT_INVALID_JSON")
    if isinstance(value, str):
        try:
            value = json.loads(value)                 # RecursionError is not caught here
        except RecursionError:
            raise Abort("INNER_NESTING_TOO_DEEP")
        except (TypeError, ValueError):
            value = {}
    return value if isinstance(value, dict) else {}


def sendable(s):
    return '\x00' not in s and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in s)


def pg_text(v):
    """What PostgreSQL stores for a value psycopg2 sends into a TEXT column."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, int):
        return str(v)
    if v != v:
        return 'NaN'
    if v in (float('inf'), float('-inf')):
        return 'Infinity' if v > 0 else '-Infinity'
    return format(Decimal(repr(v)), 'f')     # psycopg2 sends repr(); numeric prints it plainly, its scale kept


def latest_leaf(graph, abort_hash, abort_order):
    """graph: dict key -> (parent, time). The leaf (or any message, when none is a leaf) with the
    greatest time, the first of equals in dict order."""
    try:
        named = set()
        for parent, _ in graph.values():
            if parent in graph:
                named.add(parent)
    except TypeError:
        raise Abort(abort_hash)
    leaves = [k for k in graph if k not in named]
    pool = leaves if leaves else list(graph)
    try:
        return max(pool, key=lambda k: graph[k][1] or 0)
    except TypeError:
        raise Abort(abort_order)


def decide(case):
    chat = case["chat"]
    current = case["current"]
    prefix = chat + "-"
    doc = read_document(case["doc"])

    history = doc.get("history")
    if not isinstance(history, dict):
        history = {}
    # Step 2: candidates.
    candidates = []
    for c in (current, history.get("currentId"), doc.get("currentId"), doc.get("branchPointMessageId")):
        if isinstance(c, str) and c != "":
            if c.startswith(prefix):
                c = c[len(prefix):]
            if c not in candidates:
                candidates.append(c)

    # Step 5's map is built while reading (an unhashable id raises there).
    messages = history.get("messages")
    if not isinstance(messages, dict):
        messages = {}
    if len(messages) == 0 and isinstance(doc.get("messages"), list):
        try:
            built = {}
            for element in doc["messages"]:
                if isinstance(element, dict) and element.get("id"):
                    built[element["id"]] = element
        except TypeError:
            raise Abort("UNHASHABLE_MESSAGE_ID")
        messages = built
    graph = {}
    for key, m in messages.items():
        if isinstance(m, dict):
            graph[key] = (m.get("parentId"), m.get("timestamp", 0))
        else:
            graph[key] = (None, 0)

    # The lookup query carries every candidate.
    for c in candidates:
        if not sendable(c):
            raise Abort("CANDIDATE_NOT_SENDABLE")

    rows = case["rows"]
    value = None
    # Step 3.
    ids = {r[0] for r in rows}
    for c in candidates:
        if c and prefix + c in ids:
            value = c
            break
    # Step 4.
    if value is None:
        row_graph = {}
        for rid, parent, created in rows:
            key = rid[len(prefix):] if rid.startswith(prefix) else rid
            if key == "":
                continue
            if parent and parent.startswith(prefix):
                parent = parent[len(prefix):]
            row_graph[key] = (parent, created or 0)
        if row_graph:
            value = latest_leaf(row_graph, "BUG", "BUG")
    # Step 5.
    if value is None and graph:
        found = None
        for c in candidates:
            if c in graph:
                found = c
                break
        if found:
            value = found
        else:
            value = latest_leaf(graph, "UNHASHABLE_PARENT_ID", "UNORDERABLE_TIMES")
    # Step 6.
    if not value:
        return {"kind": "unchanged"}
    text = pg_text(value)
    if text == current:
        return {"kind": "unchanged"}
    if not sendable(text):
        raise Abort("VALUE_NOT_SENDABLE")
    return {"kind": "write", "value": text}


def main():
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        try:
            result = decide(case)
        except Abort as a:
            result = {"kind": "rejected", "reason": a.reason}
        out.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
