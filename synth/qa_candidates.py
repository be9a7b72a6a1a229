"""Enumerating QA candidates from the graph, one function per QA type.

Each candidate carries the template variables, what a correct answer must state (an
:class:`~synth.qa_check.Expectation`), and the relations and spans that support it, so the builder can
render it, check a model's answer and write full provenance. Only answers that are unique in the graph
are asked (a question with two right answers is not a good training example).
"""

from __future__ import annotations

import random
from collections import defaultdict

from kgsynth.types import Relation, Span
from synth.fact_questions import SentenceParses, chain_question, fact_question, yes_no_question
from synth.graph_view import GraphView
from synth.phrasing import predicate_form
from synth.qa_check import Expectation
from synth.qa_extractive import extractive_candidates
from synth.qa_item import QAItem
from synth.qa_sampling import Candidate
from synth.templates import KIND_WORDS, join_names

QA_TYPES = ("single_fact", "multi_hop", "aggregation", "comparison", "yes_no", "extractive")
YES_NO = {"en": ("Yes", "No"), "zh": ("是", "否")}
VAGUE_TYPES = {"CONCEPT"}  # is_a objects (noun phrases): fine as a fact, too vague in a chain
KIND_PLACEHOLDER = {"en": "entity", "zh": "实体"}
LIGHT_VERBS = frozenset(
    [
        "be",
        "have",
        "get",
        "make",
        "do",
        "take",
        "give",
        "say",
        "tell",
        "add",
        "go",
        "come",
        "put",
        "set",
        "see",
        "know",
        "think",
        "want",
        "use",
    ]
)
LITERAL_TYPES = frozenset({"DATE", "TIME", "CARDINAL", "MONEY", "PERCENT", "QUANTITY", "ORDINAL"})
ENGLISH_LISTS = {("verb", True), ("participle", False)}  # asked: "did X acquire", "are based in X"
PARSE_ROUND = 256  # relations whose evidence is parsed per round
OVERSAMPLE = 4  # candidates gathered per wanted pair before parsing stops


def candidates(view: GraphView, qa_type: str, seed: int = 0, want: int = 0) -> list[Candidate]:
    """Candidates of one QA type (deterministic for a seed); `want` lets costly builders stop early."""
    rng = random.Random(f"{seed}:{qa_type}")
    if qa_type == "extractive":
        out = extractive_candidates(view, rng, want) + _extractive_relations(view, rng)
    elif qa_type in ("single_fact", "multi_hop"):
        out = BUILDERS[qa_type](view, rng, want=want)
    else:
        out = BUILDERS[qa_type](view, rng)
    return out if view.focus is None else [c for c in out if in_focus(view, c.payload)]


def in_focus(view: GraphView, item: QAItem) -> bool:
    """Whether a restricted build may use the item: it is asked about a focus chunk (answered
    from a passage) or uses a focus relation (answered from the graph)."""
    focus = view.focus
    if focus is None:
        return True
    if item.context is not None:
        return any(s.chunk_id in focus.chunk_ids for s in item.answer_spans)
    return any(r.id in focus.relation_ids for r in item.relations)


def fact_line(view: GraphView, r: Relation) -> str:
    return f"{view.entity(r.source_id).name} | {r.predicate} | {view.entity(r.target_id).name}"


def _lang(view: GraphView, entity_id: str) -> str:
    return view.entity(entity_id).lang or "en"


def _candidate(view: GraphView, key: str, item: QAItem, predicate: str, anchor: str, **strata):
    return Candidate(
        key=key,
        entity_ids=tuple(item.entity_ids),
        strata={
            "predicate": predicate,
            "type": view.entity(anchor).type,
            "community": view.community(anchor),
            **strata,
        },
        payload=item,
        hubness=max((view.hub_degree(e) for e in item.entity_ids), default=0),
    )


# ---------------------------------------------------------------- single fact


