"""Classification sets from real BBC articles: weak labels with votes, confidence and provenance."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from kgsynth.errors import InputError
from kgsynth.ids import content_id
from kgsynth.text import normalize_text
from kgsynth.types import Chunk, Document
from kgsynth.workspace import Workspace
from synth.classify import build_classification, label_corpus
from synth.labeling import LabelingContext, combine, lf_entity, lf_keyword, lf_knn
from synth.schema import LabelSchema, LabelSpec, load_schema
from synth.units import split_pieces
from tests.fixtures.corpus import bbc_root

PER_LABEL = 8  # 40 articles
SEEDS = 2


def bbc_articles(per_label: int, offset: int = 0) -> list[tuple[str, str]]:
    out = []
    for label_dir in sorted(p for p in bbc_root().iterdir() if p.is_dir()):
        for f in sorted(label_dir.glob("*.txt"))[offset : offset + per_label]:
            out.append(
                (normalize_text(f.read_text(encoding="utf-8", errors="replace")), label_dir.name)
            )
    return out


def save_docs(ws: Workspace, articles: list[tuple[str, str]]) -> dict[str, str]:
    """Store articles as documents with paragraph chunks; returns doc id -> true label."""
    gold = {}
    for n, (text, label) in enumerate(articles):
        doc = Document(id=content_id(text, prefix="doc_"), source=f"bbc/{n:03d}.txt", text=text)
        chunks, start = [], 0
        for i, piece in enumerate(split_pieces(text, 1200)):
            start = text.find(piece, start)
            chunks.append(
                Chunk(
                    id=content_id(doc.id, i, prefix="ch_"),
                    doc_id=doc.id,
                    index=i,
                    text=piece,
                    start=start,
                    end=start + len(piece),
                )
            )
        ws.catalog.save_document(doc, chunks)
        gold[doc.id] = label
    return gold


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("classify-ws"))
    articles = bbc_articles(PER_LABEL)
    gold = save_docs(ws, articles)
    schema = load_schema(
        __import__("pathlib").Path(__file__).parents[1] / "examples" / "bbc_schema.yaml"
    )
    seeds: dict[str, list[str]] = {}
    for text, label in articles:  # the first SEEDS articles of each label are the seeds
        if len(seeds.setdefault(label, [])) < SEEDS:
            seeds[label].append(text)
    yield ws, gold, schema.with_seeds(seeds)
    ws.close()


def test_build_classification_on_bbc(corpus):
    ws, gold, schema = corpus
    calls = []
    version = build_classification(
        ws,
        schema,
        per_label=50,
        drop_uncertain=0.0,
        name="bbc-test",
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls and calls[-1][0] == calls[-1][1]
    assert ws.catalog.dataset("bbc-test").id == version.id
    examples = ws.catalog.examples(version.id)
    seeds = [e for e in examples if e.label_source == "seed"]
    weak = [e for e in examples if e.label_source == "weak"]
    assert len(seeds) == SEEDS * len(schema.labels)
    assert all(e.confidence == 1.0 and e.provenance.doc_ids for e in seeds)
    # every corpus document is either a seed or a weak example (per_label is large enough)
    assert len(weak) == len(gold) - len(seeds)
    assert not {e.provenance.doc_ids[0] for e in weak} & {e.provenance.doc_ids[0] for e in seeds}
    for e in weak:
        assert e.task == "classify" and e.label in schema.names
        assert 0.0 < e.confidence <= 1.0
        assert e.provenance.doc_ids and e.provenance.chunk_ids
        sources = {v["source"] for v in e.meta["votes"]}
        assert {"selftrain", "knn", "description"} <= sources
        assert all(v["label"] in schema.names for v in e.meta["votes"])
    accuracy = np.mean([e.label == gold[e.provenance.doc_ids[0]] for e in weak])
    assert accuracy > 0.6, accuracy  # chance is 0.2
    assert version.stats["sources"]["weak"] == len(weak)
    expected = version.stats["estimated_precision"]  # what a user sees without gold labels
    for label in expected:
        right = [e.label == gold[e.provenance.doc_ids[0]] for e in weak if e.label == label]
        assert abs(expected[label] - np.mean(right)) < 0.35, (label, expected[label], right)
    from kgsynth.app.summary import version_lines

    assert any("weak labels expected right" in line for line in version_lines(version))


def test_per_label_cap_exclude_and_chunks(corpus):
    ws, gold, schema = corpus
    excluded = set(list(gold)[SEEDS : SEEDS + 5])  # not seeds: a seed keeps its provenance
    version = build_classification(ws, schema, per_label=2, exclude_docs=excluded, seed=1)
    examples = ws.catalog.examples(version.id)
    weak = [e for e in examples if e.label_source == "weak"]
    assert max(Counter(e.label for e in weak).values()) <= 2
    assert not {d for e in examples for d in e.provenance.doc_ids} & excluded
    chunks = build_classification(ws, schema, per_label=3, unit="chunk")
    ex = [e for e in ws.catalog.examples(chunks.id) if e.label_source == "weak"]
    assert ex and all(len(e.provenance.chunk_ids) == 1 for e in ex)


def test_spread_covers_the_confidence_range_and_top_the_most_confident(corpus):
    ws, gold, schema = corpus
    labeled = label_corpus(ws, schema)
    conf = {labeled.units.doc_ids[i]: float(c) for i, c in enumerate(labeled.conf)}

    def weak_docs(**kw) -> list[str]:
        version = build_classification(ws, schema, per_label=2, **kw)
        examples = ws.catalog.examples(version.id)
        return [e.provenance.doc_ids[0] for e in examples if e.label_source == "weak"]

    top, spread = weak_docs(selection="top"), weak_docs(selection="spread", drop_uncertain=0.2)
    assert len(top) == len(spread) > 0
    assert np.mean([conf[d] for d in spread]) < np.mean([conf[d] for d in top])
    seeds = {labeled.units.doc_ids[i] for i in labeled.seed_unit}
    for label in schema.names:  # each label's least confident unit is dropped, never used
        pairs = zip(labeled.units.doc_ids, labeled.labels, strict=True)
        mine = [d for d, lab in pairs if lab == label and d not in seeds]
        if len(mine) >= 3:
            assert min(mine, key=conf.get) not in spread
    with pytest.raises(InputError, match="selection must be"):
        build_classification(ws, schema, selection="random")
    with pytest.raises(InputError, match="drop_uncertain"):
        build_classification(ws, schema, drop_uncertain=1.0)


def test_label_corpus_accuracy_and_errors(corpus):
    ws, gold, schema = corpus
    labeled = label_corpus(ws, schema)
    acc = np.mean(
        [lab == gold[d] for lab, d in zip(labeled.labels, labeled.units.doc_ids, strict=True)]
    )
    assert acc > 0.6, acc
    with pytest.raises(InputError, match="unit must be"):
        label_corpus(ws, schema, unit="sentence")


def test_empty_workspace_is_an_error(tmp_path):
    schema = LabelSchema(labels=[LabelSpec(name="a"), LabelSpec(name="b")])
    with pytest.raises(InputError, match="no documents"):
        build_classification(Workspace(tmp_path), schema)


def test_generated_examples_with_template_generator(corpus):
    ws, gold, schema = corpus
    version = build_classification(
        ws, schema, per_label=1, generator="template", generated_per_label=2
    )
    model = [e for e in ws.catalog.examples(version.id) if e.label_source == "model"]
    assert len(model) == 2 * len(schema.labels)
    for e in model:
        assert e.generator == "template" and e.provenance.evidence and e.provenance.doc_ids
        assert {v["source"] for v in e.meta["votes"]} == {"generator", "verifier"}
        assert all(s in e.input for s in e.provenance.evidence)


def _ctx(**kw) -> LabelingContext:
    v = np.eye(3, dtype=np.float32)
    base = dict(
        labels=["x", "y"],
        texts=["the cat sat", "stocks fell sharply", "nothing here"],
        vectors=v,
        seed_vectors=v[:2],
        seed_labels=[0, 1],
        label_vectors=v[:2],
        keywords=[["cat"], ["stocks", "fell sharply"]],
    )
    return LabelingContext(**(base | kw))


def test_labeling_functions_on_toy_vectors():
    ctx = _ctx()
    kw = lf_keyword(ctx)
    assert kw.active.tolist() == [True, True, False]
    assert kw.probs[0].argmax() == 0 and kw.probs[1].argmax() == 1
    knn = lf_knn(ctx)
    assert knn.probs[0].argmax() == 0 and knn.probs[1].argmax() == 1
    best, conf = combine([kw, knn])
    assert best[:2].tolist() == [0, 1] and (conf <= 1.0).all()
    ent = lf_entity(_ctx(unit_entities=[["e1"], ["e2"], []]))
    assert not ent.active.any()  # no entity is shared by two units


# ---------------------------------------------------------------- issue 20: any corpus

PRAISE = [
    "I love this camera, the pictures are sharp and beautiful.",
    "Great battery life and a really bright screen.",
    "The sound is excellent and setup was easy.",
    "Works perfectly, I am very happy with it.",
    "Best purchase I have made this year, highly recommended.",
    "The lens is superb and the menus are simple to use.",
    "Fantastic value for the price, it feels solid.",
    "My kids enjoy it and it has never failed us.",
    "Wonderful little player, clear and loud.",
    "The zoom is impressive and the colors look amazing.",
    "It charges fast and the case is lovely.",
    "Nice design, comfortable to hold and reliable.",
]
COMPLAINTS = [
    "The battery died after two days, terrible.",
    "I hate the menus, they are confusing and slow.",
    "It is not good at all, the screen is dim.",
    "Poor sound and the buttons broke within a week.",
    "Worst purchase ever, I want a refund.",
    "The software crashes constantly and support was useless.",
    "Disappointing pictures, blurry even in daylight.",
    "It stopped working and nobody answered my complaint.",
    "Cheap plastic, it feels flimsy and awkward.",
    "The remote is annoying and the manual is wrong.",
    "Not worth the money, the zoom is bad.",
    "Awful noise from the fan, I regret buying it.",
]


def test_polarity_sees_negation_intensity_and_contrast():
    from synth.polarity import FEATURES, features

    net = FEATURES.index("net")
    assert features("This is good.")[net] > 0 > features("This is not good.")[net]
    assert features("The picture is really great")[net] > features("The picture is great")[net] > 0
    assert features("The case is nice but the screen is terrible.")[net] < 0
    assert features("The table has four legs.")[FEATURES.index("evaluative")] == 0


def _sentiment_ctx(texts, labels, seeds_per_label):
    from synth.units import text_vectors

    names = ["pleased", "displeased"]
    seeds = [
        i for j in range(2) for i in [k for k, y in enumerate(labels) if y == j][:seeds_per_label]
    ]
    vectors = text_vectors(None, texts)
    label_texts = ["pleased", "displeased"]
    ctx = LabelingContext(
        labels=names,
        texts=texts,
        vectors=vectors,
        seed_vectors=vectors[seeds],
        seed_labels=[labels[i] for i in seeds],
        label_vectors=text_vectors(None, label_texts),
        keywords=[[n] for n in names],
        seed_texts=[texts[i] for i in seeds],
        label_texts=label_texts,
    )
    return ctx, {k: i for k, i in enumerate(seeds)}


def test_sentiment_labels_learn_from_seeds_and_evaluative_words():
    from synth.weak_labels import label_units

    texts = PRAISE + COMPLAINTS
    labels = [0] * len(PRAISE) + [1] * len(COMPLAINTS)
    ctx, seed_units = _sentiment_ctx(texts, labels, 4)
    result = label_units(ctx, seed_units=seed_units)
    report = result.report
    assert report["lf_weights"]["lexical"] > 0  # evaluative words tell the labels apart
    assert report["rounds"][0]["round"] == 0 and all(
        "heldout_accuracy" in r for r in report["rounds"]
    )
    others = [i for i in range(len(texts)) if i not in seed_units.values()]
    acc = np.mean([result.best[i] == labels[i] for i in others])
    assert acc >= 0.8, acc  # 16 unlabeled sentences, chance is 0.5
    assert all(0.3 < p < 0.7 for p in report["priors"])  # a balanced pool stays balanced
    assert result.keep.dtype == bool and len(result.keep) == len(texts)


def test_priors_from_a_skewed_pool():
    from synth.weak_labels import _priors

    rng = np.random.default_rng(0)
    truth = np.array([0] * 90 + [1] * 10)
    probs = np.where(truth[:, None] == np.arange(2), 0.8, 0.2) + rng.normal(0, 0.05, (100, 2))
    probs = np.clip(probs, 0.01, None)
    probs /= probs.sum(1, keepdims=True)
    priors = _priors(probs)
    assert priors[0] > 0.75 and priors[1] < 0.25


def test_abstain_leaves_out_a_unit_that_fits_no_label(corpus, tmp_path):
    ws, gold, schema = corpus
    odd = Workspace(tmp_path / "odd")
    articles = bbc_articles(PER_LABEL)
    save_docs(odd, articles + [("0 1 2 3 4 5 6 7 8 9 " * 30, "none")])
    version = build_classification(odd, schema, per_label=50, drop_uncertain=0.0)
    stats = version.stats
    assert stats["abstained"]["fits_no_label"] >= 1
    inputs = {e.input for e in odd.catalog.examples(version.id)}
    assert not any(t.startswith("0 1 2 3") for t in inputs)
    rounds = stats["labeling"]["rounds"]
    assert rounds and rounds[0]["round"] == 0
    assert set(stats["labeling"]["lf_weights"]) >= {"selftrain", "knn", "description", "lexical"}
    odd.close()


def test_terse_label_names_warn_and_descriptions_are_suggested(corpus):
    from synth.describe import suggest_descriptions, with_suggestions
    from synth.schema import parse_schema, schema_warnings

    terse = parse_schema({"labels": ["acq", "earn", "crude", {"name": "C2", "description": "x"}]})
    assert "acq, earn have short names" in schema_warnings(terse)[0]
    ws, gold, schema = corpus
    bare = LabelSchema(
        labels=[spec.model_copy(update={"description": ""}) for spec in schema.labels]
    )
    suggested = suggest_descriptions(ws, bare)
    assert set(suggested) == set(schema.names) and all(suggested.values())
    filled = with_suggestions(
        ws, bare.model_copy(update={"labels": [schema.labels[0], *bare.labels[1:]]})
    )
    assert filled.labels[0].description == schema.labels[0].description  # an expert's is kept
    assert all(spec.description for spec in filled.labels)
