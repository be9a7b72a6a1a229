"""Turning a Chinese graph predicate into Chinese clauses for questions and statements.

The ``zh`` extractor writes four shapes of predicate (see kg/zh_relations.py); each reads differently:

    role    总统    奥巴马是美国的总统      谁是美国的总统？ / 奥巴马是哪里的总统？
    yu      位于    华为公司位于深圳        华为公司位于哪里？ / 哪个机构位于深圳？
    verb    会见    习近平会见了奥巴马      习近平会见了谁？ / 谁会见了奥巴马？
    co      签署    中国与美国签署了协议    中国与哪个地方签署了协议？

The question word follows the answer's type: 谁 (person), 哪里 (place), 何时 (date), 哪个机构
(organisation), 多少 (counts). These functions are Jinja globals of :class:`synth.templates.TemplateLibrary`.
"""

from __future__ import annotations

VERBS = frozenset({"会见", "访问", "创办", "收购", "率领", "加入"})
CO_PHRASES = {
    "签署": "签署了协议",
    "会谈": "举行了会谈",
    "合作": "开展了合作",
    "建交": "建立了外交关系",
}
# A co-verb's partner as a noun: 拉美的合作伙伴 (never 与与拉美开展了合作的地方 inside another 与-phrase).
CO_PARTNERS = {"签署": "签约方", "会谈": "会谈对象", "合作": "合作伙伴", "建交": "建交国"}
YU_STEMS = {"位于": "所在", "总部位于": "总部所在", "属于": "所属", "任职于": "任职"}
PLACE_TYPES = frozenset({"GPE", "LOC", "FAC"})
KINDS = {
    "PERSON": "人物",
    "ORG": "机构",
    "GPE": "地方",
    "LOC": "地方",
    "FAC": "设施",
    "DATE": "时间",
}


def form(predicate: str) -> str:
    """'role', 'yu', 'verb' or 'co' (from the predicate's shape; non-Chinese predicates are verbs)."""
    if predicate in CO_PHRASES:
        return "co"
    if predicate in VERBS or not predicate or predicate.isascii():
        return "verb"
    if predicate.endswith("于") or predicate in YU_STEMS:
        return "yu"
    return "role"


def wh(type_: str, many: bool = False, count: bool = False, co: bool = False) -> str:
    """The question word for an answer of this type: 谁 / 哪里 / 何时 / 哪个机构 / 多少个…."""
    if type_ not in KINDS and (co or many or count):  # of mixed kinds: 哪些方, 多少方
        return "多少方" if count else ("哪些方" if many else "哪一方")
    kind = KINDS.get(type_, "实体")
    if count:
        return "多少人" if type_ == "PERSON" else f"多少个{kind}"
    if type_ == "PERSON":
        return "哪些人" if many else "谁"
    if type_ == "DATE":
        return "何时"
    if type_ in PLACE_TYPES and not many and not co:
        return "哪里"
    return f"哪些{kind}" if many else f"哪个{kind}"


# One pattern per predicate shape and sentence kind; {s} subject, {o} object, {p} predicate,
# {w} the question word, {co} the co-verb phrase (签署了协议).
PATTERNS = {
    "role": {"statement": "{s}是{o}的{p}", "object": "{s}是{w}的{p}", "subject": "{w}是{o}的{p}", "yes_no": "{s}是{o}的{p}吗"},
    "yu": {"statement": "{s}{p}{o}", "object": "{s}{p}{w}", "subject": "{w}{p}{o}", "yes_no": "{s}是否{p}{o}"},
    "co": {"statement": "{s}与{o}{co}", "object": "{s}与{w}{co}", "subject": "{w}与{o}{co}", "yes_no": "{s}是否与{o}{co}"},
    "verb": {"statement": "{s}{p}了{o}", "object": "{s}{p}了{w}", "subject": "{w}{p}了{o}", "yes_no": "{s}是否{p}了{o}"},
}  # fmt: skip


def _fill(kind: str, predicate: str, s: str = "", o: str = "", w: str = "") -> str:
    co = CO_PHRASES.get(predicate, "")
    return PATTERNS[form(predicate)][kind].format(s=s, o=o, p=predicate, w=w, co=co)


def statement(subject: str, predicate: str, obj: str) -> str:
    """奥巴马是美国的总统 / 华为公司位于深圳 / 习近平会见了奥巴马 / 中国与美国签署了协议."""
    return _fill("statement", predicate, subject, obj)


def ask_object(subject: str, predicate: str, type_: str, many: bool = False, count: bool = False):
    """A question (no '？') whose answer is the object: 奥巴马是哪里的总统 / 习近平会见了谁."""
    w = wh(type_, many, count, co=form(predicate) == "co")
    return _fill("object", predicate, subject, w=w)


def ask_subject(predicate: str, obj: str, type_: str, many: bool = False, count: bool = False):
    """A question (no '？') whose answer is the subject: 谁是美国的总统 / 哪个机构位于深圳."""
    shape = form(predicate)
    if count and shape == "role":
        return f"{obj}有多少位{predicate}"
    w = wh(type_, many, count, co=shape == "co")
    return _fill("subject", predicate, o=obj, w=f"有{w}" if count else w)


def ask_yes_no(subject: str, predicate: str, obj: str) -> str:
    """奥巴马是美国的总统吗 / 华为公司的总部是否位于深圳 / 习近平是否会见了奥巴马."""
    if predicate.startswith("总部") and form(predicate) == "yu":
        return f"{subject}的总部是否{predicate.removeprefix('总部')}{obj}"
    return _fill("yes_no", predicate, subject, obj)


def relative(start: str, predicate: str, forward: bool, type_: str) -> str:
    """The entity one hop from `start`, as a noun phrase: 美国的总统 / 习近平会见的人物 / 位于深圳的机构."""
    shape, kind = form(predicate), KINDS.get(type_, "实体")
    if shape == "role":
        return f"{start}的{predicate}" if not forward else f"{start}担任{predicate}的{kind}"
    if shape == "co":
        return f"{start}的{CO_PARTNERS[predicate]}"
    if shape == "yu":
        stem = YU_STEMS.get(predicate, predicate.removesuffix("于"))
        return f"{start}{stem}的{kind}" if forward else f"{predicate}{start}的{kind}"
    return f"{start}{predicate}的{kind}" if forward else f"{predicate}{start}的{kind}"


def ask_chain(start: str, hops: list[dict], end_type: str) -> str:
    """A multi-hop question (no '？'): each hop but the last becomes a noun phrase, the last is asked.

    ``hops`` are the multi-hop template's hops (predicate, forward, type of the entity reached).
    """
    phrase = start
    for hop in hops[:-1]:
        phrase = relative(phrase, hop["predicate"], hop["forward"], hop.get("type", ""))
    last = hops[-1]
    if last["forward"]:
        return ask_object(phrase, last["predicate"], end_type)
    return ask_subject(last["predicate"], phrase, end_type)


JINJA_GLOBALS = {
    "zh_statement": statement,
    "zh_ask_object": ask_object,
    "zh_ask_subject": ask_subject,
    "zh_ask_yes_no": ask_yes_no,
    "zh_ask_chain": ask_chain,
    "zh_form": form,
}