def _single_fact(view: GraphView, rng: random.Random, want: int = 0) -> list[Candidate]:
    """One fact, asked about its subject or object. English questions are read off the fact's
    evidence sentence and must name the other entity; facts no such question fits are skipped."""
    objects = defaultdict(set)
    subjects = defaultdict(set)
    for r in view.typed:
        objects[(r.source_id, r.predicate)].add(r.target_id)
        subjects[(r.target_id, r.predicate)].add(r.source_id)
    relations = view.focused(view.typed)
    rng.shuffle(relations)
    parses = SentenceParses()
    out = []
    for start in range(0, len(relations), PARSE_ROUND):
        part = relations[start : start + PARSE_ROUND]
        parses.parse(
            [ev.sentence for r in part if _lang(view, r.source_id) == "en" for ev in r.evidence[:2]]
        )
        for r in part:
            options = []
            if len(objects[(r.source_id, r.predicate)]) == 1:
                options.append("object")
            if len(subjects[(r.target_id, r.predicate)]) == 1:
                options.append("subject")
            rng.shuffle(options)
            if _lang(view, r.source_id) == "en" and _light(r.predicate):
                continue
            for ask in options:
                item = _fact_item(view, r, ask, parses)
                if item is not None:
                    out.append(_candidate(view, f"sf:{r.id}", item, r.predicate, r.source_id))
                    break
        if want and len(out) >= OVERSAMPLE * want:
            break
    return out


def _fact_item(view: GraphView, r: Relation, ask: str, parses: SentenceParses) -> QAItem | None:
    s, o = view.entity(r.source_id), view.entity(r.target_id)
    answer_id = o.id if ask == "object" else s.id
    lang = _lang(view, s.id)
    extra: dict = {}
    if lang == "en":
        found = fact_question(view, r, answer_id, parses)
        if found is None:
            return None
        extra = {"question": found[0].text, "sentence": found[1]}
    return QAItem(
        qa_type="single_fact",
        lang=lang,
        vars={
            "subject": s.name,
            "subject_type": s.type,
            "predicate": r.predicate,
            "object": o.name,
            "object_type": o.type,
            "ask": ask,
            "answer": view.entity(answer_id).name,
            **extra,
        },
        expectation=Expectation(entities=[view.forms(answer_id)]),
        relations=[r],
        entity_ids=[s.id, o.id],
        meta={
            "answer_entity_ids": [answer_id],
            **({"sentence": extra["sentence"]} if extra else {}),
        },
    )


# ---------------------------------------------------------------- multi hop


def _steps(view: GraphView, eid: str) -> list[tuple[Relation, bool, str]]:
    """Typed edges from an entity in either direction: (relation, forward, other end)."""
    out = [(r, True, r.target_id) for r in view.out_edges.get(eid, ())]
    out += [(r, False, r.source_id) for r in view.in_edges.get(eid, ())]
    return out


def _multi_hop(
    view: GraphView, rng: random.Random, want: int = 0, per_start: int = 6
) -> list[Candidate]:
    """Chains of two typed facts with one answer, asked as one question (English: the bridge
    described by the first fact's sentence); chains no natural question fits are skipped, and so
    are longer chains and chains that repeat a predicate (they read as riddles)."""
    out = []
    parses = SentenceParses()
    starts = sorted(view.entities)
    rng.shuffle(starts)
    for start in starts:
        if view.entity(start).type in VAGUE_TYPES:
            continue
        english = _lang(view, start) == "en"
        chains: list[list[tuple[Relation, bool, str]]] = []
        for s1 in _steps(view, start):
            for s2 in _steps(view, s1[2]):
                if s2[2] in (start, s1[2]) or s2[0].id == s1[0].id:
                    continue
                if s2[0].predicate != s1[0].predicate:  # "the secretary of X's secretary": no
                    chains.append([s1, s2])
        rng.shuffle(chains)
        kept = 0
        for chain in chains:
            if kept >= per_start:
                break
            if any(view.entity(other).type in VAGUE_TYPES for _, _, other in chain):
                continue  # chains through "chairman" or "novel" nodes make vague questions
            if not view.focused(r for r, _, _ in chain):
                continue  # a restricted build asks only chains through new facts
            if _reachable(view, start, [(r.predicate, fwd) for r, fwd, _ in chain]) != {
                chain[-1][2]
            }:
                continue  # the same predicate path reaches several ends: ambiguous
            question = None
            if english and any(_light(r.predicate) for r, _, _ in chain):
                continue  # "the person who told BBC Sport": reporting verbs make no bridge
            if english:
                (r1, _, bridge), (r2, _, end) = chain
                question = chain_question(view, r1, r2, bridge, end, parses)
                if question is None:
                    continue
            out.append(_chain_candidate(view, start, chain, question))
            kept += 1
        if want and len(out) >= OVERSAMPLE * want:
            break
    return out


