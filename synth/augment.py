"""Augmentation: EDA (synonym replacement, random insertion, random swap, random deletion) with an
offline synonym table, per-label ratios that rebalance classes, and a graph-aware entity swap for QA.

Every augmented example links to its source (``parent_id``) and says how it was made
(``meta["augment"]``). Labels are kept: EDA changes wording, not meaning.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from typing import Any

from kgsynth.errors import ConfigError
from kgsynth.types import DatasetVersion, Example, example_id
from synth.synonyms import SynonymTable, load_table, workspace_table
from synth.versions import derive, load

METHODS = ("synonym", "insert", "swap", "delete")
_CORE = re.compile(r"^(\W*)(\w[\w'-]*\w|\w)(\W*)$")
_STOP = {
    "the", "a", "an", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by", "from",
    "is", "was", "are", "were", "be", "been", "it", "its", "this", "that", "he", "she", "they",
    "we", "you", "i", "his", "her", "their", "our", "not", "as", "has", "have", "had", "will",
}  # fmt: skip


def _tokens(text: str, lang: str) -> tuple[list[str], str]:
    if lang == "zh":
        import jieba

        return [t for t in jieba.lcut(text) if t.strip()], ""
    return text.split(), " "


def _match_case(src: str, word: str) -> str:
    if src.isupper() and len(src) > 1:
        return word.upper()
    return word.capitalize() if src[:1].isupper() else word


def _candidates(tokens: list[str], table: SynonymTable) -> list[tuple[int, str, list[str]]]:
    out = []
    for i, tok in enumerate(tokens):
        m = _CORE.match(tok)
        if m and m.group(2).lower() not in _STOP:
            syns = table.get(m.group(2))
            if syns:
                out.append((i, m.group(2), syns))
    return out


def synonym_replace(tokens, n, rng, table):
    tokens = list(tokens)
    cands = _candidates(tokens, table)
    rng.shuffle(cands)
    for i, word, syns in cands[:n]:
        m = _CORE.match(tokens[i])
        tokens[i] = m.group(1) + _match_case(word, rng.choice(syns)) + m.group(3)
    return tokens


def random_insert(tokens, n, rng, table):
    tokens = list(tokens)
    cands = _candidates(tokens, table)
    for _ in range(n if cands else 0):
        _, _, syns = rng.choice(cands)
        tokens.insert(rng.randint(0, len(tokens)), rng.choice(syns))
    return tokens


def random_swap(tokens, n, rng, table):
    tokens = list(tokens)
    for _ in range(n if len(tokens) > 1 else 0):
        i, j = rng.sample(range(len(tokens)), 2)
        tokens[i], tokens[j] = tokens[j], tokens[i]
    return tokens


def random_delete(tokens, p, rng, table):
    if len(tokens) <= 1:
        return list(tokens)
    kept = [t for t in tokens if rng.random() > p]
    return kept or [rng.choice(tokens)]


_OPS = {
    "synonym": synonym_replace,
    "insert": random_insert,
    "swap": random_swap,
    "delete": random_delete,
}


def eda(
    text: str,
    *,
    alpha: float = 0.1,
    n: int = 4,
    seed: int = 0,
    lang: str = "en",
    methods: tuple[str, ...] = METHODS,
    table: SynonymTable | None = None,
) -> list[str]:
    """Up to `n` distinct EDA variants of `text` (methods used in turn; alpha = share of words)."""
    bad = set(methods) - set(METHODS)
    if bad:
        raise ConfigError(
            f"unknown augmentation methods {sorted(bad)}; valid: {', '.join(METHODS)}"
        )
    table = table if table is not None else (load_table() if lang == "en" else SynonymTable({}))
    tokens, sep = _tokens(text, lang)
    changes = max(1, int(alpha * len(tokens)))
    rng = random.Random(seed)
    out: list[str] = []
    for attempt in range(n * 3):
        method = methods[attempt % len(methods)]
        arg = alpha if method == "delete" else changes
        variant = sep.join(_OPS[method](tokens, arg, rng, table))
        if variant != text and variant not in out:
            out.append(variant)
        if len(out) == n:
            break
    return out


def eda_tagged(text: str, method: str, seed: int, alpha: float, lang: str, table) -> str | None:
    """One variant made by one method, or None when the method cannot change this text."""
    got = eda(text, alpha=alpha, n=1, seed=seed, lang=lang, methods=(method,), table=table)
    return got[0] if got else None


def label_targets(examples: list[Example], per_example: int, balance: bool) -> dict[str, int]:
    """How many new examples each label gets: per_example each, or enough to even the classes."""
    counts = Counter(e.label for e in examples if e.label is not None and e.output is None)
    if not counts:
        return {}
    if not balance:
        return {label: c * per_example for label, c in counts.items()}
    final = max(counts.values()) * (1 + per_example)
    return {label: final - c for label, c in counts.items()}


def augment(
    ws,
    version: str | DatasetVersion,
    *,
    methods: tuple[str, ...] | list[str] = METHODS,
    per_example: int = 1,
    balance: bool = True,
    entity_swap: bool = False,
    alpha: float = 0.1,
    seed: int = 0,
    name: str | None = None,
    progress=None,
) -> DatasetVersion:
    """A new "augment" version: the originals plus augmented copies (classification: rebalanced by
    label; QA: `per_example` EDA variants of the question, plus entity swaps when asked)."""
    parent, examples = load(ws, version)
    methods = tuple(methods)
    table = workspace_table(ws)
    rng = random.Random(seed)
    targets = label_targets(examples, per_example, balance)
    by_label: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        if e.label is not None and e.output is None:
            by_label[e.label].append(e)
    seen = {e.id for e in examples}
    new: list[Example] = []
    jobs: list[tuple[Example, str]] = []
    for label, want in sorted(targets.items()):
        pool = by_label[label]
        jobs += [(pool[k % len(pool)], methods[k % len(methods)]) for k in range(want)]
    qa = [e for e in examples if e.output is not None]
    jobs += [(e, methods[k % len(methods)]) for e in qa for k in range(per_example)]
    for k, (e, method) in enumerate(jobs):
        text = eda_tagged(e.input, method, rng.randrange(1 << 30), alpha, e.lang, table)
        if text is not None:
            _add(new, seen, _child(e, text, e.output, {"method": method, "alpha": alpha}))
        if progress:
            progress(k + 1, len(jobs) + (len(qa) if entity_swap else 0))
    swaps = 0
    if entity_swap and qa:
        for child in entity_swaps(ws, qa, rng):
            swaps += _add(new, seen, child)
    made = Counter(e.meta["augment"]["method"] for e in new)
    per_label = Counter(e.label for e in new if e.label is not None)
    base = Counter(e.label for e in examples if e.label is not None)
    stats = {
        "augmented": len(new),
        "by_method": dict(made),
        "entity_swaps": swaps,
        "ratios": {lab: round(per_label[lab] / base[lab], 3) for lab in sorted(base)},
    }
    params = {
        "methods": list(methods),
        "per_example": per_example,
        "balance": balance,
        "entity_swap": entity_swap,
        "alpha": alpha,
        "seed": seed,
    }
    return derive(
        ws, parent, examples + new, stage="augment", params=params, stats=stats, name=name
    )


def _add(out: list[Example], seen: set[str], e: Example) -> int:
    if e.id in seen:
        return 0
    seen.add(e.id)
    out.append(e)
    return 1


def _child(e: Example, text: str, output: str | None, how: dict[str, Any], **update) -> Example:
    data = e.model_dump(exclude={"id", "created_at", "meta", "parent_id"})
    data.update(input=text, output=output, **update)
    return Example(
        id=example_id(e.task, text, output, e.label), parent_id=e.id, meta={"augment": how}, **data
    )


def entity_swaps(ws, examples: list[Example], rng: random.Random) -> list[Example]:
    """For QA examples: replace one cited entity by another of the same type from the graph, in
    the question, the answer and the evidence; the provenance names both entities."""
    store = ws.store
    by_type: dict[str, list] = defaultdict(list)
    for ent in store.iter_entities():
        by_type[ent.type].append(ent)
    out = []
    for e in examples:
        for eid in e.provenance.entity_ids:
            ent = store.entity(eid)
            if ent is None:
                continue
            name = next(
                (
                    n
                    for n in [ent.name, *ent.aliases]
                    if _has(e.input, n) or _has(e.output or "", n)
                ),
                None,
            )
            others = [o for o in by_type[ent.type] if o.id != ent.id and not _has(e.input, o.name)]
            if not name or not others:
                continue
            other = rng.choice(others)
            sub = _replacer(name, other.name)
            prov = e.provenance.model_copy(
                update={
                    "entity_ids": [other.id if x == ent.id else x for x in e.provenance.entity_ids],
                    "evidence": [sub(s) for s in e.provenance.evidence],
                }
            )
            how = {
                "method": "entity_swap",
                "replaced": {"id": ent.id, "name": name},
                "with": {"id": other.id, "name": other.name},
                "counterfactual": True,
            }
            out.append(_child(e, sub(e.input), sub(e.output or ""), how, provenance=prov))
            break
    return out


def _has(text: str, name: str) -> bool:
    return bool(name) and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def _replacer(old: str, new: str):
    pattern = re.compile(rf"(?<!\w){re.escape(old)}(?!\w)")
    return lambda s: pattern.sub(lambda _: new, s)
