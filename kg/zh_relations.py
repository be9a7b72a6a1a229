"""Typed Chinese relations read off one sentence: its typed spans and the words between them.

Three reliable shapes (both ends are typed spans of the same clause — no ，。；between them):

- role apposition: ``美国总统奥巴马`` / ``阿里巴巴集团董事局主席马云`` → (奥巴马, 总统, 美国): a place or
  organisation, a role word, then a person. ``X担任/出任/当选Y的ROLE`` reads the same way.
- subject–verb–object: ``习近平在北京会见了奥巴马`` → (习近平, 会见, 奥巴马); the subject is the nearest
  span of an allowed type before the verb, the object the first allowed span after it.
- co-verb: ``中国与美国签署了协议`` → (中国, 签署, 美国): ``与/和/同`` marks the partner.

Predicates are Chinese words (会见, 位于, 总统, ...), so questions and statements read as Chinese;
:mod:`synth.zh_phrasing` knows which shape each one has.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from kg.zh_ner import Span, word_set

PERSON, GPE, ORG, DATE = "PERSON", "GPE", "ORG", "DATE"
PLACE = frozenset({GPE, "LOC", "FAC"})
AGENT = frozenset({PERSON, ORG, GPE})
INSTITUTION = frozenset({ORG, GPE})
PEOPLE = frozenset({PERSON, ORG})
CLAUSE_BREAK = re.compile(r"[，,。；;！!？?：:、（(）)“”\"]")
MAX_GAP = 16  # characters between a subject and its verb
MAX_OBJECT_GAP = 8  # characters between a verb and its object (会见了美国总统克林顿)

# Role words: "<place or organisation> <role> <person>" means the person holds that role there.
ROLES = tuple(
    sorted(
        word_set(
            "总统 副总统 主席 副主席 总理 副总理 首相 国务卿 部长 副部长 外长 外交部长 大使 总书记 书记 "
            "委员长 秘书长 主任 董事长 董事局主席 总经理 首席执行官 执行官 总裁 副总裁 行长 校长 院长 局长 "
            "厅长 省长 市长 县长 区长 州长 国王 女王 议长 发言人 创始人 主教练 教练 队长 主编 社长 会长 "
            "首席科学家 教授"
        ),
        key=lambda w: (-len(w), w),
    )
)
DEPUTY = "副"
HOLD_VERBS = ("担任", "出任", "当选为", "当选", "就任", "兼任", "任")


@dataclass(frozen=True)
class Verb:
    """A verb pattern: the canonical predicate and the span types each end may have."""

    predicate: str
    subjects: frozenset[str]
    objects: frozenset[str]


VERBS: dict[str, Verb] = {
    **dict.fromkeys(
        ("会见", "会晤", "接见", "拜会"), Verb("会见", frozenset({PERSON}), frozenset({PERSON}))
    ),
    # a place "visits" only in misreadings (正在洛杉矶访问的中国国家主席): people and organisations
    **dict.fromkeys(("访问", "出访", "到访", "抵达"), Verb("访问", PEOPLE, PLACE | {ORG})),
    **dict.fromkeys(("位于", "坐落于", "地处"), Verb("位于", INSTITUTION | PLACE, PLACE)),
    **dict.fromkeys(("总部设在", "总部位于"), Verb("总部位于", frozenset({ORG}), PLACE)),
    **dict.fromkeys(("属于", "隶属于", "隶属"), Verb("属于", AGENT, INSTITUTION)),
    **dict.fromkeys(
        ("成立于", "创立于", "创建于", "始建于"), Verb("成立于", INSTITUTION, PLACE | {DATE})
    ),
    **dict.fromkeys(("出生于", "生于"), Verb("出生于", frozenset({PERSON}), PLACE | {DATE})),
    **dict.fromkeys(("毕业于",), Verb("毕业于", frozenset({PERSON}), frozenset({ORG}))),
    **dict.fromkeys(
        ("创办", "创立", "创建", "创办了"), Verb("创办", frozenset({PERSON}), frozenset({ORG}))
    ),
    **dict.fromkeys(("收购", "并购"), Verb("收购", frozenset({ORG}), frozenset({ORG}))),
    **dict.fromkeys(("率领",), Verb("率领", frozenset({PERSON}), frozenset({ORG}))),
    **dict.fromkeys(("加入",), Verb("加入", AGENT, frozenset({ORG}))),
    **dict.fromkeys(
        ("任职于", "就职于", "供职于"), Verb("任职于", frozenset({PERSON}), frozenset({ORG}))
    ),
}
CO_VERBS: dict[str, str] = {
    "签署": "签署",
    "签订": "签署",
    "会谈": "会谈",
    "举行会谈": "会谈",
    "会晤": "会见",
    "合作": "合作",
    "建交": "建交",
}
PARTNER_MARKS = ("与", "和", "同")
# Words before a verb that make it a plan, a wish or a denial rather than something that happened.
NOT_DONE = tuple(word_set("申请 准备 计划 拟 希望 要求 争取 早日 将 将要 即将 未能 没有 没 不 未"))
_VERB_PATTERN = re.compile("|".join(sorted(map(re.escape, VERBS), key=len, reverse=True)))
_CO_PATTERN = re.compile("|".join(sorted(map(re.escape, CO_VERBS), key=len, reverse=True)))


def relations(sentence: str, spans: list[Span]) -> Iterator[tuple[Span, str, Span]]:
    """(subject, predicate, object) triples of one sentence, each at most once."""
    seen: set[tuple[int, str, int]] = set()
    for subj, pred, obj in (
        *_roles(sentence, spans),
        *_verbs(sentence, spans),
        *_co(sentence, spans),
    ):
        key = (subj.start, pred, obj.start)
        if subj != obj and key not in seen:
            seen.add(key)
            yield subj, pred, obj


def _roles(sentence: str, spans: list[Span]):
    """美国总统奥巴马 → (奥巴马, 总统, 美国); 马云担任阿里巴巴集团董事局主席 → (马云, 董事局主席, 阿里巴巴集团)."""
    for a, b in zip(spans, spans[1:], strict=False):
        between = sentence[a.end : b.start].removeprefix("的")
        role = _role(between)
        posted = sentence[: a.start].endswith("驻")  # 驻墨西哥大使: an envoy *to* Mexico
        if a.type in INSTITUTION and b.type == PERSON and role and not posted:
            yield b, role, a
    for i, person in enumerate(spans):
        if person.type != PERSON:
            continue
        for inst in spans[i + 1 : i + 3]:
            between = sentence[person.end : inst.start]
            verb = next((v for v in HOLD_VERBS if between.endswith(v)), None)
            if inst.type not in INSTITUTION or verb is None or CLAUSE_BREAK.search(between):
                continue
            after = sentence[inst.end : inst.end + 8].removeprefix("的")
            role = next((r for r in ROLES if after.removeprefix(DEPUTY).startswith(r)), None)
            role = DEPUTY + role if role and after.startswith(DEPUTY) else role
            if role:
                yield person, role, inst


def _role(text: str) -> str | None:
    """The role word itself, a deputy's included (副部长 is not 部长)."""
    if text in ROLES:
        return text
    if text.startswith(DEPUTY) and text.removeprefix(DEPUTY) in ROLES:
        return text
    return None


