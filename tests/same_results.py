"""What two runs of the same pipeline must agree on, whatever engine ran them."""

from __future__ import annotations

from pathlib import Path


def graph_digest(ws) -> dict[str, list[str]]:
    """Every stored record of the corpus and graph, by id (entities and relations in full)."""
    return {
        "documents": sorted(d.id for d in ws.catalog.iter_documents()),
        "chunks": sorted(c.id for c in ws.catalog.iter_chunks()),
        "mentions": sorted(m.id for m in ws.catalog.iter_mentions()),
        "triples": sorted(t.id for t in ws.catalog.iter_triples()),
        "entities": sorted(e.model_dump_json() for e in ws.store.iter_entities()),
        "relations": sorted(r.model_dump_json() for r in ws.store.iter_relations()),
        "merges": [m.model_dump_json() for m in ws.catalog.merges()],
    }


def export_bytes(folder: Path) -> dict[str, bytes]:
    """The exported data files and dataset_info.json (the card quotes workspace paths)."""
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != "README.md"
    }
