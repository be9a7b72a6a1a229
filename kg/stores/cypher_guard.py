"""The read-only query console's guard: a Cypher query runs only if it can only read the graph.

Two lines of defence. :func:`check_read_only` is the fast first one: it tokenizes the query the way
Cypher does (strings, backticked names and comments are tokens of their own, so ``'//'`` inside a
string hides nothing) and refuses write, file, admin and procedure keywords. :func:`check_plan` is
the one that decides: the store ``EXPLAIN``\\ s the query and every operator of the plan Neo4j would
run must be a read, a procedure call must be on :data:`READ_PROCEDURES`, and a plan on the system
database (user and role commands) is refused. The console also runs in a READ transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kgsynth.errors import StoreError

READ_PROCEDURES = frozenset(
    {
        "dbms.components",
        "db.labels",
        "db.relationshiptypes",
        "db.propertykeys",
        "db.schema.visualization",
        "db.schema.nodetypeproperties",
        "db.schema.reltypeproperties",
        "db.index.fulltext.querynodes",
        "db.index.fulltext.queryrelationships",
    }
)
# Keywords that start a write, an import, a subquery in transactions or an admin command.
WRITE_WORDS = frozenset(
    {
        "CREATE", "MERGE", "DELETE", "DETACH", "SET", "REMOVE", "DROP", "FOREACH", "INSERT",
        "ALTER", "RENAME", "GRANT", "DENY", "REVOKE", "START", "STOP", "TERMINATE", "ENABLE",
        "DISABLE", "USE", "SHOW", "LOAD", "PERIODIC",
    }
)  # fmt: skip
# Namespaced functions that are part of Cypher itself (others come from plugins such as APOC).
FUNCTION_NAMESPACES = frozenset(
    {"date", "datetime", "localdatetime", "time", "localtime", "duration", "point", "vector"}
)
# Plan operators that write, import, administer or call out; a name starting with one is refused.
WRITE_OPERATORS = (
    "Create", "Merge", "Delete", "DetachDelete", "Set", "Remove", "Foreach", "LoadCSV",
    "Transaction", "Show", "Terminate", "Drop", "Alter", "Grant", "Deny", "Revoke", "Enable",
    "Disable", "Start", "Stop", "Rename", "Lock", "Administration", "SystemProcedure", "EmptyResult",
    "Insert", "DoNothing", "Assert", "Ensure", "LockingMerge",
)  # fmt: skip

_TOKEN = re.compile(
    r"""(?P<space>\s+)
    |(?P<line_comment>//[^\n]*)
    |(?P<block_comment>/\*.*?\*/)
    |(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    |(?P<name>`(?:[^`]|``)*`)
    |(?P<param>\$\w+|\$`(?:[^`]|``)*`)
    |(?P<number>\d[\w.]*)
    |(?P<word>[^\W\d]\w*)
    |(?P<punct>.)""",
    re.VERBOSE | re.DOTALL,
)


def refused(what: str) -> StoreError:
    return StoreError(f"read-only console: {what} refused; only reads are allowed")


def tokens(text: str) -> Iterator[tuple[str, str]]:
    """(kind, text) of each Cypher token, comments and whitespace left out."""
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        kind = m.lastgroup or "punct"
        unterminated = kind == "punct" and (m.group() in "'\"`" or text.startswith("/*", pos))
        if unterminated:
            raise StoreError("read-only console: an unterminated string, name or comment")
        if kind not in ("space", "line_comment", "block_comment"):
            yield kind, m.group()
        pos = m.end()


def check_read_only(text: str) -> None:
    """Refuse a query whose words write, import, administer or call a non-read procedure."""
    toks = list(tokens(text))
    for i, (kind, tok) in enumerate(toks):
        if kind != "word":
            continue
        word = tok.upper()
        nxt = toks[i + 1][1].upper() if i + 1 < len(toks) else ""
        if word == "LOAD" and nxt == "CSV":
            raise refused("LOAD CSV")
        if word in WRITE_WORDS:
            raise refused(word)
        if word == "IN" and nxt == "TRANSACTIONS":
            raise refused("IN TRANSACTIONS")
        if word == "CALL" and i + 1 < len(toks) and toks[i + 1][0] in ("word", "name"):
            name = _dotted(toks, i + 1)
            if name.lower() not in READ_PROCEDURES:
                raise refused(f"CALL {name}")
        if i + 1 < len(toks) and toks[i + 1][1] == "." and (i == 0 or toks[i - 1][1] != "."):
            name = _dotted(toks, i)
            after = i + 2 * name.count(".") + 1
            is_call = after < len(toks) and toks[after][1] == "("
            is_proc = i > 0 and toks[i - 1][1].upper() == "CALL"
            if is_call and not is_proc and name.split(".")[0].lower() not in FUNCTION_NAMESPACES:
                raise refused(f"function {name}")


def _dotted(toks: list[tuple[str, str]], i: int) -> str:
    """The dotted name starting at token i (``db.labels``, ```db`.`labels```)."""
    parts = [toks[i][1].strip("`")]
    while i + 2 < len(toks) and toks[i + 1][1] == "." and toks[i + 2][0] in ("word", "name"):
        parts.append(toks[i + 2][1].strip("`"))
        i += 2
    return ".".join(parts)


def check_plan(plan: dict) -> None:
    """Refuse a plan (``EXPLAIN``'s) with any operator that is not a read."""
    stack = [plan]
    while stack:
        op = stack.pop()
        name, _, database = str(op.get("operatorType", "")).partition("@")
        if database == "system":
            raise refused("an administration command")
        if name == "ProcedureCall":
            details = str((op.get("args") or {}).get("Details", ""))
            proc = details.split("(", 1)[0].strip()
            if proc.lower() not in READ_PROCEDURES:
                raise refused(f"CALL {proc or 'of a procedure'}")
        elif name.startswith(WRITE_OPERATORS):
            raise refused(f"a plan with {name}")
        stack.extend(op.get("children") or [])