def _light(predicate: str) -> bool:
    """'have', 'say_to', 'take_in': verbs that say little on their own."""
    return predicate.split("_")[0] in LIGHT_VERBS


def _listable(predicate: str, forward: bool) -> bool:
    return (predicate_form(predicate), forward) in ENGLISH_LISTS and not _light(predicate)


def _plain(predicate: str, object_type: str) -> bool:
    """A predicate an English yes/no or comparison question can say: a content verb or participle
    about a named thing ("Did Disney make National Treasure?")."""
    form = predicate_form(predicate)
    return (
        form in ("verb", "participle", "role")
        and not _light(predicate)
        and (object_type not in LITERAL_TYPES)
    )


def _reachable(view: GraphView, start: str, pattern: list[tuple[str, bool]]) -> set[str]:
    frontier = {start}
    for predicate, forward in pattern:
        frontier = {
            other
            for eid in frontier
            for r, fwd, other in _steps(view, eid)
            if r.predicate == predicate and fwd == forward
        }
    return frontier


def _chain_candidate(view: GraphView, start: str, chain, question: str | None) -> Candidate:
    end = chain[-1][2]
    lang = _lang(view, start)
    kinds = KIND_WORDS.get(lang, KIND_WORDS["en"])
    hops = [
        {
            "predicate": r.predicate,
            "forward": fwd,
            "kind": kinds.get(view.entity(other).type, KIND_PLACEHOLDER.get(lang, "entity")),
            "type": view.entity(other).type,
        }
        for r, fwd, other in chain
    ]
    ids = [start] + [other for _, _, other in chain]
    item = QAItem(
        qa_type="multi_hop",
        lang=lang,
        vars={
            "start": view.entity(start).name,
            "hops": hops,
            "end": view.entity(end).name,
            "end_type": view.entity(end).type,
            "answer": view.entity(end).name,
            **({"question": question} if question else {}),
        },
        expectation=Expectation(entities=[view.forms(end)]),
        relations=[r for r, _, _ in chain],
        entity_ids=ids,
        meta={"answer_entity_ids": [end], "hops": len(chain)},
    )
    key = "mh:" + ":".join([start] + [r.id for r, _, _ in chain])
    predicate = "+".join(r.predicate for r, _, _ in chain)
    return _candidate(view, key, item, predicate, start, hops=str(len(chain)))


# ---------------------------------------------------------------- aggregation


