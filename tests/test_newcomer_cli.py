"""Issue 19, the CLI side: what a new user met on real news articles, through the real `kgsynth`
entry point: the installed command in a subprocess where the process matters (a fresh folder, a log
file), else `main()` in this process (the same function, without a new interpreter per call); output
is never a terminal.

Mistakes exit non-zero with one line and reading commands never create a workspace; long commands
are job rows; progress in a log is plain lines; review cannot write a label outside the schema and
shows the evidence; shortfalls and empty splits are said; kgsynth.toml is written, commented.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from kgsynth.app.cli import main
from kgsynth.config import Config, load_config
from kgsynth.types import DatasetVersion, Example, Provenance, example_id
from kgsynth.workspace import Workspace
from tests.fixtures.corpus import BBC_LABELS, bbc_files

KGSYNTH = str(Path(sys.executable).parent / "kgsynth")


def kgsynth(*args: str, cwd: Path, input: str | None = None) -> subprocess.CompletedProcess:
    """The installed `kgsynth` command, as a user runs it (output captured: not a terminal)."""
    env = os.environ | {"KGSYNTH_WORKSPACE": ""}
    env.pop("KGSYNTH_WORKSPACE")
    return subprocess.run(
        [KGSYNTH, *args], cwd=cwd, input=input, capture_output=True, text=True, env=env, timeout=300
    )


def kg(*args: str, cwd: Path, input: str | None = None) -> subprocess.CompletedProcess:
    """`main()` as the `kgsynth` command calls it, here, in folder `cwd` with `input` as stdin."""
    out, err, code = io.StringIO(), io.StringIO(), 0
    here, stdin, env = os.getcwd(), sys.stdin, dict(os.environ)
    os.chdir(cwd)
    sys.stdin = io.StringIO(input or "")
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main(list(args))
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        os.chdir(here)
        sys.stdin = stdin
        os.environ.clear()  # main() may switch library progress bars off for the process
        os.environ.update(env)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True)
def _no_workspace_env(monkeypatch):
    monkeypatch.delenv("KGSYNTH_WORKSPACE", raising=False)


def one_line_error(p: subprocess.CompletedProcess) -> str:
    assert p.returncode != 0, p.stdout + p.stderr
    lines = p.stderr.strip().splitlines()
    assert lines and "Traceback" not in p.stderr, p.stderr
    return lines[-1]


# ---------------------------------------------------------------- mistakes say so


def test_reading_commands_never_create_a_workspace(tmp_path):
    assert one_line_error(kgsynth("graph", "stats", cwd=tmp_path)).startswith("error: no workspace")
    for args in (["datasets", "list"], ["jobs", "list"], ["graph", "search", "Blair"]):
        assert one_line_error(kg(*args, cwd=tmp_path)).startswith("error: no workspace at"), args
    assert list(tmp_path.iterdir()) == []


def test_missing_inputs_and_folders_fail_with_one_line(tmp_path):
    png = tmp_path / "nofiles"
    png.mkdir()
    (png / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    deep = kgsynth("-w", "/nonexistent/deep/ws", "ingest", str(png), cwd=tmp_path)
    assert "/nonexistent/deep does not exist" in one_line_error(deep)
    assert not Path("/nonexistent").exists()
    missing = kg("ingest", "does_not_exist/", cwd=tmp_path)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert not (tmp_path / "workspace").exists()
    nothing = kg("ingest", str(png), cwd=tmp_path)
    assert "nothing was ingested" in one_line_error(nothing)
    assert "unsupported file type '.png'" in nothing.stdout
    preview = kg("synth", "preview", cwd=tmp_path)
    assert "ingest documents first" in one_line_error(preview)
    zero = kg("synth", "qa", "-n", "0", cwd=tmp_path)
    assert zero.returncode == 2 and "0 is not in the range" in zero.stderr


def test_a_new_workspace_gets_a_commented_config_that_means_the_defaults(tmp_path):
    with Workspace(tmp_path / "ws") as ws:
        assert ws.created
    text = (tmp_path / "ws" / "kgsynth.toml").read_text()
    assert all(line.startswith("#") for line in text.splitlines() if line.strip())
    assert "[generators.local]" in text and 'api_key_env = "MY_API_KEY"' in text
    assert load_config(tmp_path / "ws") == Config()
    # uncomment every setting line: still the defaults, so every line shown is true
    settings = [
        line[2:]
        for line in text.splitlines()
        if re.match(r"# (\[[a-z0-9_.]+\]|[a-z_]+ = )", line) and "generators" not in line
    ]
    cut = text.index("# Generators")
    settings = [s for s in settings if f"# {s}" in text[:cut]]
    data = tomllib.loads("\n".join(settings))
    assert Config.model_validate(data) == Config()
    # and the generator example, uncommented, is a valid generator
    example = [line[2:] for line in text[cut:].splitlines() if line.startswith("# ")]
    block = "\n".join(example[example.index("[generators.local]") :][:7])
    assert Config.model_validate(tomllib.loads(block)).generators["local"].kind == "openai"


# ---------------------------------------------------------------- one state: jobs, progress


@pytest.fixture(scope="module")
def news(tmp_path_factory) -> Path:
    """A folder with 6 real BBC articles and a workspace ingested through the CLI."""
    root = tmp_path_factory.mktemp("newcomer")
    docs = root / "news"
    docs.mkdir()
    for path, label in bbc_files(2)[:6]:
        shutil.copy(path, docs / f"{label}-{path.name}")
    p = kgsynth("ingest", "news", cwd=root)
    assert p.returncode == 0, p.stderr
    (root / "ingest.stderr").write_text(p.stderr)
    (root / "ingest.stdout").write_text(p.stdout)
    return root


def test_ingest_into_a_log_writes_plain_progress_lines_and_a_job_row(news):
    err = (news / "ingest.stderr").read_text()
    assert "created a new workspace" in err
    assert "\r" not in err and "ingest: " in err
    assert re.search(r"ingest: \d+/\d+ \(100%\)", err), err
    assert "ingested 6 documents" in (news / "ingest.stdout").read_text()
    jobs = kg("jobs", "list", cwd=news).stdout
    assert re.search(r"job-\S+\s+ingest\s+succeeded", jobs), jobs


def test_synth_qa_is_a_job_and_says_its_shortfall(news):
    p = kg("synth", "qa", "-n", "300", "--name", "big", cwd=news)
    assert p.returncode == 0, p.stderr
    made = int(re.search(r"examples=(\d+)", p.stdout).group(1))
    assert made < 300
    assert f"made {made} of 300 requested ({300 - made} fewer)" in p.stdout, p.stdout
    assert "too few candidates for" in p.stdout
    assert "\r" not in p.stderr
    jobs = kg("jobs", "list", cwd=news).stdout
    assert re.search(r"synth_qa\s+succeeded", jobs), jobs


def _classification_set(ws_dir: Path) -> str:
    """A small classification version with a label schema, as synth classify writes one."""
    schema = {"task": "topic", "labels": [{"name": x, "description": x} for x in BBC_LABELS]}
    examples = []
    for i, (path, label) in enumerate(bbc_files(2, offset=4)):
        text = path.read_text(errors="replace")
        first = text.split("\n\n")[1].strip()
        examples.append(
            Example(
                id=example_id("classify", text, None, label),
                task="classify",
                input=text,
                label=label,
                confidence=0.5 + i / 40,
                label_source="weak",
                provenance=Provenance(evidence=[first], doc_ids=[f"doc_{i}"]),
            )
        )
    with Workspace(ws_dir, create=False) as ws:
        v = DatasetVersion(id="ds_topics", name="topics", stage="synth", params={"schema": schema})
        ws.catalog.save_dataset(v, examples)
    return "topics"


def test_review_keeps_labels_inside_the_schema_and_shows_evidence(news):
    name = _classification_set(news / "workspace")
    # l, a label that is not in the schema, then the right one; then quit
    p = kg("review", name, "--no-rescore", cwd=news, input="l\npolit\npolitics\nq\n")
    assert p.returncode == 0, p.stderr
    assert "unknown label 'polit'; did you mean 'politics'?" in p.stdout
    assert "evidence: " in p.stdout and "1 decisions saved" in p.stdout
    assert "writing a new version with the reviewed labels" in p.stdout
    with Workspace(news / "workspace", create=False) as ws:
        v = ws.catalog.dataset(name)
        assert v.stage == "review" and "polit" not in v.stats["labels"]
        assert v.stats["reviews"]["relabel"] == 1
        assert any(j.kind == "review_apply" for j in ws.catalog.jobs())


def test_review_of_a_qa_set_survives_an_empty_relabel(news):
    qa = kg("synth", "qa", "-n", "6", "-t", "single_fact", "--name", "small", cwd=news)
    assert qa.returncode == 0, qa.stderr
    p = kg("review", "small", cwd=news, input="l\n\na\nq\n")
    assert p.returncode == 0, p.stderr
    assert "have no labels; use [e]dit" in p.stdout and "1 decisions saved" in p.stdout


def test_a_tiny_export_warns_about_its_empty_split(news):
    p = kg("export", "small", "--format", "alpaca", cwd=news)
    assert p.returncode == 0, p.stderr
    assert "warning: the test split is empty" in p.stderr or "warning: the dev split" in p.stderr
    rows = [json.loads(x) for x in (news / "workspace/exports/small-alpaca/train.jsonl").open()]
    assert rows and all(r["meta"]["evidence"] and r["meta"]["documents"] for r in rows)
    assert all("source text" not in r["instruction"] for r in rows if not r["input"])
