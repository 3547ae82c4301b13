#!/usr/bin/env python3
"""What MessageExtractor must give for a chat document, decided by Python's own bytes.decode and
json.loads (SPEC.md 2, 3, 6). Input: one JSON object per line {"doc": base64 of the document's
bytes, "ways": [what one way of extracting gave: {"chat": reason or null, "rows": [{"key", "role",
"cols"}], "rejected": [{"key", "reason"}]}]}; keys and roles are strings, or lists of UTF-16 code
units when they hold surrogates (a lone one cannot travel as JSON text); JSON columns are base64 of
their bytes. Output: one line per input line, "ok" or what differs."""
import base64
import json
import sys

FIELDS = ["content", "output", "files", "sources", "embeds", "statusHistory", "error", "usage"]


def text(units):
    if isinstance(units, str):
        return units
    return b"".join(u.to_bytes(2, "little") for u in units).decode("utf-16-le", "surrogatepass")


def refusal(s):
    for ch in s:
        if ch == "\0":
            return "NUL_IN_TEXT"
        if 0xD800 <= ord(ch) <= 0xDFFF:      # json.loads pairs valid surrogates: any left is lone
            return "LONE_SURROGATE_IN_TEXT"
    return None


def expected(raw):
    """('chat', reason) or ('rows', {key: message})."""
    try:
        doc = json.loads(raw.decode("utf-8"))   # psycopg2 decodes strictly, then json.loads
    except UnicodeDecodeError:
        return "chat", "INVALID_JSON"
    except RecursionError:
        return "chat", "NESTING_TOO_DEEP"
    except ValueError:
        return "chat", "INVALID_JSON"
    if not doc:
        return "rows", {}
    if not isinstance(doc, dict):
        return "chat", "NOT_AN_OBJECT"
    history = doc.get("history")
    messages = history.get("messages") if isinstance(history, dict) else None
    if not isinstance(messages, dict):
        return "rows", {}
    return "rows", {k: m for k, m in messages.items() if isinstance(m, dict) and m.get("role")}


def check(raw, way):
    kind, want = expected(raw)
    if kind == "chat":
        if way["chat"] != want or way["rows"] or way["rejected"]:
            return "want the chat rejected as %s, got %s with %d rows" % (want, way["chat"], len(way["rows"]))
        return None
    if way["chat"] is not None:
        return "want %d rows, got the chat rejected as %s" % (len(want), way["chat"])
    got = {}
    for r in way["rows"]:
        key = text(r["key"])
        if key in got:
            return "two rows for key %a" % key
        got[key] = r
    for r in way["rejected"]:
        key = text(r["key"])
        if key in got:
            return "key %a both a row and a rejection" % key
        got[key] = r
    if set(got) != set(want):
        return "keys differ: missing %a, extra %a" % (sorted(set(want) - set(got))[:3], sorted(set(got) - set(want))[:3])
    for key, m in want.items():
        r = got[key]
        role = m["role"]
        reason = refusal(key) or (refusal(role) if isinstance(role, str) else None)
        if reason is not None or "reason" in r:
            if r.get("reason") != reason:
                return "key %a: want %s, got %s" % (key, reason or "a row", r.get("reason") or "a row")
            continue
        if isinstance(role, str) and text(r["role"]) != role:
            return "key %a: role %a, got %a" % (key, role, text(r["role"]))
        for field, col in zip(FIELDS, r["cols"]):
            if col is None and m.get(field) is None:
                continue
            value = json.loads(base64.b64decode(col).decode("utf-8")) if col is not None else None
            # dumps keeps key order, which == on dicts would not check
            if json.dumps(value) != json.dumps(m.get(field)):
                return "key %a: %s is %.200a, want %.200a" % (key, field, json.dumps(value), json.dumps(m.get(field)))
    return None


def main():
    sys.setrecursionlimit(1000)
    for line in sys.stdin:
        case = json.loads(line)
        raw = base64.b64decode(case["doc"])
        problems = [p for p in (check(raw, w) for w in case["ways"]) if p]
        print("ok" if not problems else "; ".join(problems), flush=False)


main()
