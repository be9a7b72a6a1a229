"""QA sets from the knowledge graph: single-fact, multi-hop, aggregation, comparison, yes/no, extractive.

One path for both modes. Every selected candidate is rendered twice: the direct rendering (its
``qa.<type>`` template, a seeded phrasing) goes into ``prompt.meta["reference"]``, and the model prompt
(``qa.prompt``) into the messages. The ``template`` generator returns the reference; a model generator
writes its own pair. Either way the answer is checked against the supporting facts
(:mod:`synth.qa_check`); a failing pair is rejected and counted in the version's stats.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from kgsynth.errors import InputError
from kgsynth.generators import Prompt, make_generator
from kgsynth.text import in_language
from kgsynth.types import DatasetVersion, Example, Provenance, Record, Span, example_id
from synth.balance import Balancer, even_split, figures
from synth.balance import quotas as balance_quotas
from synth.graph_view import Focus, GraphView
from synth.qa_candidates import QA_TYPES, QAItem, candidates, fact_line
from synth.qa_check import check_answer, normalize
from synth.qa_report import quick_quality
from synth.qa_sampling import Candidate, balanced_sample
from synth.templates import TemplateLibrary, parse_qa
from synth.versions import save, unique

Progress = Callable[[int, int], None] | None
BATCH = 16
MAX_NEW_TOKENS = 64  # a question and a short answer
MAX_EVIDENCE = 2  # evidence sentences cited per relation
CONTEXT_LABEL = {"en": "Context", "zh": "上下文"}
QUESTION_LABEL = {"en": "Question", "zh": "问题"}


class PreviewItem(Record):
    prompt: str
    example: Example | None = None
    rejected: str | None = None


def build_qa(
    ws,
    *,
    types: tuple[str, ...] | list[str] = QA_TYPES,
    n: int = 100,
    generator: str = "template",
    lang: str | None = None,
    per_entity_cap: int = 3,
    seed: int = 0,
    name: str | None = None,
    progress: Progress = None,
    generator_overrides: dict[str, Any] | None = None,
    max_new_tokens: int = MAX_NEW_TOKENS,
    quotas: dict[str, int] | None = None,
    restrict: Focus | None = None,
    balance: bool = False,
) -> DatasetVersion:
    """Build about `n` QA pairs split evenly over `types`, and save them as a new dataset version.

    `generator_overrides` are passed to ``make_generator`` (e.g. ``{"model": path}``);
    `max_new_tokens` bounds each model reply (a question and a short answer). `quotas` give each
    type its own count instead of an even split of `n`; `restrict` asks only about new material
    (the relations and chunks `synth update` names); `balance` aims at even coverage of the graph
    (:mod:`synth.balance`) and records the figures before and after in the version's stats.
    """
    types = _check_types(types)
    view = GraphView.load(ws, seed=seed)
    if not view.entities:
        raise InputError("the graph is empty; ingest documents first (kgsynth ingest)")
    view.focus = restrict
    selected, pools, balanced = _select(view, types, n, lang, per_entity_cap, seed, quotas, balance)
    gen = make_generator(ws, generator, **(generator_overrides or {}))
    examples, rejected, _ = _generate(ws, selected, gen, generator, seed, max_new_tokens, progress)
    if restrict is not None:
        examples = restrict.rebase(examples)
    stats = {
        "quality": quick_quality(unique(examples)).model_dump(exclude_none=True),
        "candidates": pools,
        "selected": dict(Counter(c.payload.qa_type for c in selected)),
        "rejected": dict(rejected),
        "rejected_total": sum(rejected.values()),
        **({"balance": balanced} if balanced else {}),
    }
    params = {
        "types": list(types),
        "n": n,
        "generator": generator,
        "lang": lang,
        "per_entity_cap": per_entity_cap,
        "seed": seed,
        **({"quotas": quotas} if quotas else {}),
        **({"balance": True} if balance else {}),
        **({"restricted": _restricted(restrict)} if restrict is not None else {}),
    }
    return save(ws, examples, name=name or "qa", stage="synth", params=params, stats=stats)


def preview(
    ws,
    *,
    types: tuple[str, ...] | list[str] = QA_TYPES,
    n: int = 3,
    generator: str = "template",
    seed: int = 0,
    generator_overrides: dict[str, Any] | None = None,
    max_new_tokens: int = MAX_NEW_TOKENS,
) -> list[PreviewItem]:
    """A few pairs per type with the prompt each one sends; nothing is saved."""
    types = _check_types(types)
    view = GraphView.load(ws, seed=seed)
    selected, _, _ = _select(view, types, n * len(types), None, 3, seed)
    gen = make_generator(ws, generator, **(generator_overrides or {}))
    _, _, items = _generate(ws, selected, gen, generator, seed, max_new_tokens, None)
    return items


def prompts(
    ws,
    *,
    types: tuple[str, ...] | list[str] = QA_TYPES,
    n: int = 100,
    lang: str | None = None,
    per_entity_cap: int = 3,
    seed: int = 0,
    max_new_tokens: int = MAX_NEW_TOKENS,
) -> list[Prompt]:
    """The prompts `build_qa` would send with these settings (for token and cost estimates)."""
    types = _check_types(types)
    view = GraphView.load(ws, seed=seed)
    selected, _, _ = _select(view, types, n, lang, per_entity_cap, seed)
    library, rng = TemplateLibrary(ws), random.Random(seed)
    return [_prompt(library, c.payload, rng, max_new_tokens) for c in selected]


class QAPlan(Record):
    """What `build_qa` would make with some settings (a dry run: nothing generated or saved)."""

    per_type: dict[str, int]  # pairs selected per QA type (before answer checks)
    pools: dict[str, int]  # candidates found per type
    predicates: dict[str, int]  # selected per predicate (stratum), most first
    entity_types: dict[str, int]  # selected per entity type of the anchor entity
    balance: dict[str, Any] | None = None  # figures before/after with balancing
    generator: str = "template"
    model_calls: int = 0  # 0 for the template generator
    prompt_tokens: int = 0  # estimated
    completion_tokens: int = 0  # at most
    cost_usd: float | None = None  # with the generator's configured prices

    def lines(self, top: int = 10) -> list[str]:
        total = sum(self.per_type.values())
        out = [f"dry run: {total} pairs would be selected ({self.generator}); nothing is saved"]
        out += [
            f"  {t:<12} {n:>6} of {self.pools.get(t, 0):>6} candidates"
            for t, n in self.per_type.items()
        ]
        for title, counts in (
            ("per predicate (extractive: answer kind)", self.predicates),
            ("per entity type (extractive: question form)", self.entity_types),
        ):
            shown = ", ".join(f"{k} {v}" for k, v in list(counts.items())[:top])
            more = f", ... {len(counts) - top} more" if len(counts) > top else ""
            out.append(f"  {title}: {shown}{more}")
        if self.balance:
            b, a = self.balance["before"], self.balance["after"]
            out.append(f"  {'balance':<22} {'before':>8} {'after':>8}")
            out += [f"    {k:<20} {b[k]:>8} {a[k]:>8}" for k in a]
        if self.model_calls:
            cost = f", about ${self.cost_usd:.4f}" if self.cost_usd else ""
            out.append(
                f"  {self.model_calls} model calls: about {self.prompt_tokens:,} prompt tokens and "
                f"at most {self.completion_tokens:,} completion tokens{cost}"
            )
        else:
            out.append("  no model calls: the template generator renders the facts")
        return out


def plan(
    ws,
    *,
    types: tuple[str, ...] | list[str] = QA_TYPES,
    n: int = 100,
    generator: str = "template",
    lang: str | None = None,
    per_entity_cap: int = 3,
    seed: int = 0,
    balance: bool = False,
    max_new_tokens: int = MAX_NEW_TOKENS,
) -> QAPlan:
    """The budget of a `build_qa` run with these settings: pairs per type and stratum and, for a
    model generator, the calls, estimated tokens and cost (the configured prices per 1,000)."""
    from kgsynth.generators import generator_config
    from synth.tokens import estimate_tokens

    types = _check_types(types)
    kind, config = generator_config(ws, generator)
    view = GraphView.load(ws, seed=seed)
    selected, pools, balanced = _select(view, types, n, lang, per_entity_cap, seed, None, balance)
    out = QAPlan(
        per_type=dict(Counter(c.payload.qa_type for c in selected)),
        pools=pools,
        predicates=dict(Counter(c.strata.get("predicate", "") for c in selected).most_common()),
        entity_types=dict(Counter(c.strata.get("type", "") for c in selected).most_common()),
        balance=balanced,
        generator=generator,
    )
    if kind != "template":
        library, rng = TemplateLibrary(ws), random.Random(seed)
        sent = [_prompt(library, c.payload, rng, max_new_tokens) for c in selected]
        out.model_calls = len(sent)
        out.prompt_tokens = estimate_tokens(sent)
        out.completion_tokens = max_new_tokens * len(sent)
        price_in = getattr(config, "price_per_1k_input", 0.0)
        price_out = getattr(config, "price_per_1k_output", 0.0)
        if price_in or price_out:
            out.cost_usd = round(
                out.prompt_tokens / 1000 * price_in + out.completion_tokens / 1000 * price_out, 6
            )
    return out


# ---------------------------------------------------------------- selection


def _check_types(types) -> tuple[str, ...]:
    types = tuple(types)
    bad = [t for t in types if t not in QA_TYPES]
    if bad or not types:
        raise InputError(f"unknown QA type(s) {bad}; valid types: {', '.join(QA_TYPES)}")
    return types


def _select(view: GraphView, types, n: int, lang, cap: int, seed: int, quotas=None, balance=False):
    """Candidates per type: n split evenly (the first types get the remainder), or each type's
    quota. With `balance`, caps and quotas for even coverage (:mod:`synth.balance`). Returns the
    selection, the pool size per type, and with `balance` the figures of the default selection
    from the same pools ("before") and of the balanced one ("after")."""
    wants = dict(quotas) if quotas is not None else even_split(types, n)
    pools: dict[str, list[Candidate]] = {}
    for qa_type in types:
        if wants.get(qa_type, 0) <= 0:
            continue
        pool = candidates(view, qa_type, seed, wants[qa_type])
        pools[qa_type] = [c for c in pool if c.payload.lang == lang] if lang else pool
    sizes = {t: len(pool) for t, pool in pools.items()}
    plan = balance_quotas(wants, sizes) if balance and quotas is None else wants
    balancer = Balancer(pools, plan, cap, seed) if balance else None
    selected: list[Candidate] = []
    before: list[Candidate] = []
    for qa_type, pool in pools.items():
        if balancer is None:
            chosen = balanced_sample(pool, plan[qa_type], per_entity_cap=cap, seed=seed)
        else:
            chosen = balancer.sample(pool, plan[qa_type])
            before += balanced_sample(pool, wants[qa_type], per_entity_cap=cap, seed=seed)
        for c in chosen:
            c.payload.facts = c.payload.facts or [fact_line(view, r) for r in c.payload.relations]
        selected += chosen
    if balancer is None:
        return selected, sizes, None
    types_of = {eid: e.type for eid, e in view.entities.items()}
    figs = {"before": figures(before, types_of), "after": figures(selected, types_of)}
    figs["before"]["entity_cap"], figs["after"]["entity_cap"] = cap, balancer.cap
    return selected, sizes, figs


def _restricted(focus: Focus) -> dict[str, Any]:
    """What a restricted build was limited to, for its params (content hashes of the id sets)."""
    from kgsynth.ids import content_id

    return {
        "relations": len(focus.relation_ids),
        "chunks": len(focus.chunk_ids),
        "id": content_id(sorted(focus.relation_ids), sorted(focus.chunk_ids), prefix="focus_"),
    }


# ---------------------------------------------------------------- generation


def _generate(ws, selected: list[Candidate], gen, generator: str, seed, max_new_tokens, progress):
    """Render, generate in batches, check and turn into Examples; returns (examples, rejections, items)."""
    library = TemplateLibrary(ws)
    rng = random.Random(seed)
    prompts = [_prompt(library, c.payload, rng, max_new_tokens) for c in selected]
    examples: list[Example] = []
    rejected: Counter = Counter()
    items: list[PreviewItem] = []
    try:
        for start in range(0, len(prompts), BATCH):
            batch = prompts[start : start + BATCH]
            completions = gen.generate(batch)
            for prompt, cand, completion in zip(batch, selected[start:], completions, strict=False):
                example, reason = _example(cand.payload, prompt, completion.text, gen, generator)
                if reason:
                    rejected[reason] += 1
                else:
                    examples.append(example)
                items.append(PreviewItem(prompt=_text(prompt), example=example, rejected=reason))
            if progress:
                progress(min(start + BATCH, len(prompts)), len(prompts))
    finally:
        gen.close()
    return examples, rejected, items


def _prompt(library: TemplateLibrary, item: QAItem, rng: random.Random, max_new: int) -> Prompt:
    template_id = f"qa.{item.qa_type}"
    reference = library.render(template_id, item.lang, rng=rng, **item.vars)
    text = library.render(
        "qa.prompt",
        item.lang,
        qa_type=item.qa_type,
        facts=item.facts,
        evidence=[" ".join(s.split()) for s in _evidence(item)[:6]],
        answer=item.vars["answer"],
        draft=reference,
    )
    return Prompt.user(
        text, template_id=template_id, max_new_tokens=max_new, meta={"reference": reference}
    )


def _text(prompt: Prompt) -> str:
    return "\n\n".join(m.content for m in prompt.messages)


def _example(item: QAItem, prompt: Prompt, reply: str, gen, generator: str):
    """The checked Example for one completion, or (None, reason)."""
    parsed = parse_qa(reply)
    if parsed is None:
        return None, "unparseable reply"
    question, answer = parsed
    if not in_language(question, item.lang):
        return None, "wrong language"
    reason = check_answer(answer, item.expectation)
    if reason is None and item.context is not None and not _grounded(answer, item.context):
        reason = "answer not in context"
    if reason:
        return None, reason
    lang = item.lang
    text = question
    extra: dict[str, Any] = {}
    if item.context is not None:
        extra = {
            "question": question,
            "context": item.context,
            "answer_start": answer_start(item, answer),
        }
        ctx_label = CONTEXT_LABEL.get(lang, "Context")
        q_label = QUESTION_LABEL.get(lang, "Question")
        text = f"{ctx_label}: {item.context}\n{q_label}: {question}"
    task = f"qa.{item.qa_type}"
    model_mode = generator != "template"
    return (
        Example(
            id=example_id(task, text, answer, None),
            task=task,
            input=text,
            output=answer,
            lang=lang,
            label_source="model" if model_mode else "template",
            provenance=provenance(item),
            template_id=prompt.template_id,
            generator=generator,
            generator_params=gen.params(),
            meta={
                "qa_type": item.qa_type,
                **item.meta,
                **extra,
                **(
                    {"reference": prompt.meta["reference"], "prompt_template_id": "qa.prompt"}
                    if model_mode
                    else {}
                ),
            },
        ),
        None,
    )


def answer_start(item: QAItem, answer: str) -> int:
    """Where `answer` starts in the item's context: the candidate's own span when the answer is
    unchanged, else the occurrence nearest the question's sentence (-1 if absent)."""
    context = item.context or ""
    planned = item.meta.get("answer_start")
    if planned is not None and context[planned : planned + len(answer)] == answer:
        return planned
    near = item.meta.get("sentence_span", [0, 0])[0]
    found, i = [], context.find(answer)
    while i >= 0 and answer:
        found.append(i)
        i = context.find(answer, i + 1)
    return min(found, key=lambda j: abs(j - near)) if found else -1