def _aggregation(
    view: GraphView, rng: random.Random, max_list: int = 6, max_count: int = 12
) -> list[Candidate]:
    groups: dict[tuple, list[Relation]] = defaultdict(list)
    for r in view.typed:
        groups[(r.source_id, r.predicate, True)].append(r)
        groups[(r.target_id, r.predicate, False)].append(r)
    out = []
    for (eid, predicate, forward), rels in sorted(groups.items(), key=lambda kv: str(kv[0])):
        if _lang(view, eid) == "en" and not _listable(predicate, forward):
            continue  # no natural English question asks this group
        neighbors = sorted({r.target_id if forward else r.source_id for r in rels})
        if not 2 <= len(neighbors) <= max_count:
            continue  # one is not an aggregate; dozens make a poor question and a long citation
        types = {view.entity(n).type for n in neighbors}
        if _lang(view, eid) == "en" and (len(types) != 1 or types & LITERAL_TYPES):
            continue  # "Which entities ...", "Which dates ...": no plural noun asks it well
        mode = "list" if len(neighbors) <= max_list and rng.random() < 0.5 else "count"
        names = [view.entity(n).name for n in neighbors]
        lang = _lang(view, eid)
        answer = str(len(neighbors)) if mode == "count" else join_names(names, lang)
        item = QAItem(
            qa_type="aggregation",
            lang=lang,
            vars={
                "entity": view.entity(eid).name,
                "entity_type": view.entity(eid).type,
                "predicate": predicate,
                "forward": forward,
                "neighbor_type": types.pop() if len(types) == 1 else "",
                "mode": mode,
                "names": names,
                "count": len(neighbors),
                "answer": answer,
            },
            expectation=Expectation(
                count=len(neighbors) if mode == "count" else None,
                entities=[] if mode == "count" else [view.forms(n) for n in neighbors],
            ),
            relations=sorted(rels, key=lambda r: r.id),
            entity_ids=[eid, *neighbors],
            meta={"answer_entity_ids": neighbors, "mode": mode},
        )
        key = f"ag:{eid}:{predicate}:{forward}"
        out.append(_candidate(view, key, item, predicate, eid))
    return out


# ---------------------------------------------------------------- comparison


def _comparison(view: GraphView, rng: random.Random, per_group: int = 6) -> list[Candidate]:
    sources: dict[tuple[str, str], list[Relation]] = defaultdict(list)
    targets: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in view.typed:
        sources[(r.predicate, r.target_id)].append(r)
        targets[(r.source_id, r.predicate)].add(r.target_id)
    out = []
    for (predicate, target), rels in sorted(sources.items()):
        if _lang(view, target) == "en" and not _plain(predicate, view.entity(target).type):
            continue
        pairs = [
            (a, b) for i, a in enumerate(rels) for b in rels[i + 1 :] if a.source_id != b.source_id
        ]
        rng.shuffle(pairs)
        for a, b in pairs[:per_group]:
            shared = targets[(a.source_id, predicate)] & targets[(b.source_id, predicate)]
            if shared != {target}:
                continue
            x, y, t = view.entity(a.source_id), view.entity(b.source_id), view.entity(target)
            item = QAItem(
                qa_type="comparison",
                lang=_lang(view, x.id),
                vars={
                    "first": x.name,
                    "second": y.name,
                    "entity_type": x.type,
                    "predicate": predicate,
                    "target": t.name,
                    "target_type": t.type,
                    "answer": t.name,
                },
                expectation=Expectation(entities=[view.forms(t.id)]),
                relations=[a, b],
                entity_ids=[x.id, y.id, t.id],
                meta={"answer_entity_ids": [t.id]},
            )
            out.append(_candidate(view, f"cmp:{a.id}:{b.id}", item, predicate, x.id))
    return out


# ---------------------------------------------------------------- yes / no


