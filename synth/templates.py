"""Jinja templates for prompts and direct renderings, shipped in the package and overridable per workspace.

A template lives in ``synth/templates/<lang>/<template_id>.j2``; a file with the same name in
``<workspace>/templates/<lang>/`` replaces it. A file may hold several phrasings separated by a line
``{# --- #}``; :meth:`TemplateLibrary.render` picks one with the caller's seeded RNG, so template-mode
datasets are not monotonous. Rendering is sandboxed (user templates are untrusted), bounded in time,
loop steps, output and value sizes (:mod:`synth.sandbox`), and strict: a missing variable or a
runaway template raises :class:`TemplateError` naming the template, the line and the cause.

Template authors get these filters: ``kind`` (entity type → noun, ``kind(true)`` plural), ``words``
(``work_for`` → ``work for``), ``third_person``, ``article``, ``ucfirst``, ``join_names``; and these
globals (:mod:`synth.phrasing`): ``statement``, ``ask_object``, ``ask_subject``, ``ask_yes_no``,
``predicate_form``; and for Chinese (:mod:`synth.zh_phrasing`) ``zh_statement``, ``zh_ask_object``,
``zh_ask_subject``, ``zh_ask_yes_no``, ``zh_ask_chain``, ``zh_form``. Every template also sees ``lang``.

QA renderings print ``Question: ...`` and ``Answer: ...`` lines (``问题：``/``答案：`` also parse); model
prompts ask for the same format, so :func:`parse_qa` reads both.
"""

from __future__ import annotations

import json
import random
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, pass_context

from kgsynth.errors import ConfigError
from synth.phrasing import JINJA_GLOBALS, article, third_person, ucfirst
from synth.sandbox import BoundedSandbox, limits
from synth.zh_phrasing import JINJA_GLOBALS as ZH_GLOBALS

PACKAGE_DIR = Path(__file__).parent / "templates"
VARIANT_SEPARATOR = re.compile(r"^\{#\s*-{3,}\s*#\}\s*$", re.MULTILINE)

# Entity types (spaCy labels) as nouns, for "which person/organization ..." questions.
KIND_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "PERSON": "person",
        "ORG": "organization",
        "GPE": "place",
        "LOC": "location",
        "NORP": "group",
        "FAC": "facility",
        "PRODUCT": "product",
        "EVENT": "event",
        "WORK_OF_ART": "work",
        "LAW": "law",
        "LANGUAGE": "language",
        "DATE": "date",
        "TIME": "time",
        "MONEY": "amount",
        "PERCENT": "percentage",
        "QUANTITY": "quantity",
        "CARDINAL": "number",
        "ORDINAL": "rank",
        "CONCEPT": "category",
    },
    "zh": {
        "PERSON": "人物",
        "ORG": "机构",
        "GPE": "地点",
        "LOC": "地点",
        "NORP": "群体",
        "FAC": "设施",
        "PRODUCT": "产品",
        "EVENT": "事件",
        "DATE": "日期",
        "MONEY": "金额",
        "CONCEPT": "类别",
    },
}


class TemplateError(ConfigError):
    """A template failed to load or render; the message names the template, the line and the cause."""

    def __init__(self, message: str, template_id: str = "", line: int | None = None):
        super().__init__(message)
        self.template_id = template_id
        self.line = line


@dataclass(frozen=True)
class _Variant:
    template: Any  # jinja2.Template
    path: Path


@pass_context
def _kind(ctx, type_: str, plural: bool = False) -> str:
    lang = ctx.get("lang", "en")
    word = KIND_WORDS.get(lang, KIND_WORDS["en"]).get(str(type_), "")
    if not word:
        word = "实体" if lang == "zh" else "entity"
    if plural and lang != "zh":
        if word == "person":
            return "people"
        word = word[:-1] + "ies" if word.endswith("y") else word + "s"
    return word


