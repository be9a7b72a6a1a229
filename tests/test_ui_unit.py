"""The app's parts without a browser: binding rules, config writing, graph view data, formatting."""

from __future__ import annotations

import json
import tomllib

import pytest

from kgsynth.app.ui import graphview as gv
from kgsynth.app.ui import tables as t
from kgsynth.app.ui.jobpanel import progress_html
from kgsynth.config import Config, dump_toml, generator_options, load_config, save_config
from kgsynth.errors import ConfigError
from kgsynth.types import Entity, Evidence, Fact, Job, JobState, Relation, Subgraph


def test_auth_required_off_loopback():
    from kgsynth.app.ui import app as ui

    assert ui.resolve_auth("127.0.0.1", env={}) is None
    with pytest.raises(ConfigError, match="KGSYNTH_UI_USER and KGSYNTH_UI_PASSWORD"):
        ui.resolve_auth("0.0.0.0", env={})
    with pytest.raises(ConfigError):
        ui.resolve_auth("127.0.0.1", share=True, env={"KGSYNTH_UI_USER": "a"})
    env = {"KGSYNTH_UI_USER": "ann", "KGSYNTH_UI_PASSWORD": "long-enough-pw"}
    assert ui.resolve_auth("0.0.0.0", env=env) == ("ann", "long-enough-pw")
    for short in ("pw", "abc", "123456789"):  # a 3-character password was accepted before
        with pytest.raises(ConfigError, match="KGSYNTH_UI_PASSWORD is too short"):
            ui.resolve_auth("0.0.0.0", env={"KGSYNTH_UI_USER": "ann", "KGSYNTH_UI_PASSWORD": short})


def test_cli_refuses_public_bind_without_login(tmp_path, monkeypatch, capsys):
    from kgsynth.app.cli import main

    monkeypatch.delenv("KGSYNTH_UI_USER", raising=False)
    monkeypatch.delenv("KGSYNTH_UI_PASSWORD", raising=False)
    with pytest.raises(SystemExit) as e:
        main(["--workspace", str(tmp_path / "ws"), "ui", "--host", "0.0.0.0", "--port", "7999"])
    assert e.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: refusing to serve on 0.0.0.0") and "\n" not in err


def test_config_round_trip(tmp_path):
    config = Config()
    config.store.kind = "neo4j"
    config.store.neo4j.uri = "bolt://127.0.0.1:7688"
    config.generators["local vllm"] = generator_options(
        kind="openai", model="m", base_url="http://127.0.0.1:8000/v1", api_key_env="VLLM_KEY"
    )
    save_config(tmp_path, config)
    assert load_config(tmp_path) == config
    assert tomllib.loads(dump_toml({"a": {"b": [1, "x"]}, "c": True})) == {
        "a": {"b": [1, "x"]},
        "c": True,
    }


def _graph() -> tuple[Entity, Entity, Relation]:
    a = Entity(id="e1", name="Ann <b>", type="PERSON")
    b = Entity(id="e2", name="Acme", type="ORG")
    ev = Evidence(triple_id="t", chunk_id="c", doc_id="d1", sentence="Ann works for Acme.")
    r = Relation(id="r1", source_id="e1", target_id="e2", predicate="work_for", evidence=[ev])
    return a, b, r


def test_graph_data_colours_types_and_labels_edges():
    a, b, r = _graph()
    cooc = Relation(id="r2", source_id="e2", target_id="e1", predicate="co", kind="cooccurrence")
    data = gv.graph_data(Subgraph(entities=[a, b], relations=[r, cooc]), focus="e1")
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["e1"]["color"] == gv.TYPE_COLOURS["PERSON"] != nodes["e2"]["color"]
    assert nodes["e1"]["size"] > nodes["e2"]["size"]
    edges = {e["id"]: e for e in data["edges"]}
    assert edges["r1"]["label"] == "work_for" and edges["r1"]["arrows"] == "to"
    assert edges["r2"]["dashes"] and edges["r2"]["label"] == ""
    assert edges["r2"]["width"] < edges["r1"]["width"]
    assert edges["r2"]["color"]["color"] == gv.COOCCURRENCE_GREY
    assert ["ORG", gv.TYPE_COLOURS["ORG"]] in data["legend"]
    assert gv.type_colour("SOMETHING") == gv.type_colour("SOMETHING")
    assert gv.VIS_JS.is_file() and gv.VIS_JS.stat().st_size > 100_000


def test_fact_rows_carry_evidence_and_document():
    a, b, r = _graph()
    rows = t.fact_rows([Fact(relation=r, source=a, target=b)], lambda d: f"doc {d}")
    assert rows == [["Ann <b>", "work_for", "Acme", 1.0, "Ann works for Acme.", "doc d1"]]


def test_training_history_comes_from_the_job_result():
    from kgsynth.app.ui.finetune_tab import live

    steps = [{"step": 1, "loss": 1.6094}, {"step": 2, "loss": 1.5}]
    history = [{"epoch": 1, "train_loss": 1.55, "dev_macro_f1": 0.5}]
    job = Job(id="j", kind="train_classifier", result={"steps": steps, "history": history})
    frame, rows = live(job)
    assert frame.values.tolist() == [[1, 1.6094], [2, 1.5]] and rows == [[1, 1.55, 0.5]]
    assert live(Job(id="k", kind="train_classifier"))[1] == []  # nothing published yet


