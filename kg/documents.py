"""Load documents from files: .txt .md .html .pdf .csv .jsonl, and folders of them (recursively).

Every loader returns :class:`kgsynth.types.Document` records with normalized text, a detected language
and a content-hash id. A file that cannot be used (binary, empty, undecodable, too large, a missing
column) raises :class:`InputError` with a one-line reason; :func:`iter_documents` turns those into
:class:`Skipped` entries so one bad file never stops a batch.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from kgsynth.errors import InputError
from kgsynth.ids import content_id
from kgsynth.rows import iter_jsonl
from kgsynth.text import detect_lang, normalize_text
from kgsynth.types import Document, Record

Loader = Callable[..., list[Document]]
LOADERS: dict[str, Loader] = {}


class Skipped(Record):
    """A file (or a csv/jsonl row) that was not ingested, and why."""

    path: str
    reason: str


def loader(*suffixes: str) -> Callable[[Loader], Loader]:
    def decorator(fn: Loader) -> Loader:
        for s in suffixes:
            LOADERS[s] = fn
        return fn

    return decorator


def make_document(
    source: str, text: str, *, title: str = "", metadata: dict | None = None
) -> Document:
    """A Document from raw text: normalized, language detected, id hashed from source and text."""
    text = normalize_text(text)
    if not text:
        raise InputError(f"{source}: no text")
    if not title:
        first = text.split("\n", 1)[0].strip()
        title = first if len(first) <= 200 else first[:200]
    return Document(
        id=content_id(source, text, prefix="doc_"),
        source=source,
        title=title,
        text=text,
        lang=detect_lang(text),
        metadata=metadata or {},
    )


# ---------------------------------------------------------------- reading bytes


def read_bytes(path: Path, max_mb: float) -> bytes:
    """The file's bytes, refusing oversized, empty and binary files."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise InputError(f"{path}: unreadable ({e.strerror or e})") from e
    if size > max_mb * 1024 * 1024:
        raise InputError(f"{path}: too large ({size / 1048576:.1f} MB > max_file_mb {max_mb:g})")
    if size == 0:
        raise InputError(f"{path}: empty file")
    try:
        return path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: unreadable ({e.strerror or e})") from e


def decode(data: bytes, path: Path | str) -> str:
    """Decode text bytes: UTF-8 first, else the encoding charset-normalizer detects."""
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise InputError(f"{path}: cannot detect the text encoding; convert it to UTF-8")
    text = str(best)
    if text.count("\ufffd") > max(3, len(text) // 100):
        raise InputError(f"{path}: wrongly encoded text ({best.encoding} guess fails)")
    return text


# ---------------------------------------------------------------- loaders


@loader(".txt", ".text")
def load_txt(path: Path, *, max_mb: float = 50.0, **_) -> list[Document]:
    return [make_document(str(path), decode(read_bytes(path, max_mb), path))]


@loader(".md", ".markdown")
def load_md(path: Path, *, max_mb: float = 50.0, **_) -> list[Document]:
    text = decode(read_bytes(path, max_mb), path)
    title = next((ln.lstrip("#").strip() for ln in text.splitlines() if ln.startswith("#")), "")
    return [make_document(str(path), text, title=title)]


@loader(".html", ".htm")
def load_html(path: Path, *, max_mb: float = 50.0, **_) -> list[Document]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode(read_bytes(path, max_mb), path), "lxml")
    title = soup.title.get_text(strip=True) if soup.title else ""
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    blocks = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "section")
    for tag in soup.find_all(blocks):
        tag.insert_after("\n\n")
    return [make_document(str(path), soup.get_text(" "), title=title)]


@loader(".pdf")
def load_pdf(path: Path, *, max_mb: float = 50.0, **_) -> list[Document]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    data = read_bytes(path, max_mb)
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title") or "")
    except (PdfReadError, ValueError, KeyError) as e:
        raise InputError(f"{path}: unreadable PDF ({e})") from e
    text = "\n\n".join(pages)
    if not text.strip():
        raise InputError(f"{path}: PDF has no extractable text (scanned?)")
    return [make_document(str(path), text, title=title, metadata={"pages": len(pages)})]


@loader(".csv", ".tsv")
def load_csv(path: Path, *, max_mb: float = 50.0, text_col: str = "text", **_) -> list[Document]:
    """One document per row: `text_col` is the text, the other columns are metadata."""
    text = decode(read_bytes(path, max_mb), path)
    dialect = "excel-tab" if path.suffix == ".tsv" else "excel"
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = reader.fieldnames or []
    if text_col not in columns:
        raise InputError(
            f"{path}: no column {text_col!r} (columns: {', '.join(columns)}); use --text-col"
        )
    docs = []
    for i, row in enumerate(reader, start=1):
        body = row.get(text_col) or ""
        if not body.strip():
            continue
        meta = {k: v for k, v in row.items() if k != text_col and k is not None}
        docs.append(make_document(f"{path}#{i}", body, metadata=meta))
    return docs


@loader(".jsonl", ".ndjson")
def load_jsonl(path: Path, *, max_mb: float = 50.0, field: str = "text", **_) -> list[Document]:
    """One document per line: `field` is the text, other keys are metadata."""
    text = decode(read_bytes(path, max_mb), path)
    docs = []
    for i, row in iter_jsonl(text.splitlines(), path, objects_only=False):
        body = row.get(field) if isinstance(row, dict) else None
        if not isinstance(body, str):
            raise InputError(f"{path}#{i}: no string field {field!r}; use --field")
        if not body.strip():
            continue
        meta = {k: v for k, v in row.items() if k != field}
        docs.append(make_document(f"{path}#{i}", body, metadata=meta))
    return docs


# ---------------------------------------------------------------- folders and batches


def list_files(paths: Iterable[Path | str]) -> tuple[list[Path], list[Skipped]]:
    """Expand folders recursively (hidden files skipped); report paths that do not exist."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if f.is_file() and not any(part.startswith(".") for part in rel):
                    files.append(f)
        elif p.is_file():
            files.append(p)
        else:
            skipped.append(Skipped(path=str(p), reason="no such file or folder"))
    return list(dict.fromkeys(files)), skipped


def load_file(
    path: Path, *, max_mb: float = 50.0, text_col: str = "text", field: str = "text"
) -> list[Document]:
    """Load one file with the loader for its suffix."""
    fn = LOADERS.get(path.suffix.lower())
    if fn is None:
        raise InputError(f"{path}: unsupported file type {path.suffix or '(none)'!r}")
    return fn(path, max_mb=max_mb, text_col=text_col, field=field)


def iter_documents(
    files: Iterable[Path],
    *,
    max_mb: float = 50.0,
    text_col: str = "text",
    field: str = "text",
    on_error: str = "skip",
) -> Iterator[tuple[Path, list[Document] | Skipped]]:
    """Per file: its documents, or a Skipped with the reason (``on_error="raise"`` re-raises)."""
    for path in files:
        try:
            yield path, load_file(path, max_mb=max_mb, text_col=text_col, field=field)
        except InputError as e:
            if on_error == "raise":
                raise
            reason = str(e).removeprefix(f"{path}: ")
            yield path, Skipped(path=str(path), reason=reason)
