"""Load documents from files: .txt .md .html .pdf .csv .jsonl, and folders of them (recursively).

Every loader returns :class:`kgsynth.types.Document` records with normalized text, a detected language
and a content-hash id. A file that cannot be used (binary, empty, undecodable, too large, a missing
column) raises :class:`InputError` with a one-line reason; :func:`iter_documents` turns those, and any
other failure of a loader on a hostile file, into :class:`Skipped` entries, so one bad file never stops
a batch. A bad line of a JSONL file is a Skipped entry of its own among the file's documents.
"""

from __future__ import annotations

import csv
import io
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from kgsynth.errors import InputError
from kgsynth.ids import content_id
from kgsynth.rows import json_lines, parse_json_line, scrub
from kgsynth.text import detect_lang, normalize_text
from kgsynth.types import Document, Record

LOADERS: dict[str, Callable[..., list]] = {}
MAX_REASON = 300  # characters of an unexpected error kept as a skip reason
# Block elements end a paragraph; the text of these elements is never content.
HTML_BLOCKS = frozenset(
    {
        "p",
        "div",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "br",
        "tr",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "pre",
        "table",
        "ul",
        "ol",
        "dd",
        "dt",
        "hr",
        "td",
        "th",
    }
)
HTML_HIDDEN = frozenset({"script", "style", "noscript", "template", "head"})
MAX_DOC_CHARS = 1_000_000  # a longer text is ingested as parts of at most this many characters
# pypdf logs each oddity of a broken PDF; the file's one skip reason says what matters.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


class Skipped(Record):
    """A file (or a csv/jsonl row) that was not ingested, and why."""

    path: str
    reason: str


Loader = Callable[..., "list[Document | Skipped]"]


def display_path(path: Path | str) -> str:
    """A path as text that any terminal and SQLite can hold (undecodable bytes as \\xNN)."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def loader(*suffixes: str) -> Callable[[Loader], Loader]:
    def decorator(fn: Loader) -> Loader:
        for s in suffixes:
            LOADERS[s] = fn
        return fn

    return decorator


def make_documents(
    source: str, text: str, *, title: str = "", metadata: dict | None = None
) -> list[Document]:
    """The Document of a text, or for a text over MAX_DOC_CHARS its parts (``source#part2``, cut
    at a paragraph or sentence end): a part is a unit of ingest progress, memory and parallel work,
    so a 50 MB single-line file ingests part by part instead of as one opaque step."""
    text = normalize_text(scrub(text))
    parts = split_text(text, MAX_DOC_CHARS)
    if len(parts) <= 1:
        return [make_document(source, text, title=title, metadata=metadata)]
    title = title or _first_line(text)
    return [
        make_document(
            f"{source}#part{i}",
            part,
            title=f"{title} (part {i} of {len(parts)})",
            metadata={**(metadata or {}), "part": i, "parts": len(parts)},
        )
        for i, part in enumerate(parts, start=1)
    ]


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, each ending at a paragraph break, else a
    sentence end, else a space, in the second half of the piece (else a hard cut)."""
    parts: list[str] = []
    start = 0
    while len(text) - start > limit:
        end, half = start + limit, start + limit // 2
        cut = text.rfind("\n\n", half, end)
        if cut < 0:
            cut = max(text.rfind(". ", half, end), text.rfind("。", half, end))
            cut = cut + 1 if cut >= 0 else text.rfind(" ", half, end)
        if cut <= start:
            cut = end
        parts.append(text[start:cut].strip())
        start = cut
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _first_line(text: str) -> str:
    first = text.split("\n", 1)[0].strip()
    return first if len(first) <= 200 else first[:200]


def make_document(
    source: str, text: str, *, title: str = "", metadata: dict | None = None
) -> Document:
    """A Document from raw text: normalized, language detected, id hashed from source and text."""
    text = normalize_text(scrub(text))
    if not text:
        raise InputError(f"{source}: no text")
    title = title or _first_line(text)
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
    return make_documents(display_path(path), decode(read_bytes(path, max_mb), path))


@loader(".md", ".markdown")
def load_md(path: Path, *, max_mb: float = 50.0, **_) -> list[Document]:
    text = decode(read_bytes(path, max_mb), path)
    title = next((ln.lstrip("#").strip() for ln in text.split("\n") if ln.startswith("#")), "")
    return make_documents(display_path(path), text, title=title)


@loader(".html", ".htm")
def load_html(path: Path, *, max_mb: float = 50.0, **_) -> list[Document]:
    title, text = html_text(decode(read_bytes(path, max_mb), path))
    if not text.strip():
        raise InputError(f"{path}: no text")
    return make_documents(display_path(path), text, title=title)


def html_text(html: str) -> tuple[str, str]:
    """(title, text) of an HTML page, read as a stream of tags (linear in its size, any depth):
    block elements become paragraphs; scripts, styles, comments and the head are dropped."""
    from lxml import etree

    collector = _HtmlText()
    parser = etree.HTMLParser(target=collector, encoding="utf-8", huge_tree=True)
    parser.feed(html.encode("utf-8"))
    return parser.close()


