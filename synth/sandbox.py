"""The Jinja sandbox for user templates, with limits: a template is untrusted code, so one render is
bounded in time, in loop steps and calls, in output, and in the size of any value it builds.

Jinja's own sandbox already refuses unsafe attributes; what it leaves open is resource use: nested
``range(100000)`` loops, ``'a' * 3000000000``, ``'x'.ljust(10**9)``, a string doubled in a loop.
:class:`BoundedSandbox` rewrites every ``for`` loop and ``~`` concatenation of a template as it is
compiled, so each loop step and each built string is checked against the budget of the render in
progress (:func:`limits`), and checks operators, calls and filters before and after they run.
Exceeding a limit raises :class:`RenderLimit`; :mod:`synth.templates` names the template.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from jinja2 import nodes
from jinja2.runtime import LoopContext
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import _PassArg
from jinja2.visitor import NodeTransformer

MAX_SECONDS = 2.0  # one render
MAX_STEPS = 200_000  # loop iterations, calls and outputs of one render
MAX_OUTPUT = 1_000_000  # characters one render produces
MAX_VALUE = 100_000  # characters (or items) of any one value a template builds
MAX_RANGE = 10_000  # items of range()
MAX_EXPONENT = 1_000
_BIG_WIDTH = re.compile(r"(?:%[-+ #0]*|\{[^{}]*:[^{}\d]*)\d{7,}")


class RenderLimit(Exception):
    """A render went over one of the limits (the message says which)."""


@dataclass
class _Budget:
    deadline: float
    steps: int = 0
    output: int = 0
    seen: list = field(default_factory=list)


_local = threading.local()


@contextmanager
def limits(seconds: float = MAX_SECONDS) -> Iterator[None]:
    """Bound the renders inside the block (one template render: one block)."""
    outer = getattr(_local, "budget", None)
    _local.budget = _Budget(deadline=time.monotonic() + seconds)
    try:
        yield
    finally:
        _local.budget = outer


def _tick(n: int = 1) -> None:
    budget = getattr(_local, "budget", None)
    if budget is None:
        return
    budget.steps += n
    if budget.steps > MAX_STEPS:
        raise RenderLimit(f"render limit: more than {MAX_STEPS:,} loop steps and calls")
    if budget.steps % 256 == 0 and time.monotonic() > budget.deadline:
        raise RenderLimit(f"render limit: ran longer than {MAX_SECONDS:g} s")


def size_of(value: Any, cap: int = MAX_VALUE) -> int:
    """Characters or items in `value` (nested lists counted through), stopping past `cap`."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() // 3  # about its decimal digits
    if isinstance(value, list | tuple | set | frozenset | dict):
        total = len(value)
        for item in value.values() if isinstance(value, dict) else value:
            if total > cap:
                break
            if isinstance(item, str | list | tuple | dict | int):
                total += size_of(item, cap - total)
        return total
    return 0


def checked(value: Any) -> Any:
    """`value` if it is within MAX_VALUE, else RenderLimit."""
    if size_of(value) > MAX_VALUE:
        raise _too_big()
    return value


def _check_format(text: Any) -> None:
    if isinstance(text, str) and _BIG_WIDTH.search(text):
        raise RenderLimit("render limit: a format width of a million or more")


def _too_big() -> RenderLimit:
    return RenderLimit(f"render limit: a value of more than {MAX_VALUE:,} characters or items")


def _expected_size(obj: Any, args: tuple) -> int:
    """What a string method about to run would build (the ones that can blow up)."""
    method = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, str):
        return 0
    name = getattr(method, "__name__", "")
    if name in ("format", "format_map"):
        _check_format(owner)
    if not args:
        return 0
    if name == "replace" and len(args) >= 2:
        hits = owner.count(str(args[0])) if args[0] else len(owner) + 1
        return len(owner) + hits * len(str(args[1]))
    if name == "expandtabs" and isinstance(args[0], int):
        return len(owner) * max(args[0], 1)
    if name in ("center", "ljust", "rjust", "zfill") and isinstance(args[0], int):
        return args[0]
    if name == "join" and isinstance(args[0], list | tuple):
        return len(owner) * len(args[0]) + sum(size_of(x) for x in args[0])
    return 0


def guard_iter(iterable: Any) -> Iterator:
    """A loop's items, counted against the render's step budget."""
    for item in iterable:
        _tick()
        yield item


def bounded_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise RenderLimit(f"render limit: range() of more than {MAX_RANGE:,} items")
    return r


