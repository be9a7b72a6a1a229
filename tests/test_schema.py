"""Label schemas: good YAML loads, bad YAML fails with one line naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgsynth.errors import ConfigError
from synth.schema import LabelSchema, LabelSpec, coerce_schema, load_schema

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "bbc_schema.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schema.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_schema_loads():
    schema = load_schema(EXAMPLE)
    assert schema.names == ["business", "entertainment", "politics", "sports", "tech"]
    assert all(spec.description for spec in schema.labels)


def test_full_schema_with_keywords_and_seeds(tmp_path):
    path = write(
        tmp_path,
        """
task: support tickets
labels:
  - name: billing
    description: Invoices and payments.
    keywords: [invoice, refund]
    seeds: ["I was charged twice this month."]
  - name: bug
    description: Something is broken.
""",
    )
    schema = load_schema(path)
    assert schema.task == "support tickets"
    assert schema.label("billing").keywords == ["invoice", "refund"]
    assert schema.label("billing").seeds == ["I was charged twice this month."]
    assert schema.label("bug").seeds == []


def test_mapping_form(tmp_path):
    path = write(tmp_path, "labels:\n  spam: Unwanted mail.\n  ham:\n    description: Real mail.\n")
    schema = load_schema(path)
    assert schema.names == ["spam", "ham"]
    assert schema.label("ham").description == "Real mail."


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("labels: [a, b\n", "invalid YAML"),
        ("task: x\n", "labels: missing"),
        ("labels: [only]\n", "at least 2 labels"),
        ("labels:\n  - name: a\n  - name: a\n", "labels.1.name: duplicate"),
        ("labels:\n  - name: a\n    keywords: 5\n  - name: b\n", "labels.0(a).keywords"),
        ("labels:\n  - name: a\n    colour: red\n  - name: b\n", "labels.0(a).colour"),
        ("labels:\n  - description: no name\n  - name: b\n", "labels.0.name"),
        ("labels:\n  - name: a\n    seeds: ['  ']\n  - name: b\n", "labels.0(a).seeds"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_bad_schema_one_line_error(tmp_path, text, needle):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_schema(path)
    message = str(err.value)
    assert needle in message
    assert "\n" not in message
    assert str(path) in message


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_schema(tmp_path / "nope.yaml")


def test_with_seeds_and_coerce():
    schema = LabelSchema(labels=[LabelSpec(name="a"), LabelSpec(name="b", seeds=["x"])])
    seeded = schema.with_seeds({"a": ["one"], "b": ["x", "two"]})
    assert seeded.label("a").seeds == ["one"]
    assert seeded.label("b").seeds == ["x", "two"]
    assert coerce_schema(seeded) is seeded
    assert coerce_schema({"labels": ["p", "q"]}).names == ["p", "q"]
    with pytest.raises(ConfigError, match="unknown labels: c"):
        schema.with_seeds({"c": ["z"]})
    with pytest.raises(ConfigError, match="not in the schema"):
        schema.label("zzz")