class _HtmlText:
    """An lxml parser target that keeps the visible text and the title."""

    def __init__(self):
        self.parts: list[str] = []
        self.title: list[str] = []
        self.hidden = 0  # depth inside hidden elements
        self.in_title = 0

    def start(self, tag, attrib) -> None:
        self.hidden += tag in HTML_HIDDEN
        self.in_title += tag == "title"
        if tag in HTML_BLOCKS and not self.hidden:
            self.parts.append("\n\n")

    def end(self, tag) -> None:
        self.hidden -= tag in HTML_HIDDEN
        self.in_title -= tag == "title"
        if tag in HTML_BLOCKS and not self.hidden:
            self.parts.append("\n\n")

    def data(self, text: str) -> None:
        if self.in_title:
            self.title.append(text)
        elif not self.hidden:
            self.parts.append(text)

    def comment(self, text: str) -> None:
        pass

    def close(self) -> tuple[str, str]:
        return " ".join("".join(self.title).split()), "".join(self.parts)


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
    return make_documents(display_path(path), text, title=title, metadata={"pages": len(pages)})


@loader(".csv", ".tsv")
def load_csv(path: Path, *, max_mb: float = 50.0, text_col: str = "text", **_) -> list[Document]:
    """One document per row: `text_col` is the text, the other columns are metadata."""
    text = decode(read_bytes(path, max_mb), path)
    dialect = "excel-tab" if path.suffix == ".tsv" else "excel"
    # a field may be as long as the file (the csv module's default limit is 131,072 characters)
    csv.field_size_limit(max(csv.field_size_limit(), min(len(text) + 1, sys.maxsize)))
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    source = display_path(path)
    try:
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
            docs += make_documents(f"{source}#{i}", body, metadata=meta)
    except csv.Error as e:
        raise InputError(f"{path}:{reader.line_num}: unreadable CSV ({e})") from e
    return docs


@loader(".jsonl", ".ndjson")
def load_jsonl(
    path: Path, *, max_mb: float = 50.0, field: str = "text", **_
) -> list[Document | Skipped]:
    """One document per line: `field` is the text, other keys are metadata. A bad line is skipped
    (a Skipped entry naming it); a file without one usable line is an InputError."""
    text = decode(read_bytes(path, max_mb), path)
    source = display_path(path)
    out: list[Document | Skipped] = []
    for i, line in json_lines(text):
        if not line.strip():
            continue
        try:
            row = parse_json_line(line, path, i)
            body = row.get(field) if isinstance(row, dict) else None
            if not isinstance(body, str):
                raise InputError(f"{path}:{i}: no string field {field!r}; use --field")
            if body.strip():
                meta = {k: v for k, v in row.items() if k != field}
                out += make_documents(f"{source}#{i}", body, metadata=meta)
        except InputError as e:
            out.append(Skipped(path=f"{source}:{i}", reason=_reason(e, f"{path}:{i}")))
    skipped = [s for s in out if isinstance(s, Skipped)]
    if skipped and len(skipped) == len(out):
        first = skipped[0]
        raise InputError(
            f"{path}: no usable line ({len(skipped)} bad; line {first.path.rsplit(':', 1)[1]}: "
            f"{first.reason})"
        )
    return out


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
            skipped.append(Skipped(path=display_path(p), reason="no such file or folder"))
    return list(dict.fromkeys(files)), skipped


def load_file(
    path: Path, *, max_mb: float = 50.0, text_col: str = "text", field: str = "text"
) -> list[Document | Skipped]:
    """Load one file with the loader for its suffix (its bad rows as Skipped entries)."""
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
) -> Iterator[tuple[Path, list[Document | Skipped] | Skipped]]:
    """Per file, one entry: its documents (with a Skipped per bad row), or a Skipped with the reason
    the whole file failed (``on_error="raise"`` raises an InputError instead)."""
    for path in files:
        try:
            result = load_file(path, max_mb=max_mb, text_col=text_col, field=field)
        except Exception as e:  # a hostile file may break a parser in any way: skip the file
            if isinstance(e, InputError):
                reason = _reason(e, str(path))
            else:
                reason = f"unreadable ({type(e).__name__}: {_reason(e, str(path))})"
            if on_error == "raise":
                raise InputError(f"{display_path(path)}: {reason}") from e
            yield path, Skipped(path=display_path(path), reason=reason)
            continue
        if on_error == "raise":
            bad = next((s for s in result if isinstance(s, Skipped)), None)
            if bad is not None:
                raise InputError(f"{bad.path}: {bad.reason}")
        yield path, result


def _reason(e: BaseException, prefix: str) -> str:
    """An error as a one-line skip reason, without the path it starts with."""
    text = " ".join(str(e).split()).removeprefix(f"{prefix}: ") or type(e).__name__
    return display_path(text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…")