def _bounded_join(pieces: Iterable[str]) -> str:
    """Join a render's output, stopping it as soon as it passes MAX_OUTPUT."""
    out: list[str] = []
    total = 0
    for piece in pieces:
        total += len(piece)
        if total > MAX_OUTPUT:
            raise RenderLimit(f"render limit: output of more than {MAX_OUTPUT:,} characters")
        out.append(piece)
    return "".join(out)


def _guard_filter(fn):
    """A filter checked like a call: no huge numeric argument, no huge result."""
    if getattr(fn, "_kgsynth_bounded", False):
        return fn
    skip = 2 if _PassArg.from_obj(fn) is not None else 1  # (context,) value, then the arguments

    @functools.wraps(fn)  # keeps jinja_pass_arg, so context-taking filters still get it
    def bounded(*args, **kwargs):
        _tick()
        value, rest = (args[skip - 1] if len(args) >= skip else None), args[skip:]
        for a in (*rest, *kwargs.values()):
            if isinstance(a, int) and not isinstance(a, bool) and abs(a) > MAX_VALUE:
                raise RenderLimit(f"render limit: a filter argument over {MAX_VALUE:,}")
        name = getattr(fn, "__name__", "")
        if name == "do_format":
            _check_format(value)
        if name in ("do_indent", "do_replace") and isinstance(value, str):
            _check_growth(name, value, rest, kwargs)
        return checked(fn(*args, **kwargs))

    bounded._kgsynth_bounded = True
    return bounded


def _check_growth(name: str, text: str, args: tuple, kwargs: dict) -> None:
    if name == "do_indent":
        width = kwargs.get("width", args[0] if args else 4)
        grow = (text.count("\n") + 1) * (width if isinstance(width, int) else len(str(width)))
    elif len(args) >= 2:  # replace(old, new)
        old, new = str(args[0]), str(args[1])
        grow = (text.count(old) if old else len(text) + 1) * len(new)
    else:
        grow = 0
    if len(text) + grow > MAX_VALUE:
        raise _too_big()


class _Instrument(NodeTransformer):
    """Every for loop iterates through guard_iter; every ``~`` result goes through checked."""

    def __init__(self, env):
        self.env = env

    def _wrap(self, name: str, node: nodes.Expr) -> nodes.Call:
        call = nodes.Call(nodes.Name(name, "load"), [node], [], None, None)
        call.set_lineno(node.lineno)
        call.set_environment(self.env)
        return call

    def visit_For(self, node: nodes.For) -> nodes.For:
        node = self.generic_visit(node)
        node.iter = self._wrap("__kgsynth_iter", node.iter)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Call:
        return self._wrap("__kgsynth_checked", self.generic_visit(node))


class BoundedSandbox(SandboxedEnvironment):
    """A SandboxedEnvironment whose renders stay within the limits of this module."""

    intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

    def __init__(self, **options):
        super().__init__(finalize=self._count_output, **options)
        self.globals.pop("lipsum", None)  # no use in a prompt; lipsum(10**5) is a lot of text
        self.globals["range"] = bounded_range
        self.globals["__kgsynth_iter"] = guard_iter
        self.globals["__kgsynth_checked"] = checked

    def concat(self, pieces: Iterable[str]) -> str:  # the join of a whole render's output
        return _bounded_join(pieces)

    def _parse(self, source, name, filename):
        for key, fn in list(self.filters.items()):
            self.filters[key] = _guard_filter(fn)
        return _Instrument(self).visit(super()._parse(source, name, filename))

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        _tick()
        numbers = isinstance(left, int | float) and isinstance(right, int | float)
        if operator == "**" and numbers and abs(right) > MAX_EXPONENT and abs(left) > 1:
            raise RenderLimit(f"render limit: an exponent over {MAX_EXPONENT:,}")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                sized = isinstance(n, int) and isinstance(seq, str | list | tuple)
                if sized and size_of(seq) * n > MAX_VALUE:
                    raise _too_big()
        if operator == "%":
            _check_format(left)
        return checked(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's own signature)
        _tick()
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level
            args = (guard_iter(args[0]), *args[1:])
        if _expected_size(__obj, args) > MAX_VALUE:
            raise _too_big()
        return checked(super().call(__context, __obj, *args, **kwargs))

    def _count_output(self, value: Any) -> Any:
        """Count each ``{{ }}`` output against the render's output budget."""
        budget = getattr(_local, "budget", None)
        if budget is not None:
            budget.output += size_of(value, MAX_OUTPUT)
            if budget.output > MAX_OUTPUT:
                raise RenderLimit(f"render limit: output of more than {MAX_OUTPUT:,} characters")
        _tick()
        return value