def _yes_no(view: GraphView, rng: random.Random, want: int = 0) -> list[Candidate]:
    """A fact as a yes/no question (yes), and the same question about a decoy object (no).
    English questions are read off the fact's sentence (its tense and modality kept) and come in
    true/false pairs. Decoys are things the same predicate holds elsewhere ("Did Disney make Toy
    Story?") where there are any, else any entity of the object's type."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for eid in sorted(view.entities):
        by_type[view.entity(eid).type].append(eid)
    objects_of: dict[str, set[str]] = defaultdict(set)
    for r in view.typed:
        objects_of[r.predicate].add(r.target_id)
    relations = view.focused(view.typed)
    rng.shuffle(relations)
    parses = SentenceParses()
    out = []
    for r in relations:
        s, o = view.entity(r.source_id), view.entity(r.target_id)
        lang = _lang(view, s.id)
        if lang == "en" and not _plain(r.predicate, o.type):
            continue
        yes, no = YES_NO.get(lang, YES_NO["en"])
        decoys = []
        for pool in (objects_of[r.predicate], by_type[o.type]):  # plausible ones first
            decoys = [
                e
                for e in sorted(pool)
                if e not in (o.id, s.id)
                and view.entity(e).type == o.type
                and (s.id, r.predicate, e) not in view.facts
            ]
            if decoys:
                break
        decoy = rng.choice(decoys) if decoys else None
        pair = [(True, o.id, yes), (False, decoy, no)]
        questions = [None, None]
        if lang == "en":  # a fact is asked only with its false twin, so the answers stay balanced
            questions = [yes_no_question(view, r, parses, None if t else x) for t, x, _ in pair]
            if decoy is None or None in questions:
                continue
        for (truth, object_id, answer), question in zip(pair, questions, strict=True):
            if object_id is not None:
                out.append(_yes_no_candidate(view, r, object_id, truth, answer, lang, question))
        if want and len(out) >= OVERSAMPLE * want:
            break
    return out


def _yes_no_candidate(
    view, r: Relation, object_id: str, truth: bool, answer: str, lang: str, question: str | None
):
    s, o = view.entity(r.source_id), view.entity(object_id)
    item = QAItem(
        qa_type="yes_no",
        lang=lang,
        vars={
            "subject": s.name,
            "predicate": r.predicate,
            "object": o.name,
            "object_type": o.type,
            "truth": truth,
            "answer": answer,
            **({"question": question} if question else {}),
        },
        expectation=Expectation(truth=truth),
        facts=[f"{s.name} | {r.predicate} | {o.name}"],
        relations=[r],
        entity_ids=[s.id, o.id] if truth else [s.id, r.target_id, o.id],
        meta={"truth": truth, **({} if truth else {"corrupted_object_id": o.id})},
    )
    key = f"yn:{r.id}:{truth}"
    return _candidate(view, key, item, r.predicate, s.id, truth="yes" if truth else "no")


# ---------------------------------------------------------------- extractive


def _extractive_relations(view: GraphView, rng: random.Random) -> list[Candidate]:
    """Relation-based extractive questions for languages without a parse-based path (Chinese)."""
    out = []
    for r in view.typed:
        if _lang(view, r.source_id) == "en":
            continue
        for ev in r.evidence[:2]:
            span = object_span(view, r, ev)
            if span is None:
                continue
            start, end, text = span
            s, o = view.entity(r.source_id), view.entity(r.target_id)
            item = QAItem(
                qa_type="extractive",
                lang=_lang(view, s.id),
                vars={
                    "context": ev.sentence,
                    "subject": s.name,
                    "predicate": r.predicate,
                    "object_type": o.type,
                    "answer": text,
                },
                expectation=Expectation(entities=[[text, *view.forms(o.id)]]),
                relations=[r],
                entity_ids=[s.id, o.id],
                answer_spans=[Span(chunk_id=ev.chunk_id, start=start, end=end)],
                context=ev.sentence,
                meta={"answer_entity_ids": [o.id], "evidence_triple_id": ev.triple_id},
            )
            out.append(_candidate(view, f"ex:{r.id}:{ev.triple_id}", item, r.predicate, s.id))
            break
    return out


def object_span(view: GraphView, r: Relation, ev) -> tuple[int, int, str] | None:
    """The object's (start, end) in the chunk and its text, inside the evidence sentence.

    From the extracted triple when the catalog has it, else the longest name or alias found in the
    sentence (offset by the sentence's start in the chunk).
    """
    t = view.triple(ev.triple_id)
    if t is not None and t.chunk_id == ev.chunk_id and t.sentence == ev.sentence:
        start, end = t.object_span
        rel = start - t.sentence_start
        text = t.sentence[rel : end - t.sentence_start]
        if rel >= 0 and text:
            return start, end, text
    for form in sorted(view.forms(r.target_id), key=len, reverse=True):
        i = ev.sentence.find(form) if form else -1
        if i >= 0:
            return ev.start + i, ev.start + i + len(form), form
    return None


BUILDERS = {
    "single_fact": _single_fact,
    "multi_hop": _multi_hop,
    "aggregation": _aggregation,
    "comparison": _comparison,
    "yes_no": _yes_no,
    "extractive": _extractive_relations,
}
