"""The cleaning filter interface and its registry: what every filter module builds on."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from kgsynth.registry import Registry
from kgsynth.types import Example

Progress = Callable[[int, int], None] | None


@dataclass
class Removed:
    example: Example
    reason: str


@dataclass
class CleanContext:
    """What a filter may need besides the examples: the workspace and user evaluation sets."""

    ws: Any = None
    eval_sets: list[Path] = field(default_factory=list)
    progress: Progress = None


class Filter(ABC):
    """One cleaning step. Options come from ``clean(options={name: {...}})`` as keyword args."""

    name: ClassVar[str] = ""
    # True when each example is judged on its own (kept in order, at most one copy each): the
    # filter then runs on the workspace's engine, over batches of examples, with the same result.
    rowwise: ClassVar[bool] = False

    @abstractmethod
    def apply(
        self, examples: list[Example], ctx: CleanContext
    ) -> tuple[list[Example], list[Removed]]:
        """Return the examples kept (possibly modified copies) and those removed, with a reason."""


FILTERS: Registry[type[Filter]] = Registry("filters")
