"""The app in a real headless Chromium: ingest → explore → synthesize → review → clean → export →
fine-tune on real BBC articles, then responsiveness while a job runs, and cancel/resume from Jobs.

Screenshots of every step go to the artifacts folder (see tests/fixtures/browser.py).
"""

from __future__ import annotations

import re
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from tests.fixtures.corpus import bbc_files

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

JOB_TIMEOUT_MS = 180_000


# ---------------------------------------------------------------- helpers


def open_tab(page, title: str) -> None:
    page.get_by_role("tab", name=title, exact=True).click()


def field(page, elem_id: str):
    return page.locator(f"#{elem_id} textarea, #{elem_id} input").first


def fill(page, elem_id: str, value) -> None:
    box = field(page, elem_id)
    box.fill(str(value))
    box.press("Tab")


def choose(page, elem_id: str, text: str | None = None) -> str:
    """Pick the option containing `text` (or the first one) from a Gradio dropdown."""
    box = page.locator(f"#{elem_id} input").first
    box.click()
    options = page.locator(f"#{elem_id} li[role=option]")
    options.first.wait_for()
    option = options.filter(has_text=text).first if text else options.first
    label = option.inner_text()
    option.click()
    return label


def wait_job(page, prefix: str, timeout: int = JOB_TIMEOUT_MS) -> None:
    """Wait for the tab's job to end; fail with the job's error text unless it succeeded."""
    sel = f"#{prefix}-job .kg-job"
    page.wait_for_function(
        f"""() => {{ const el = document.querySelector("{sel}");
        return el && ['succeeded', 'failed', 'cancelled'].includes(el.dataset.state); }}""",
        timeout=timeout,
    )
    box = page.locator(sel)
    assert box.get_attribute("data-state") == "succeeded", box.inner_text()


def wait_text(page, elem_id: str, pattern: str, timeout: int = 30_000) -> str:
    loc = page.locator(f"#{elem_id}")
    deadline = time.monotonic() + timeout / 1000
    while time.monotonic() < deadline:
        text = loc.inner_text() if loc.count() else ""
        if re.search(pattern, text):
            return text
        page.wait_for_timeout(100)
    raise AssertionError(f"#{elem_id} never matched {pattern!r}; it shows: {text[:500]!r}")


_T0 = [time.perf_counter()]


def shot(page, artifacts_dir, name: str) -> None:
    """Save a full-page screenshot and print the seconds since the last one (step timings)."""
    page.screenshot(path=str(artifacts_dir / f"ui-{name}.png"), full_page=True)
    now = time.perf_counter()
    print(f"[ui] {name}: {now - _T0[0]:.1f} s")
    _T0[0] = now


def hub_entity(store):
    """The entity with the most typed relations (so its neighbourhood has edges)."""
    degree = Counter()
    for r in store.iter_relations(include_cooccurrence=False):
        degree[r.source_id] += 1
        degree[r.target_id] += 1
    if not degree:
        for r in store.iter_relations(include_cooccurrence=True):
            degree[r.source_id] += 1
            degree[r.target_id] += 1
    return store.entity(degree.most_common(1)[0][0])


def click_node(page, entity_id: str) -> None:
    """A real mouse click on a node of the vis-network canvas, once the layout has settled."""
    page.wait_for_function(
        """(id) => { const box = document.querySelector('#explore-graph .kg-graph');
        return box && box.dataset.ready === '1' && box.__kgNetwork
          && box.__kgNetwork.body.data.nodes.get(id) !== null; }""",
        arg=entity_id,
    )
    x, y = page.evaluate(
        """(id) => { const box = document.querySelector('#explore-graph .kg-graph');
        const n = box.__kgNetwork; const p = n.canvasToDOM(n.getPosition(id));
        const r = box.getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""",
        entity_id,
    )
    page.mouse.click(x, y)


# ---------------------------------------------------------------- the whole flow


