"""The layer contracts in pyproject.toml cover the whole foundation, and hold (lint-imports)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _contract(name_start: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c["name"].startswith(name_start))


def test_foundation_contract_lists_every_foundation_module():
    listed = set(_contract("The foundation")["source_modules"])
    package = ROOT / "kgsynth"
    found = {
        "kgsynth." + (p.stem if p.is_file() else p.name)
        for p in package.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }
    found.discard("kgsynth.app")
    assert found == listed, f"add to / remove from the foundation contract: {found ^ listed}"


def test_layer_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is not installed (pip install -r requirements.lock)"
    run = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_no_module_imports_itself_back():
    """No import cycle at all, a package and its own modules included (import-linter's sibling
    contract leaves those out): the graph of every import, lazy ones too, has no loop."""
    import grimp
    import networkx as nx

    graph = grimp.build_graph("kgsynth", "kg", "synth", "finetune", cache_dir=None)
    edges = nx.DiGraph(
        (m, d) for m in graph.modules for d in graph.find_modules_directly_imported_by(m)
    )
    loops = [sorted(c) for c in nx.strongly_connected_components(edges) if len(c) > 1]
    assert not loops, f"import cycles: {loops}"
