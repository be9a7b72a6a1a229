"""Hostile files never abort an ingest: each bad file (or JSONL line) is skipped with its reason and
every good one is read; HTML loads in time linear in its tags (real lxml, spaCy, SQLite)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from kg.documents import Skipped, html_text, iter_documents, list_files
from kg.ingest import ingest
from kgsynth.errors import InputError
from kgsynth.workspace import Workspace

GOOD = "Siemens is based in Munich. Tim Cook visited Berlin."


def hostile_folder(root: Path) -> tuple[Path, dict[str, str | None]]:
    """Hostile files and, per file, the reason it is skipped (None: it must load)."""
    d = root / "hostile"
    d.mkdir(parents=True)
    expect: dict[str, str | None] = {}

    def put(name: str, data: str | bytes, reason: str | None) -> None:
        path = d / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        expect[name] = reason

    put("surrogate.jsonl", '{"text": "Lone \\ud800 surrogate near Paris."}\n', None)
    put(
        "u2028.jsonl",
        json.dumps({"text": "A line\u2028separator in Rome."}, ensure_ascii=False),
        None,
    )
    lines = [
        json.dumps({"text": GOOD}),
        "{not json",
        "[" * 100_000 + "]" * 100_000,
        '{"text": "x", "n": ' + "7" * 5001 + "}",
        "[1, 2, 3]",
        json.dumps({"text": "Angela Merkel met Emmanuel Macron in Paris."}),
    ]
    put("mixed.jsonl", "\n".join(lines) + "\n", None)
    put("allbad.jsonl", "{oops\n[[[\n", "no usable line")
    put("wide.csv", "id,text\n1," + "Word " * 40_000 + "\n2,Short row about Madrid.\n", None)
    put("nul.csv", "id,text\n1,ok\n2,bad\x00cell\n", "binary")
    put("many-p.html", "<html><body>" + "<p>para</p>" * 100_000 + "</body></html>", None)
    put(
        "xmldecl.html",
        '<?xml version="1.0" encoding="utf-8"?><html><body><p>Hello Oslo.</p></body></html>',
        None,
    )
    put("nested.html", "<div>" * 5000 + "Deep text in Vienna." + "</div>" * 5000, None)
    put("script-only.html", "<html><script>alert(1)</script></html>", "no text")
    put("garbage.pdf", b"%PDF-1.4\n" + os.urandom(4000), "PDF")
    put("truncated.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R", "PDF")
    put("nul.txt", b"text\x00\x01\x02", "binary")
    put("one-line.txt", "word " * 200_000, None)
    put("bom-only.txt", b"\xef\xbb\xbf", "no text")
    (d / b"bad-\xff-name.txt".decode("utf-8", "surrogateescape")).write_text(GOOD, encoding="utf-8")
    expect["bad-\\xff-name.txt"] = None
    (d / "loop").symlink_to(d)  # a folder that contains itself
    os.mkfifo(d / "pipe.txt")  # not a regular file: never opened
    return d, expect


def _name(path: str) -> str:
    return Path(path.split("#")[0]).name.rsplit(":", 1)[0]


def test_every_hostile_file_is_read_or_skipped_with_its_reason(tmp_path):
    folder, expect = hostile_folder(tmp_path)
    files, missing = list_files([folder])
    assert not missing and {Path(f).name for f in files} >= {"mixed.jsonl", "surrogate.jsonl"}
    assert not any("pipe" in str(f) or "loop" in str(f) for f in files)
    started = time.perf_counter()
    results = dict(iter_documents(files))
    assert time.perf_counter() - started < 60  # 100,000 <p> took more than 12 minutes before
    for path, result in results.items():
        name = path.name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        want = expect[name]
        if want is None:
            assert isinstance(result, list), (name, result)
        else:
            assert isinstance(result, Skipped) and want in result.reason, (name, result)
            assert "\n" not in result.reason and len(result.reason) <= 300
    docs = {
        d.source.rsplit("/", 1)[1]: d
        for r in results.values()
        if isinstance(r, list)
        for d in r
        if not isinstance(d, Skipped)
    }
    assert docs["surrogate.jsonl#1"].text == "Lone \ufffd surrogate near Paris."
    assert docs["u2028.jsonl#1"].text.startswith("A line") and "Rome" in docs["u2028.jsonl#1"].text
    assert docs["wide.csv#1"].text.count("Word") == 40_000
    assert docs["many-p.html"].text.count("para") == 100_000
    assert docs["xmldecl.html"].text == "Hello Oslo." and "Vienna" in docs["nested.html"].text
    assert docs["bad-\\xff-name.txt"].text == GOOD
    mixed = results[folder / "mixed.jsonl"]
    skipped = {s.path.rsplit(":", 1)[1]: s.reason for s in mixed if isinstance(s, Skipped)}
    assert set(skipped) == {"2", "3", "4", "5"}
    assert "invalid JSON" in skipped["2"] and "nested too deeply" in skipped["3"]
    assert "4300 digits" in skipped["4"] and "no string field" in skipped["5"]
    assert [d.source.rsplit("#", 1)[1] for d in mixed if not isinstance(d, Skipped)] == ["1", "6"]
    with pytest.raises(InputError, match="mixed.jsonl:2: invalid JSON"):
        list(iter_documents([folder / "mixed.jsonl"], on_error="raise"))
    with pytest.raises(InputError, match="garbage.pdf: "):
        list(iter_documents([folder / "garbage.pdf"], on_error="raise"))


def test_html_text_keeps_paragraphs_and_drops_hidden_parts():
    title, text = html_text(
        "<html><head><title> My  page </title><style>p{}</style></head><body>"
        "<p>One <b>bold</b> word.</p><!-- a comment --><script>x()</script>tail<ul><li>a</li>"
        "<li>b</li></ul></body></html>"
    )
    assert title == "My page"
    assert [p.strip() for p in text.split("\n\n") if p.strip()] == [
        "One bold word.",
        "tail",
        "a",
        "b",
    ]


def test_ingest_of_a_hostile_folder_completes(tmp_path, nlp):
    folder, expect = hostile_folder(tmp_path)
    for name in ("many-p.html", "one-line.txt", "wide.csv"):  # big ones: covered above
        (folder / name).unlink()
        expect.pop(name)
    with Workspace(tmp_path / "ws") as ws:
        report = ingest(ws, [folder])
    reasons = {_name(s.path): s.reason for s in report.skipped}
    for name, want in expect.items():
        if want is not None:
            assert want in reasons[name], (name, reasons)
    assert report.documents == 7 and not any("Error" in r for r in reasons.values())
    assert len(report.summary().splitlines()) == 1 + len(report.skipped)


def _one_line_text(chars: int) -> str:
    """Real sentences (BBC articles) on one line, repeated up to `chars` characters."""
    from tests.fixtures.corpus import bbc_files

    text = " ".join(" ".join(p.read_text(errors="replace").split()) for p, _ in bbc_files(4))
    return (text + " ") * (chars // (len(text) + 1) + 1)


def test_a_huge_single_line_text_loads_as_parts(tmp_path):
    from kg.documents import MAX_DOC_CHARS, load_file

    path = tmp_path / "huge.txt"
    path.write_text(_one_line_text(3_200_000), encoding="utf-8")
    started = time.perf_counter()
    docs = load_file(path)
    assert time.perf_counter() - started < 60
    assert [d.source.rsplit("#", 1)[1] for d in docs] == ["part1", "part2", "part3", "part4"]
    assert all(len(d.text) <= MAX_DOC_CHARS and d.metadata["parts"] == 4 for d in docs)
    assert all(d.text.endswith(".") for d in docs[:-1])  # cut at sentence ends
    words = sum(len(d.text.split()) for d in docs)
    assert words == len(path.read_text(encoding="utf-8").split())  # nothing lost at the cuts


def test_ingest_shows_progress_inside_a_batch_of_parts(tmp_path, nlp, monkeypatch):
    import kg.documents

    monkeypatch.setattr(kg.documents, "MAX_DOC_CHARS", 4000)
    path = tmp_path / "long.txt"
    path.write_text(_one_line_text(20_000), encoding="utf-8")
    calls: list[tuple[int, int]] = []
    with Workspace(tmp_path / "ws") as ws:
        report = ingest(ws, [path], progress=lambda d, t: calls.append((d, t)))
    n = report.documents
    assert n >= 5 and calls[-1] == (n, n)
    inside = sorted({d for d, _ in calls if 0 < d < n})
    assert len(inside) >= 3, calls  # one engine batch, yet progress moved through it