def test_flow_ingest_to_finetune(ui_app, ui_page, bbc_sample_dir, artifacts_dir):
    url, demo = ui_app
    ctx = demo.kgsynth_context
    page = ui_page
    pg = page.page
    pg.goto(url)
    pg.wait_for_selector("#explore-search")
    _T0[0] = time.perf_counter()

    # Ingest: two uploaded articles plus a server-side folder of 20 more.
    open_tab(pg, "Ingest")
    uploads = [str(p) for p, _ in bbc_files(1, offset=10)[:2]]
    pg.locator("#ingest-upload input[type=file]").set_input_files(uploads)
    wait_text(pg, "ingest-upload", r"\.txt")
    fill(pg, "ingest-folder", bbc_sample_dir)
    pg.click("#ingest-start")
    wait_job(pg, "ingest")
    summary = wait_text(pg, "ingest-summary", r"documents")
    assert "Ingest finished" in summary
    n_docs = ctx.ws.catalog.count("documents")
    assert n_docs >= 15, summary
    wait_text(pg, "ingest-counts", rf"documents {n_docs}\b")
    shot(pg, artifacts_dir, "1-ingest")

    # Explore: search the best-connected entity, see its graph, click a neighbour, read its facts.
    store = ctx.store()
    hub = hub_entity(store)
    open_tab(pg, "Explore")
    fill(pg, "explore-search", hub.name)
    pg.click("#explore-search-btn")
    wait_text(pg, "explore-entity-info", re.escape(hub.name))
    choose(pg, "explore-entity", f"{hub.name} ({hub.type})")  # the name may be shared by types
    wait_text(pg, "explore-entity-info", hub.id)
    pg.wait_for_selector("#explore-graph .kg-graph[data-ready='1']:not([data-nodes='0'])")
    shown = pg.evaluate(
        "() => document.querySelector('#explore-graph .kg-graph').__kgNetwork.body.data.nodes.getIds()"
    )
    assert hub.id in shown and len(shown) >= 2, shown
    typed_edges = int(pg.get_attribute("#explore-graph .kg-graph", "data-edges"))
    pg.locator("#explore-cooc input").check()  # the co-occurrence layer, drawn thin and grey
    pg.wait_for_function(
        """(n) => { const box = document.querySelector('#explore-graph .kg-graph');
        return box.dataset.ready === '1' && Number(box.dataset.edges) > n; }""",
        arg=typed_edges,
    )
    grey = pg.evaluate(
        """() => document.querySelector('#explore-graph .kg-graph').__kgNetwork.body.data.edges
        .get().filter((e) => e.kind === 'cooccurrence' && e.dashes).length"""
    )
    assert grey > 0
    pg.locator("#explore-cooc input").uncheck()
    pg.wait_for_selector(f"#explore-graph .kg-graph[data-ready='1'][data-edges='{typed_edges}']")
    neighbour = next(store.entity(i) for i in shown if i != hub.id)
    click_node(pg, neighbour.id)
    wait_text(pg, "explore-entity-info", re.escape(neighbour.name))
    fact = next(
        f for f in store.facts(neighbour.id, include_cooccurrence=True) if f.relation.evidence
    )
    evidence = fact.relation.evidence[0]
    facts_text = wait_text(pg, "explore-facts", re.escape(evidence.sentence.split()[0]))
    doc = ctx.ws.catalog.document(evidence.doc_id)
    assert Path(doc.source).name in facts_text
    pg.click("#explore-stats-btn")
    wait_text(pg, "explore-stats", rf"\b{store.stats().entities}\b entities")
    pg.get_by_text("Query console (read-only)").click()
    fill(pg, "query-text", "stats")
    pg.click("#query-run")
    wait_text(pg, "query-message", r"\d+ row")
    fill(pg, "query-text", "drop everything")
    pg.click("#query-run")
    wait_text(pg, "query-message", r"⚠ read-only")
    shot(pg, artifacts_dir, "2-explore")

    # Synthesize: a classification set from the BBC label schema; preview first.
    open_tab(pg, "Synthesize")
    pg.locator("#synth-task label", has_text="Question answering").click()
    pg.click("#synth-preview-btn")
    wait_text(pg, "synth-preview", r"Prompt 1")
    wait_text(pg, "synth-tokens", r"prompt tokens for 20 examples")
    pg.locator("#synth-task label", has_text="Classification").click()
    schema_file = Path(__file__).parents[1] / "examples" / "bbc_schema.yaml"
    pg.locator("#synth-schema-file input[type=file]").set_input_files(str(schema_file))
    wait_text(pg, "synth-schema", r"entertainment")
    fill(pg, "synth-per-label", 4)
    fill(pg, "synth-name", "topics")
    pg.click("#synth-preview-btn")
    wait_text(pg, "synth-tokens", r"documents")
    wait_text(pg, "synth-preview", r"business")
    fill(pg, "synth-generated", 2)
    pg.click("#synth-preview-btn")
    wait_text(pg, "synth-preview", r"Prompt for business")
    wait_text(pg, "synth-tokens", r"prompt tokens for 10 generated")
    fill(pg, "synth-generated", 0)
    pg.locator("#synth-selection label", has_text="top").click()
    pg.click("#synth-run")
    wait_job(pg, "synth")
    wait_text(pg, "synth-result", r"Dataset topics .* examples")
    wait_text(pg, "synth-result", r"weak labels expected right")
    shot(pg, artifacts_dir, "3-synthesize")

    # Review from the keyboard: accept, reject, relabel; agreement; apply.
    open_tab(pg, "Review")
    choose(pg, "review-version", "topics")
    pg.get_by_text("Combine weak labels (annotate)").click()
    pg.click("#review-annotate")
    wait_job(pg, "review-annotate")
    pg.wait_for_function(
        "() => /annotate/.test(document.querySelector('#review-version input').value)"
    )
    pg.click("#review-load")
    wait_text(pg, "review-card", r"classify")
    pg.locator("#review-card").click()
    pg.keyboard.press("a")
    wait_text(pg, "review-last", r"accept")
    pg.keyboard.press("r")
    wait_text(pg, "review-last", r"reject")
    choose(pg, "review-label", "tech")
    pg.locator("#review-card").click()
    pg.keyboard.press("l")
    wait_text(pg, "review-last", r"relabel .*tech")
    pg.get_by_text("Edit", exact=True).click()
    field(pg, "review-input").fill("An edited article about a new phone and its software.")
    pg.locator("#review-card").click()
    pg.keyboard.press("e")
    wait_text(pg, "review-last", r"edit")
    pg.click("#review-agreement-btn")
    wait_text(pg, "review-agreement", r"examples\s+\d+")
    pg.click("#review-apply")
    wait_job(pg, "review-apply")
    wait_text(pg, "review-applied", r"New version")
    shot(pg, artifacts_dir, "4-review")
    reviewed = ctx.ws.catalog.datasets()[-1]
    decisions = ctx.ws.catalog.reviews()
    assert {d.action for d in decisions} >= {"accept", "reject", "relabel", "edit"}

    # Clean with two filters, read the report; export and download.
    open_tab(pg, "Clean and export")
    choose(pg, "clean-version", reviewed.id[:10])
    keep = {"normalize", "exact_dedup"}
    for box in pg.locator("#clean-filters label").all():
        name = box.inner_text().strip()
        if box.locator("input").is_checked() != (name in keep):
            box.click()
    pg.click("#clean-run")
    wait_job(pg, "clean")
    wait_text(pg, "clean-report", r"Kept \d+ examples")
    for elem_id, share in (("export-train", 0.6), ("export-dev", 0.2)):  # a test split to score
        box = pg.locator(f"#{elem_id} input[type=number]")
        box.fill(str(share))
        box.press("Enter")
    pg.click("#export-run")
    wait_job(pg, "export")
    wait_text(pg, "export-result", r"Exported to")
    wait_text(pg, "export-download", r"\.zip")
    with pg.expect_download() as download:
        pg.locator("#export-download a").first.click()
    with zipfile.ZipFile(download.value.path()) as zf:
        assert "train.jsonl" in zf.namelist()
    counts = wait_text(pg, "export-counts", r"test")
    assert re.search(r"test\s+[1-9]", counts), counts
    shot(pg, artifacts_dir, "5-clean-export")

    # Fine-tune a tiny classifier on the export: live loss, report, confusion matrix.
    open_tab(pg, "Fine-tune")
    choose(pg, "ft-export")
    fill(pg, "ft-epochs", 1)
    fill(pg, "ft-batch", 8)
    fill(pg, "ft-maxlen", 64)
    fill(pg, "ft-name", "ui-run")
    pg.click("#ft-start")
    wait_job(pg, "ft", timeout=240_000)
    wait_text(pg, "ft-report", r"macro|Evaluation|classifier")
    pg.wait_for_selector("#ft-loss canvas, #ft-loss svg")
    assert ctx.ws.catalog.logs(ctx.ws.catalog.jobs()[0].id), "training logged nothing"
    pg.locator("#ft-compare-runs label", has_text="ui-run").click()
    pg.click("#ft-compare")
    wait_text(pg, "ft-compare-md", r"Runs compared")
    shot(pg, artifacts_dir, "6-finetune")

    # Jobs: every job is listed with its final state.
    open_tab(pg, "Jobs")
    table = wait_text(pg, "jobs-table", r"train_classifier")
    for kind in ("ingest", "synth_classify", "clean", "export"):
        assert kind in table
    shot(pg, artifacts_dir, "7-jobs")
    assert page.external == [], f"requests left 127.0.0.1: {page.external[:5]}"
    assert page.errors == [], page.errors