def humanize_predicate(predicate: str) -> str:
    """``work_for`` → ``work for``: the predicate as words."""
    return predicate.replace("_", " ").replace("-", " ").strip()


def join_names(items: list[str], lang: str = "en") -> str:
    """``["A", "B", "C"]`` → ``A, B and C`` (``A、B、C`` in Chinese)."""
    items = [str(i) for i in items]
    if lang == "zh":
        return "、".join(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


class TemplateLibrary:
    """The packaged templates plus the workspace's overrides, compiled once per (id, lang)."""

    def __init__(self, ws=None, user_dir: Path | None = None):
        self.user_dir = user_dir or (ws.path / "templates" if ws is not None else None)
        self.env = BoundedSandbox(
            undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False
        )
        self.env.filters["kind"] = _kind
        self.env.filters["words"] = humanize_predicate
        self.env.filters["join_names"] = join_names
        self.env.filters["third_person"] = third_person
        self.env.filters["article"] = article
        self.env.filters["ucfirst"] = ucfirst
        self.env.globals.update(JINJA_GLOBALS)
        self.env.globals.update(ZH_GLOBALS)
        self._cache: dict[tuple[str, str], list[_Variant]] = {}

    # ------------------------------------------------------------ lookup

    def ids(self, lang: str = "en") -> list[str]:
        """Template ids available in `lang` (packaged and user)."""
        found = {p.stem for p in (PACKAGE_DIR / lang).glob("*.j2")}
        if self.user_dir is not None:
            found |= {p.stem for p in (self.user_dir / lang).glob("*.j2")}
        return sorted(found)

    def path(self, template_id: str, lang: str = "en") -> Path:
        """The file that defines the template: the user's override if present, else the packaged one."""
        self.path_check(template_id)
        for root in (self.user_dir, PACKAGE_DIR):
            for code in (lang, "en"):
                if root is not None and (root / code / f"{template_id}.j2").is_file():
                    return root / code / f"{template_id}.j2"
        raise TemplateError(
            f"template {template_id!r} not found for lang {lang!r}; known: {', '.join(self.ids(lang))}",
            template_id,
        )

    def source(self, template_id: str, lang: str = "en") -> str:
        return self.path(template_id, lang).read_text(encoding="utf-8")

    def variants(self, template_id: str, lang: str = "en") -> int:
        """How many phrasings the template has."""
        return len(self._compiled(template_id, lang))

    def save(self, template_id: str, text: str, lang: str = "en") -> Path:
        """Write a user override after checking that it compiles; returns its path."""
        if self.user_dir is None:
            raise TemplateError("no workspace: user templates need one", template_id)
        self.path_check(template_id)
        target = self.user_dir / lang / f"{template_id}.j2"
        self._compile(template_id, target, text)  # raises TemplateError with the line
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        self._cache.pop((template_id, lang), None)
        return target

    @staticmethod
    def path_check(template_id: str) -> None:
        if (
            not template_id
            or "/" in template_id
            or "\\" in template_id
            or template_id.startswith(".")
        ):
            raise TemplateError(f"bad template id {template_id!r}", template_id)

    # ------------------------------------------------------------ rendering

    def render(
        self,
        template_id: str,
        lang: str = "en",
        *,
        rng: random.Random | None = None,
        variant: int | None = None,
        **vars: Any,
    ) -> str:
        """Render one phrasing (picked by `rng`, or `variant`, else the first) with `vars`."""
        compiled = self._compiled(template_id, lang)
        if variant is None:
            variant = rng.randrange(len(compiled)) if rng is not None else 0
        chosen = compiled[variant % len(compiled)]
        try:
            with limits():
                text = chosen.template.render(lang=lang, **vars)
        except UndefinedError as e:
            line = _template_line(e, str(chosen.path))
            raise TemplateError(
                f"template {template_id!r} ({chosen.path.name}, line {line}): {e.message}",
                template_id,
                line,
            ) from e
        except Exception as e:  # sandbox violations, render limits, type errors in user templates
            line = _template_line(e, str(chosen.path))
            raise TemplateError(
                f"template {template_id!r} ({chosen.path.name}, line {line}): {e}",
                template_id,
                line,
            ) from e
        return _tidy(text)

    def _compiled(self, template_id: str, lang: str) -> list[_Variant]:
        key = (template_id, lang)
        if key not in self._cache:
            path = self.path(template_id, lang)
            self._cache[key] = self._compile(template_id, path)
        return self._cache[key]

    def _compile(self, template_id: str, path: Path, source: str | None = None) -> list[_Variant]:
        if source is None:
            source = path.read_text(encoding="utf-8")
        out: list[_Variant] = []
        start = 0
        bounds = [(m.start(), m.end()) for m in VARIANT_SEPARATOR.finditer(source)]
        for cut, after in [*bounds, (len(source), len(source))]:
            part = source[start:cut]
            # pad with newlines so Jinja's line numbers are the file's line numbers
            padded = "\n" * source.count("\n", 0, start) + part
            if part.strip():
                try:
                    tpl = self.env.from_string(padded)
                except TemplateSyntaxError as e:
                    raise TemplateError(
                        f"template {template_id!r} ({path.name}, line {e.lineno}): {e.message}",
                        template_id,
                        e.lineno,
                    ) from e
                tpl.filename = str(path)
                out.append(_Variant(tpl, path))
            start = after
        if not out:
            raise TemplateError(f"template {template_id!r} ({path}) is empty", template_id)
        return out


def _template_line(exc: BaseException, filename: str) -> int | None:
    """The template line where rendering failed, from the traceback Jinja rewrote."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename in (filename, "<template>"):
            line = frame.lineno
    return line


def _tidy(text: str) -> str:
    lines = [re.sub(r"[ \t]+", " ", ln).strip() for ln in text.strip().splitlines()]
    out: list[str] = []
    for ln in lines:
        if ln or (out and out[-1]):
            out.append(ln)
    return "\n".join(out).strip()


_Q = re.compile(r"^\s*(?:question|q|问题)\s*[:：]\s*(.*)$", re.IGNORECASE)
_A = re.compile(r"^\s*(?:answer|a|答案)\s*[:：]\s*(.*)$", re.IGNORECASE)


def parse_qa(text: str) -> tuple[str, str] | None:
    """Read ``(question, answer)`` from a rendering or a model reply (lines or a JSON object)."""
    text = text.strip()
    m = re.search(r"\{.*\}", text, re.DOTALL)
    if m:
        try:
            data = json.loads(m.group(0))
            if isinstance(data, dict) and data.get("question") and data.get("answer") is not None:
                return str(data["question"]).strip(), str(data["answer"]).strip()
        except json.JSONDecodeError:
            pass
    question: list[str] = []
    answer: list[str] = []
    current = None
    for line in text.splitlines():
        if (q := _Q.match(line)) and not question:
            current = question
            line = q.group(1)
        elif ((a := _A.match(line)) or (a := _ANSWER_IS.match(line))) and not answer:
            current = answer
            line = a.group(1)
        if current is not None and line.strip():
            current.append(line.strip())
    if not question or not answer:
        return _parse_prose(text)
    return " ".join(question), " ".join(answer)


_ANSWER_IS = re.compile(r"^\s*(?:so,? )?the answer (?:is|would be)[:\s]+(.+?)\s*$", re.IGNORECASE)
_QUOTED = re.compile(
    r"question\s*[\"“]([^\"”]+\?)[\"”]\s*(?:is|would be)[:\s]+(.+?)\s*$", re.IGNORECASE | re.DOTALL
)


def _parse_prose(text: str) -> tuple[str, str] | None:
    """Small models often answer in prose: 'The answer to the question "Q?" is A.'"""
    if m := _QUOTED.search(text):
        return m.group(1).strip(), m.group(2).strip().strip('".').strip()
    return None
