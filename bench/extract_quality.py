"""Extraction quality: the graph kgsynth builds from WebNLG texts, scored against the gold triples.

    .venv/bin/python bench/extract_quality.py              # 1,001 WebNLG items + 80 BBC articles
    .venv/bin/python bench/extract_quality.py --quick      # 40 items + 10 articles
    .venv/bin/python bench/extract_quality.py --model 30   # also the `model` extractor on 30 items

Each arm ingests the first reference text of every WebNLG item (one document per item) and a fixed
mix of BBC News articles into a fresh workspace, in its own process, and dumps the graph. Scores:

- entity recall: gold subjects and objects (per item) found among the entities mentioned in the
  item's document, by normalised name or alias; literal objects (dates, numbers) by value;
- entity-pair recall: gold subject–object pairs (either direction) joined by a typed relation
  whose evidence is in the item's document; pair precision: the share of the typed relations
  (distinct entity pairs per document) that are gold pairs: over all typed relations, and without
  ``is_a`` to a class noun (a class is not a DBpedia object; its share is reported on its own);
- predicate agreement, for matched pairs: cosine similarity of all-MiniLM-L6-v2 embeddings of the
  predicate words (``based_in`` → "based in", ``birthPlace`` → "birth place") ≥ 0.5;
- typed relations per 100 sentences (kgsynth's sentence splitter) and the ``is_a`` share, on
  WebNLG and on the news articles.

Names match after dropping accents, case, punctuation, a leading article and a DBpedia qualifier
"(...)"; either part of "Abilene, Texas" counts, the United States / Kingdom have one spelling, and a
trailing class noun may go ("... Serie C league"). A relation between two parts of one gold value
("Leningrad, USSR") is left out of precision: it cannot be a gold pair.

50 typed facts per arm and corpus, drawn with a fixed seed, are written next to the scores for
reading (``news_facts_<arm>.txt``, ``webnlg_facts_<arm>.txt``).

Baseline: the same ingest run on the code of ``BASELINE_REF`` (the commit before the graph-quality
work), unpacked with ``git archive`` into ~/.cache/kgsynth-bench/code-<ref> and put first on
PYTHONPATH. ``--baseline none`` skips it; ``--reuse baseline model`` takes those arms' graphs from a
previous run; ``--rescore`` only scores the saved graphs again. Everything goes to
bench/results/extract_quality/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

_BENCH = Path(__file__).resolve().parent  # last on the path: bench/finetune.py is no package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH] + [str(_BENCH)]

from extract_quality_data import (  # noqa: E402
    CACHE,
    bbc_paths,
    camel_words,
    literal,
    matches,
    webnlg_items,
)

ROOT = Path(__file__).resolve().parent.parent
BASELINE_REF = "e2d44e6a5bbd3ee5c90161a22fc24716a7da9393"
AGREE = 0.5  # cosine of predicate embeddings that counts as the same relation
SAMPLE_FACTS = 50


# ---------------------------------------------------------------- worker (runs on one code tree)


def worker(args) -> None:
    """Ingest the texts with the code on PYTHONPATH and dump the graph as JSON."""
    from kg.ingest import ingest
    from kgsynth import open_workspace

    out = {}
    for corpus, paths in (("webnlg", [args.texts]), ("news", args.news)):
        if not paths:
            continue
        with tempfile.TemporaryDirectory(prefix=f"kgq-{corpus}-") as tmp:
            ws = open_workspace(Path(tmp) / "ws")
            if args.extractor == "model":
                ws.config.ingest.extractors = ["model"]
            started = time.perf_counter()
            report = ingest(ws, paths, field="text", extractors=ws.config.ingest.extractors)
            seconds = time.perf_counter() - started
            out[corpus] = dump(ws, seconds, report)
            ws.store.close()
    Path(args.worker).write_text(json.dumps(out), encoding="utf-8")


def dump(ws, seconds: float, report) -> dict:
    """Documents (their item or file), entities with the documents they are in, relations."""
    docs = {}
    for d in ws.catalog.iter_documents():
        docs[d.id] = d.metadata.get("item") or Path(d.source).name
    chunk_doc = {c.id: c.doc_id for c in ws.catalog.iter_chunks()}
    entities = {}
    for e in ws.store.iter_entities():
        entities[e.id] = {
            "names": [e.name, *e.aliases],
            "type": e.type,
            "docs": sorted({chunk_doc[c] for c in e.chunk_ids if c in chunk_doc}),
        }
    relations, cooc = [], 0
    for r in ws.store.iter_relations(include_cooccurrence=True):
        if r.kind != "relation":
            cooc += 1
            continue
        relations.append(
            {
                "src": r.source_id,
                "dst": r.target_id,
                "predicate": r.predicate,
                "evidence": [[ev.doc_id, ev.sentence] for ev in r.evidence],
            }
        )
    texts = {d.id: d.text for d in ws.catalog.iter_documents()}
    return {
        "docs": docs,
        "texts": texts,
        "entities": entities,
        "relations": relations,
        "cooccurrences": cooc,
        "seconds": seconds,
        "triples": report.triples,
    }


def code_tree(ref: str) -> Path:
    """The repository at `ref`, unpacked once under the bench cache (read-only use)."""
    path = CACHE / f"code-{ref[:12]}"
    if not (path / "kg").is_dir():
        path.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(path)], input=archive, check=True)
    return path


def run_arm(code: Path, texts: Path, news: list[Path], extractor: str = "spacy") -> dict:
    """Run the worker in a fresh process with `code` first on the import path."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    env = dict(os.environ, PYTHONPATH=str(code), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    cmd = [sys.executable, __file__, "--worker", str(out), "--texts", str(texts)]
    cmd += ["--extractor", extractor, "--news", *map(str, news)]
    subprocess.run(cmd, check=True, env=env, cwd=str(code))
    data = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return data