def test_responsive_while_job_runs_and_cancel_resume(ui_app, ui_page, artifacts_dir):
    """A search answers within a second while a job runs; the job cancels and resumes from Jobs."""
    url, demo = ui_app
    ctx = demo.kgsynth_context
    page = ui_page
    pg = page.page
    pg.goto(url)
    pg.wait_for_selector("#explore-search")
    store = ctx.store()
    names: list[str] = []
    for e in store.iter_entities():  # three names, none inside another (so each shows a change)
        if not any(e.name in n or n in e.name for n in names):
            names.append(e.name)
        if len(names) == 3:
            break
    assert len(names) == 3, "the flow test should have ingested documents first"
    fill(pg, "explore-search", names[-1])  # warm up the page's event connection first
    pg.click("#explore-search-btn")
    wait_text(pg, "explore-entity-info", re.escape(names[-1]))
    job = ctx.submit("sleep_count", {"n": 300, "delay": 0.1})
    deadline = time.monotonic() + 30
    while ctx.job(job.id).done < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ctx.job(job.id).state == "running"

    timings = []
    for name in names:
        fill(pg, "explore-search", name)
        start = time.perf_counter()
        pg.click("#explore-search-btn")
        wait_text(pg, "explore-entity-info", re.escape(name), timeout=5_000)
        timings.append(time.perf_counter() - start)
    assert ctx.job(job.id).state == "running"
    print(f"[ui] search latency while a job runs: {[round(s, 3) for s in timings]} s")
    assert max(timings) < 1.0, timings

    open_tab(pg, "Jobs")
    wait_text(pg, "jobs-table", re.escape(job.id))
    choose(pg, "jobs-select", job.id)
    wait_text(pg, "jobs-logs", r".")
    pg.click("#jobs-cancel")
    wait_text(pg, "jobs-message", r"cancelled")
    done_before = ctx.job(job.id).done
    pg.click("#jobs-resume")
    wait_text(pg, "jobs-message", r"queued|running")
    deadline = time.monotonic() + 30
    while ctx.job(job.id).done <= done_before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ctx.job(job.id).done > done_before
    shot(pg, artifacts_dir, "8-jobs-cancel-resume")
    assert page.external == [], page.external[:5]


