"""Issue 19, the app side, in a real Chromium: one catalog is the only state. Before anything is
chosen the app says what to do (no "queue is empty", no other project's schema); work done in the
CLI (`kgsynth` subprocesses on the same workspace) shows in the app: its job rows in Jobs, its
review decisions in the Review tab's counts, its label schema in Synthesize.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kgsynth.types import DatasetVersion, Example, Provenance, example_id
from kgsynth.workspace import Workspace
from tests.fixtures.corpus import bbc_files
from tests.test_ui_browser import choose, open_tab, shot, wait_job, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

KGSYNTH = str(Path(sys.executable).parent / "kgsynth")
# A project of its own: none of these names is in the BBC example schema.
LABELS = {"business": "markets", "entertainment": "culture", "politics": "government"}
LABELS |= {"sports": "games", "tech": "gadgets"}


def cli(ws_dir: Path, *args: str, input: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "KGSYNTH_WORKSPACE"}
    p = subprocess.run(
        [KGSYNTH, "-w", str(ws_dir), *args],
        input=input,
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def save_topics(ws_dir: Path) -> None:
    """A weakly labeled classification version with this project's schema (as synth classify
    writes one), on real BBC articles."""
    schema = {"task": "topic", "labels": [{"name": x, "description": x} for x in LABELS.values()]}
    examples = []
    for i, (path, label) in enumerate(bbc_files(2)):
        text = path.read_text(errors="replace")
        examples.append(
            Example(
                id=example_id("classify", text, None, LABELS[label]),
                task="classify",
                input=text,
                label=LABELS[label],
                confidence=0.5 + i / 40,
                label_source="weak",
                provenance=Provenance(evidence=[text.split("\n\n")[1]], doc_ids=[f"doc_{i}"]),
            )
        )
    with Workspace(ws_dir, create=False) as ws:
        v = DatasetVersion(id="ds_topics", name="topics", stage="synth", params={"schema": schema})
        ws.catalog.save_dataset(v, examples)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app on a new, empty workspace (the CLI works on the same folder)."""
    from kgsynth.app.ui import app as ui
    from tests.fixtures.browser import free_port

    ws_dir = tmp_path_factory.mktemp("newcomer-ui") / "ws"
    port = free_port()
    demo = ui.launch(ws_dir, port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", demo, ws_dir
    demo.close()
    demo.kgsynth_context.ws.close()


def code_text(pg, elem_id: str) -> str:
    return pg.locator(f"#{elem_id} .cm-content").inner_text()


def test_the_app_shows_what_the_workspace_holds(app, ui_page, artifacts_dir):
    url, _, ws_dir = app
    pg = ui_page.page
    pg.goto(url)
    pg.wait_for_selector("#explore-search")

    # Nothing chosen yet: say what to do; never another project's schema.
    open_tab(pg, "Review")
    card = wait_text(pg, "review-card", r"Choose a dataset version")
    assert "empty" not in card
    open_tab(pg, "Synthesize")
    pg.wait_for_selector("#synth-schema .cm-content")
    schema = code_text(pg, "synth-schema")
    assert "first_label" in schema and "business" not in schema
    pg.click("#synth-run")
    pg.wait_for_selector("text=write your labels into the schema first")
    shot(pg, artifacts_dir, "newcomer-1-empty")

    # Work in the CLI: a classification set, two review decisions, an export.
    save_topics(ws_dir)
    out = cli(ws_dir, "review", "topics", "--no-rescore", input="a\nr\nq\n")
    assert "2 decisions saved" in out
    cli(ws_dir, "export", "ds_topics", "--format", "classification-jsonl")

    # Jobs: the CLI's jobs are rows like the app's.
    open_tab(pg, "Jobs")
    table = wait_text(pg, "jobs-table", r"export")
    assert "review_apply" in table and "succeeded" in table

    # Review: the queue counts the CLI's decisions; labels are the schema's.
    open_tab(pg, "Review")
    pg.click("#review-refresh")
    choose(pg, "review-version", "topics · synth")
    pg.click("#review-load")
    progress = wait_text(pg, "review-progress", r"reviewed before")
    assert "0 of 8 in the queue" in progress, progress
    assert "2 of the version's 10 examples were reviewed before" in progress, progress
    wait_text(pg, "review-card", r"classify")
    pg.locator("#review-label input").first.click()
    options = pg.locator("#review-label li[role=option]")
    options.first.wait_for()
    shown = sorted(o.inner_text().replace("✓", "").strip() for o in options.all())
    assert shown == sorted(LABELS.values())
    pg.keyboard.press("Escape")
    pg.locator("#review-card").click()
    pg.keyboard.press("a")
    wait_text(pg, "review-progress", r"1 of 8 in the queue reviewed in this session")
    pg.click("#review-apply")
    wait_job(pg, "review-apply")
    wait_text(pg, "review-applied", r"New version .* 9 examples")
    shot(pg, artifacts_dir, "newcomer-2-review")

    # Synthesize opens on this workspace's schema now.
    open_tab(pg, "Explore")
    open_tab(pg, "Synthesize")
    pg.wait_for_function(
        "() => /markets/.test(document.querySelector('#synth-schema .cm-content').innerText)"
    )
    assert "business" not in code_text(pg, "synth-schema")
    assert ui_page.external == [] and ui_page.errors == [], ui_page.errors