# ---------------------------------------------------------------- scoring


def typed_pairs(graph: dict):
    """(doc id, source id, target id, predicate, sentence) per typed relation and evidence document."""
    seen = set()
    for r in graph["relations"]:
        for doc, sentence in r["evidence"]:
            key = (doc, r["src"], r["dst"], r["predicate"])
            if key not in seen:
                seen.add(key)
                yield doc, r["src"], r["dst"], r["predicate"], sentence


def score_webnlg(graph: dict, items, embed) -> dict:
    """Entity recall, pair recall and precision, predicate agreement (see the module docstring)."""
    by_item = {it.id: it for it in items}
    item_of = {doc: key for doc, key in graph["docs"].items()}
    ents = graph["entities"]
    doc_entities: dict[str, list[str]] = defaultdict(list)
    for eid, e in ents.items():
        for d in e["docs"]:
            doc_entities[d].append(eid)
    doc_of = {key: doc for doc, key in item_of.items()}
    found = total = found_names = total_names = 0
    for it in items:
        golds = {v for g in it.triples for v in (g.subject, g.object)}
        names = [ents[e]["names"] for e in doc_entities.get(doc_of.get(it.id, ""), [])]
        for g in golds:
            hit = any(matches(g, ns) for ns in names)
            found += hit
            total += 1
            if literal(g) is None:
                found_names += hit
                total_names += 1
    values = {it.id: {v for g in it.triples for v in (g.subject, g.object)} for it in items}
    pairs_hit: set = set()
    n_typed = n_typed_named = good = good_named = is_a = 0
    agree_pairs = []
    for doc, src, dst, pred, _ in unique_pairs(graph):
        it = by_item.get(item_of.get(doc, ""))
        if it is None:
            continue
        n_typed += 1
        concept = ents[dst]["type"] == "CONCEPT"
        is_a += pred == "is_a"
        named = not (pred == "is_a" and concept)
        n_typed_named += named
        a, b = ents[src]["names"], ents[dst]["names"]
        if any(matches(v, a) and matches(v, b) for v in values[it.id]):
            n_typed -= 1  # "Leningrad, USSR" is one DBpedia value: a relation inside it is no pair
            n_typed_named -= named
            is_a -= pred == "is_a"
            continue
        hits = [
            (i, g)
            for i, g in enumerate(it.triples)
            if (matches(g.subject, a) and matches(g.object, b))
            or (matches(g.subject, b) and matches(g.object, a))
        ]
        if hits:
            good += 1
            good_named += named
            for i, g in hits:
                pairs_hit.add((it.id, i))
                agree_pairs.append((pred, g.predicate))
    n_gold = sum(len(it.triples) for it in items)
    agree = predicate_agreement(agree_pairs, embed)
    return {
        "entity_recall": found / max(total, 1),
        "entity_recall_names": found_names / max(total_names, 1),
        "pair_recall": len(pairs_hit) / max(n_gold, 1),
        "pair_precision": good / max(n_typed, 1),
        "pair_precision_no_class": good_named / max(n_typed_named, 1),
        "predicate_agreement": agree,
        "gold_triples": n_gold,
        "typed_pairs": n_typed,
        "is_a": is_a,
    }