def test_settings_never_show_api_keys(ui_app, ui_page, monkeypatch, artifacts_dir):
    """A generator endpoint is saved with the NAME of its key variable; the key itself never shows."""
    url, demo = ui_app
    monkeypatch.setenv("KGSYNTH_TEST_API_KEY", "sk-very-secret-value")
    page = ui_page
    pg = page.page
    pg.goto(url)
    open_tab(pg, "Settings")
    wait_text(pg, "settings-generators", r"template")
    fill(pg, "settings-gen-name", "local-vllm")
    fill(pg, "settings-gen-model", "smollm2")
    fill(pg, "settings-gen-url", "http://127.0.0.1:8000/v1")
    fill(pg, "settings-gen-key-env", "KGSYNTH_TEST_API_KEY")
    pg.click("#settings-save-generator")
    wait_text(pg, "settings-message", r"Saved generator")
    table = wait_text(pg, "settings-generators", r"local-vllm")
    assert "KGSYNTH_TEST_API_KEY" in table and "yes" in table
    fill(pg, "settings-gen-name", "bad")
    fill(pg, "settings-gen-key-env", "sk-pasted-a-key!")
    pg.click("#settings-save-generator")
    pg.wait_for_selector("text=the API key field takes the NAME")
    shot(pg, artifacts_dir, "9-settings")
    ws = demo.kgsynth_context.ws
    assert ws.config.generators["local-vllm"].api_key_env == "KGSYNTH_TEST_API_KEY"
    assert "sk-very-secret-value" not in pg.content()
    assert "sk-" not in (ws.path / "kgsynth.toml").read_text()
    import httpx  # the workspace itself is not served: only exports and run reports are

    assert httpx.get(f"{url}gradio_api/file={ws.path / 'kgsynth.toml'}").status_code >= 400
    assert httpx.get(f"{url}gradio_api/file={ws.path / 'catalog.sqlite'}").status_code >= 400