def _grounded(answer: str, context: str) -> bool:
    return normalize(answer) in normalize(context)


def _evidence(item: QAItem) -> list[str]:
    out: list[str] = [item.meta["sentence"]] if item.meta.get("sentence") else []
    for r in item.relations:
        for ev in r.evidence[:MAX_EVIDENCE]:
            if ev.sentence not in out:
                out.append(ev.sentence)
    return out


def provenance(item: QAItem) -> Provenance:
    """Relation, triple, entity, chunk and doc ids, sentence and answer spans, cited sentences."""
    p = Provenance(entity_ids=list(dict.fromkeys(item.entity_ids)))
    for r in item.relations:
        p.relation_ids.append(r.id)
        for ev in r.evidence[:MAX_EVIDENCE]:
            _add(p.triple_ids, ev.triple_id)
            _add(p.chunk_ids, ev.chunk_id)
            _add(p.doc_ids, ev.doc_id)
            _add(p.evidence, ev.sentence)
            span = Span(chunk_id=ev.chunk_id, start=ev.start, end=ev.end)
            if span not in p.spans:
                p.spans.append(span)
    p.spans += [s for s in item.answer_spans if s not in p.spans]
    for span in item.answer_spans:
        _add(p.chunk_ids, span.chunk_id)
    _add(p.doc_ids, item.meta.get("doc_id", ""))
    _add(p.evidence, item.meta.get("sentence", ""))
    return p


def _add(items: list[str], value: str) -> None:
    if value and value not in items:
        items.append(value)