def unique_pairs(graph: dict):
    """Distinct (doc, unordered entity pair) typed relations; the first predicate seen is kept."""
    seen = set()
    for doc, src, dst, pred, sentence in typed_pairs(graph):
        key = (doc, *sorted((src, dst)))
        if key not in seen:
            seen.add(key)
            yield doc, src, dst, pred, sentence


def predicate_agreement(pairs: list[tuple[str, str]], embed) -> float:
    if not pairs or embed is None:
        return float("nan")
    words = sorted({camel_words(p) for pair in pairs for p in pair})
    vecs = dict(zip(words, embed(words), strict=True))
    sims = [float(vecs[camel_words(a)] @ vecs[camel_words(b)]) for a, b in pairs]
    return sum(s >= AGREE for s in sims) / len(sims)


def density(graph: dict) -> dict:
    """Typed relations per 100 sentences and the is_a share, counted per evidence document."""
    from kgsynth.text import split_sentences

    sentences = sum(len(split_sentences(t)) for t in graph["texts"].values())
    rows = list(typed_pairs(graph))
    is_a = sum(1 for r in rows if r[3] == "is_a")
    return {
        "sentences": sentences,
        "typed": len(rows),
        "per_100": 100 * len(rows) / max(sentences, 1),
        "is_a_share": is_a / max(len(rows), 1),
        "entities": len(graph["entities"]),
        "cooccurrences": graph["cooccurrences"],
        "seconds": graph["seconds"],
    }


def sample_facts(graph: dict, n: int, seed: int = 0) -> list[str]:
    """`n` typed facts drawn at random (fixed seed), each with its evidence sentence."""
    rows = sorted(typed_pairs(graph), key=lambda r: (r[0], r[1], r[2], r[3]))
    rng = random.Random(seed)
    picked = rng.sample(rows, min(n, len(rows)))
    ents = graph["entities"]
    out = []
    for _, src, dst, pred, sentence in picked:
        s, o = ents[src], ents[dst]
        out.append(
            f"({s['names'][0]} [{s['type']}], {pred}, {o['names'][0]} [{o['type']}])\n    {sentence}"
        )
    return out


# ---------------------------------------------------------------- main


def embedder():
    from kgsynth.embeddings import shared_embedder  # in-tree: never optional

    return shared_embedder().encode


def fmt(x: float) -> str:
    return "  n/a" if x != x else f"{x:.3f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "  n/a"