def test_progress_html_escapes_and_shows_state():
    job = Job(id="j1", kind="ingest", state=JobState.failed, done=1, total=4, error="<script>x")
    out = progress_html(job)
    assert 'data-state="failed"' in out and "25%" in out
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_rows_frame_mixed_keys():
    frame = t.rows_frame([{"a": 1, "b": [1, 2]}, {"c": "x" * 400}])
    assert list(frame.columns) == ["a", "b", "c"]
    assert frame.iloc[0]["b"] == "[1, 2]" and len(frame.iloc[1]["c"]) == 300


def test_app_builds_on_empty_workspace(tmp_path):
    from kgsynth.app.ui import app as ui

    demo = ui.build_app(tmp_path / "ws")
    ids = {b.elem_id for b in demo.blocks.values() if getattr(b, "elem_id", None)}
    for required in ("explore-search", "ingest-start", "synth-run", "review-accept", "clean-run"):
        assert required in ids
    assert {"export-run", "ft-start", "jobs-table", "settings-save-store"} <= ids
    demo.kgsynth_context.ws.close()


@pytest.mark.neo4j
def test_cypher_console_is_read_only(neo4j_server, tmp_path, monkeypatch):
    """Settings switch the store to a real Neo4j; its console reads, and refuses a write clause."""
    from kgsynth.app.ui.context import UIContext
    from kgsynth.app.ui.explore import query_help, run_query
    from kgsynth.app.ui.settings_tab import save_store

    monkeypatch.setenv("KGSYNTH_TEST_NEO4J_PASSWORD", neo4j_server.password)
    ctx = UIContext(tmp_path)
    try:
        env = "KGSYNTH_TEST_NEO4J_PASSWORD"
        message = save_store(ctx, "neo4j", neo4j_server.uri, "neo4j", env, "neo4j")
        assert "neo4j store has" in message and load_config(tmp_path).store.kind == "neo4j"
        assert neo4j_server.password not in (tmp_path / "kgsynth.toml").read_text()
        frame, message = run_query(ctx, "RETURN 1 AS one", 10)
        assert message == "1 row(s)" and frame.iloc[0]["one"] == 1
        frame, message = run_query(ctx, "CREATE (n:Evil) RETURN n", 10)
        assert message.startswith("⚠ read-only") and "CREATE" in message and frame.empty
        frame, message = run_query(ctx, "MATCH (n:Evil) RETURN count(n) AS c", 10)
        assert frame.iloc[0]["c"] == 0
        assert query_help(ctx)[0].startswith("Cypher")
    finally:
        ctx.ws.close()


def test_qa_preview_and_queries_on_real_graph(graph_workspace_dir):
    """Explore and Synthesize helpers on a real ingested graph (15 BBC articles)."""
    from kgsynth.app.ui.context import UIContext
    from kgsynth.app.ui.explore import entity_view, run_query, search, statistics
    from kgsynth.app.ui.synth_tab import qa_preview

    ctx = UIContext(graph_workspace_dir)
    try:
        entity = next(ctx.store().iter_entities())
        rows, choices, first = search(ctx, entity.name, None)
        assert first and any(r[0] == entity.name for r in rows) and choices[0][1] == first
        graph, info, facts = entity_view(ctx, first, 1)
        assert first in graph and "###" in info
        hub = max(ctx.store().iter_entities(), key=lambda e: e.mentions)
        typed = json.loads(entity_view(ctx, hub.id, 1)[0])["edges"]
        both = json.loads(entity_view(ctx, hub.id, 1, cooccurrence=True)[0])["edges"]
        assert not any(e.get("kind") == "cooccurrence" for e in typed)
        assert any(e.get("kind") == "cooccurrence" for e in both) and len(both) > len(typed)
        md, types, preds, central = statistics(ctx)
        assert "entities" in md and types["count"].sum() == ctx.store().stats().entities
        frame, message = run_query(ctx, "stats", 10)
        assert message.endswith("row(s)") and len(frame) >= 1
        prompts, examples, tokens = qa_preview(ctx, ["single_fact"], 40, "template", 0)
        assert "Prompt 1" in prompts and examples and "prompt tokens for 40 examples" in tokens
    finally:
        ctx.ws.close()


def test_python_ui_py_serves_the_app(tmp_path):
    """`python ui.py --port P` (the same entry as `kgsynth ui`) starts a server that answers."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx

    from tests.fixtures.browser import free_port

    port = free_port()
    root = Path(__file__).parents[1]
    env = {k: v for k, v in os.environ.items() if k != "KGSYNTH_WORKSPACE"}
    proc = subprocess.Popen(
        [sys.executable, str(root / "ui.py"), "--port", str(port), "-w", str(tmp_path / "ws")],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline, status = time.monotonic() + 90, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert status == 200, (
            proc.stderr.read().decode()[-2000:] if proc.poll() is not None else status
        )
        js = httpx.get(f"http://127.0.0.1:{port}/gradio_api/file={gv.VIS_JS}", timeout=5)
        assert js.status_code == 200 and b"vis-network" in js.content[:500]
        assert (tmp_path / "ws" / "exports").is_dir()  # it opened the workspace named by -w
    finally:
        proc.terminate()
        proc.wait(timeout=20)