def _verbs(sentence: str, spans: list[Span]):
    for m in _VERB_PATTERN.finditer(sentence):
        if sentence[: m.start()].endswith(NOT_DONE):
            continue  # 申请加入, 将访问, 没有会见: not (yet) a fact
        verb = VERBS[m.group(0)]
        subj = _nearest_before(sentence, spans, m.start(), verb.subjects)
        obj = _first_after(sentence, spans, m.end(), verb.objects)
        if subj is not None and obj is not None:
            yield subj, verb.predicate, obj


def _co(sentence: str, spans: list[Span]):
    """A与B签署了协议 → (A, 签署, B)."""
    for m in _CO_PATTERN.finditer(sentence):
        partner = _nearest_before(sentence, spans, m.start(), AGENT)
        if partner is None or not sentence[: partner.start].endswith(PARTNER_MARKS):
            continue
        mark_at = partner.start - 1
        subj = _nearest_before(sentence, spans, mark_at, frozenset({partner.type}) | AGENT)
        if subj is not None and subj.end == mark_at:
            yield subj, CO_VERBS[m.group(0)], partner


def _nearest_before(sentence: str, spans: list[Span], at: int, types) -> Span | None:
    for s in reversed(spans):
        if s.end <= at:
            gap = sentence[s.end : at]
            # 香港特区的终审权属于…: a span followed by 的 modifies the subject, it is not one
            if len(gap) > MAX_GAP or CLAUSE_BREAK.search(gap) or "的" in gap:
                return None
            if s.type in types:
                return s
    return None


def _first_after(sentence: str, spans: list[Span], at: int, types) -> Span | None:
    for s in spans:
        if s.start >= at:
            gap = sentence[at : s.start]
            if len(gap) > MAX_OBJECT_GAP or CLAUSE_BREAK.search(gap):
                return None
            if s.type in types:
                return s
    return None