def report(arms: dict[str, dict], items, out_dir: Path) -> None:
    embed = embedder()
    rows = {}
    for name, data in arms.items():
        score = score_webnlg(data["webnlg"], items, embed) if "webnlg" in data else {}
        web = density(data["webnlg"]) if "webnlg" in data else {}
        news = density(data["news"]) if "news" in data else {}
        rows[name] = (score, web, news)
        for corpus in ("news", "webnlg"):
            if corpus in data and name != "spacy":
                facts = sample_facts(data[corpus], SAMPLE_FACTS)
                (out_dir / f"{corpus}_facts_{name}.txt").write_text("\n".join(facts) + "\n")
    (out_dir / "scores.json").write_text(json.dumps(rows, indent=1))
    for name, data in arms.items():
        (out_dir / f"graph_{name}.json").write_text(json.dumps(data))
    names = list(rows)
    metrics = [
        ("entity recall (all gold values)", 0, "entity_recall"),
        ("entity recall (names only)", 0, "entity_recall_names"),
        ("entity-pair recall", 0, "pair_recall"),
        ("entity-pair precision", 0, "pair_precision"),
        ("entity-pair precision (no is_a class)", 0, "pair_precision_no_class"),
        ("predicate agreement (matched pairs)", 0, "predicate_agreement"),
        ("WebNLG typed relations / 100 sentences", 1, "per_100"),
        ("WebNLG is_a share", 1, "is_a_share"),
        ("news typed relations / 100 sentences", 2, "per_100"),
        ("news is_a share", 2, "is_a_share"),
        ("news entities", 2, "entities"),
        ("news co-occurrence edges", 2, "cooccurrences"),
        ("news ingest seconds", 2, "seconds"),
    ]
    header = f"{'metric':<42}" + "".join(f"{n:>12}" for n in names)
    if "baseline" in rows and "kgsynth" in rows:
        header += f"{'ratio':>10}"
    print(header)
    for label, part, key in metrics:
        vals = [rows[n][part].get(key, float("nan")) for n in names]
        line = f"{label:<42}" + "".join(f"{fmt(v):>12}" for v in vals)
        if "baseline" in rows and "kgsynth" in rows:
            b, k = rows["baseline"][part].get(key), rows["kgsynth"][part].get(key)
            line += f"{ratio(k, b) if b is not None and k is not None else '':>10}"
        print(line)
    s = rows[names[-1]][0]
    if s:
        print(f"gold triples {s['gold_triples']}; items {len(items)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=None, help="WebNLG items (default: all 1,001)")
    ap.add_argument("--news-docs", type=int, default=80, help="BBC News articles")
    ap.add_argument("--quick", action="store_true", help="40 items and 10 articles")
    ap.add_argument("--baseline", default=BASELINE_REF, help="git ref of the baseline, or none")
    ap.add_argument("--model", type=int, default=0, help="also run the model extractor on N items")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "extract_quality")
    ap.add_argument(
        "--rescore", action="store_true", help="score the graphs saved in --out again, no ingest"
    )
    ap.add_argument(
        "--reuse",
        nargs="*",
        default=[],
        choices=["baseline", "model"],
        help="take these arms' graphs from --out instead of running them again",
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--texts", help=argparse.SUPPRESS)
    ap.add_argument("--news", nargs="*", default=[], help=argparse.SUPPRESS)
    ap.add_argument("--extractor", default="spacy", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    if args.rescore:
        return rescore(args.out, args.items)
    n_items = 40 if args.quick else args.items
    n_news = 10 if args.quick else args.news_docs
    items = webnlg_items(n_items)
    news = bbc_paths(n_news) if n_news else []
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kgq-") as tmp:
        texts = Path(tmp) / "webnlg.jsonl"
        with texts.open("w", encoding="utf-8") as f:
            for it in items:
                f.write(json.dumps({"text": it.text, "item": it.id}) + "\n")
        arms = {name: saved(args.out, name) for name in args.reuse}
        if args.baseline.lower() != "none" and "baseline" not in arms:
            arms["baseline"] = run_arm(code_tree(args.baseline), texts, news)
        arms["kgsynth"] = run_arm(ROOT, texts, news)
        if args.model and "model" not in arms:
            small = Path(tmp) / "webnlg_small.jsonl"
            small.write_text("".join(texts.read_text().splitlines(True)[: args.model]))
            arms["model"] = run_arm(ROOT, small, [], extractor="model")
    if "model" in arms:
        model = arms.pop("model")
        n = len(model["webnlg"]["docs"])
        print(f"\nmodel extractor on {n} items (kgsynth spaCy on the same items):")
        sub = {"spacy": restrict(arms["kgsynth"], items[:n]), "model": model}
        report(sub, items[:n], args.out)
        print()
    report(arms, items, args.out)


def saved(out: Path, name: str) -> dict:
    """An arm's graph as a previous run saved it (``--reuse``: the baseline does not change)."""
    path = out / f"graph_{name}.json"
    if not path.exists():
        raise SystemExit(f"{path} does not exist; run that arm first")
    return json.loads(path.read_text())


def rescore(out: Path, n_items: int | None) -> None:
    """Print the tables again from the graphs a previous run saved (after a scoring change)."""
    arms = {
        p.stem.removeprefix("graph_"): json.loads(p.read_text()) for p in out.glob("graph_*.json")
    }
    items = webnlg_items(n_items)
    if "model" in arms and "spacy" in arms:
        n = len(arms["model"]["webnlg"]["docs"])
        print(f"model extractor on {n} items (kgsynth spaCy on the same items):")
        report({"spacy": arms.pop("spacy"), "model": arms.pop("model")}, items[:n], out)
        print()
    report(arms, items, out)


def restrict(data: dict, items) -> dict:
    """The WebNLG part of an arm's dump, limited to the documents of the given items."""
    keep = {it.id for it in items}
    web = data["webnlg"]
    docs = {d: k for d, k in web["docs"].items() if k in keep}
    rels = []
    for r in web["relations"]:
        ev = [e for e in r["evidence"] if e[0] in docs]
        if ev:
            rels.append({**r, "evidence": ev})
    texts = {d: t for d, t in web["texts"].items() if d in docs}
    return {"webnlg": {**web, "docs": docs, "relations": rels, "texts": texts}}


if __name__ == "__main__":
    main()
