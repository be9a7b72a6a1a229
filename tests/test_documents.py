"""Document loaders (every format, bad files) and sentence-aware chunking, on real files."""

from __future__ import annotations

import io
import json

import pytest

from kg.chunking import chunk_document, owned_start
from kg.documents import Skipped, iter_documents, list_files, load_file, make_document
from kgsynth.errors import InputError


def make_pdf(text: str) -> bytes:
    """A minimal one-page PDF showing `text` in Helvetica."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    )
    return out.getvalue()


@pytest.fixture
def corpus(tmp_path):
    d = tmp_path / "docs"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text(
        "Siemens  is based\tin Munich.\r\n\r\n\r\nIt makes trains.", encoding="utf-8"
    )
    (d / "b.md").write_text("# Apple news\n\nApple is a technology company.", encoding="utf-8")
    (d / "sub" / "c.html").write_text(
        "<html><head><title>Page</title><style>p{color:red}</style></head>"
        "<body><script>var x = 'hidden';</script><p>Tim Cook visited Berlin.</p><p>Second para.</p></body></html>",
        encoding="utf-8",
    )
    (d / "sub" / "d.pdf").write_bytes(make_pdf("Microsoft acquired GitHub."))
    (d / "e.csv").write_text(
        "id,text,topic\n1,First row text.,tech\n2,Second row text.,sport\n", encoding="utf-8"
    )
    (d / "f.jsonl").write_text(
        json.dumps({"body": "Line one.", "lang": "en"})
        + "\n\n"
        + json.dumps({"body": "Line two."})
        + "\n",
        encoding="utf-8",
    )
    (d / "g.txt").write_bytes("Grüße aus München, sagte der Mann.".encode("cp1252"))
    (d / ".hidden.txt").write_text("never loaded", encoding="utf-8")
    return d


def test_every_format_loads_with_normalized_text(corpus):
    files, missing = list_files([corpus])
    assert not missing and all(".hidden" not in str(f) for f in files)
    docs = {}
    for _, result in iter_documents(files, field="body"):
        assert not isinstance(result, Skipped), result
        for doc in result:
            docs[doc.source.replace(str(corpus) + "/", "")] = doc
    assert docs["a.txt"].text == "Siemens is based in Munich.\n\nIt makes trains."
    assert docs["b.md"].title == "Apple news"
    html = docs["sub/c.html"]
    assert html.title == "Page" and "Tim Cook visited Berlin." in html.text
    assert "hidden" not in html.text and "color" not in html.text
    assert "Microsoft acquired GitHub." in docs["sub/d.pdf"].text
    assert docs["e.csv#1"].text == "First row text." and docs["e.csv#2"].metadata == {
        "id": "2",
        "topic": "sport",
    }
    assert docs["f.jsonl#1"].metadata == {"lang": "en"} and docs["f.jsonl#3"].text == "Line two."
    assert docs["g.txt"].text.startswith("Grüße aus München")
    assert all(d.lang == "en" and d.id.startswith("doc_") for d in docs.values())


def test_ids_are_content_hashes(tmp_path):
    a = make_document("x.txt", "Same text.")
    assert a.id == make_document("x.txt", "Same  text.").id  # normalization first
    assert a.id != make_document("x.txt", "Other text.").id
    assert make_document("zh.txt", "马云在杭州创立了阿里巴巴集团。").lang == "zh"


def test_bad_files_are_skipped_with_a_reason(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "garbage.txt").write_bytes(bytes(range(128, 256)) * 20)
    (tmp_path / "big.txt").write_text("word " * 5000, encoding="utf-8")
    (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "bad.jsonl").write_text('{"text": "ok"}\n{not json\n', encoding="utf-8")
    (tmp_path / "img.xyz").write_text("text", encoding="utf-8")
    (tmp_path / "ok.txt").write_text("Fine text.", encoding="utf-8")
    files, _ = list_files([tmp_path])
    results = {p.name: r for p, r in iter_documents(files, max_mb=0.01)}
    reasons = {name: r.reason for name, r in results.items() if isinstance(r, Skipped)}
    assert "binary" in reasons["bin.txt"]
    assert "empty" in reasons["empty.txt"]
    assert "encoding" in reasons["garbage.txt"]
    assert "too large" in reasons["big.txt"]
    assert "no column 'text'" in reasons["x.csv"]
    good, bad = results["bad.jsonl"]  # a broken line skips that line, not the file
    assert good.text == "ok" and bad.path.endswith("bad.jsonl:2") and "invalid JSON" in bad.reason
    assert "unsupported" in reasons["img.xyz"]
    assert results["ok.txt"][0].text == "Fine text."
    with pytest.raises(InputError, match="binary"):
        list(iter_documents([tmp_path / "bin.txt"], on_error="raise"))
    assert list_files([tmp_path / "nope"])[1][0].reason == "no such file or folder"
    with pytest.raises(InputError, match="no column 'body'"):
        load_file(tmp_path / "x.csv", text_col="body")


def test_chunks_are_sentence_aligned_with_overlap():
    sentences = [f"Sentence number {i} talks about Siemens in Munich." for i in range(40)]
    doc = make_document("long.txt", " ".join(sentences))
    chunks = chunk_document(doc, chunk_chars=300, overlap_sentences=1)
    assert len(chunks) > 5
    for prev, c in zip([None, *chunks], chunks, strict=False):
        assert doc.text[c.start : c.end] == c.text
        assert len(c.text) <= 300 and c.text.startswith("Sentence") and c.text.endswith(".")
        if prev is not None:
            overlap = c.text[: owned_start(c, prev)]
            assert overlap.strip() and prev.text.endswith(overlap.strip())
    assert chunks[-1].end == len(doc.text)
    assert len({c.id for c in chunks}) == len(chunks)
    assert [c.id for c in chunk_document(doc, 300, 1)] == [c.id for c in chunks]
    one = chunk_document(make_document("s.txt", "x" * 50 + " " + "y" * 700), chunk_chars=300)
    assert all(len(c.text) <= 300 for c in one)
