"""An interactive neighbourhood view: vis-network (vendored, served locally) inside a gr.HTML.

The JS library ships in ``static/vis-network.min.js`` (npm ``vis-network`` standalone UMD build), so
no CDN is needed. Clicking a node fires the custom ``node_click`` event with ``{"id": entity_id}``.
"""

from __future__ import annotations

import json
from pathlib import Path

from kgsynth.types import Relation, Subgraph

STATIC_DIR = Path(__file__).parent / "static"
VIS_JS = STATIC_DIR / "vis-network.min.js"

# Colours per entity type (spaCy labels); anything else gets a stable colour from the palette.
TYPE_COLOURS = {
    "PERSON": "#e15759",
    "ORG": "#4e79a7",
    "GPE": "#59a14f",
    "LOC": "#76b7b2",
    "NORP": "#edc948",
    "PRODUCT": "#b07aa1",
    "EVENT": "#ff9da7",
    "WORK_OF_ART": "#9c755f",
    "FAC": "#bab0ac",
    "LAW": "#f28e2b",
}
COOCCURRENCE_GREY = "#9e9e9e"
_PALETTE = ["#86bcb6", "#d37295", "#fabfd2", "#b6992d", "#499894", "#8cd17d", "#a0cbe8"]


def type_colour(entity_type: str) -> str:
    """A fixed colour per entity type, so the legend stays the same across views."""
    if entity_type in TYPE_COLOURS:
        return TYPE_COLOURS[entity_type]
    return _PALETTE[sum(map(ord, entity_type)) % len(_PALETTE)]


def graph_data(sub: Subgraph, focus: str | None = None) -> dict:
    """vis-network nodes and edges for a subgraph: types coloured, edges labelled."""
    nodes = [
        {
            "id": e.id,
            "label": e.name,
            "title": f"{e.name} ({e.type}) · {e.mentions} mentions",
            "group": e.type,
            "color": type_colour(e.type),
            "borderWidth": 3 if e.id == focus else 1,
            "size": 22 if e.id == focus else 14,
        }
        for e in sub.entities
    ]
    ids = {e.id for e in sub.entities}
    edges = [edge(r) for r in sub.relations if r.source_id in ids and r.target_id in ids]
    legend = sorted({e.type for e in sub.entities})
    return {
        "nodes": nodes,
        "edges": edges,
        "legend": [[t, type_colour(t)] for t in legend],
    }


def edge(r: Relation) -> dict:
    """A typed relation: a labelled arrow. A co-occurrence: a thin grey dashed line, untitled
    but for its count and first sentence (the two names share sentences; nothing is typed)."""
    if r.kind == "relation":
        return {
            "id": r.id,
            "from": r.source_id,
            "to": r.target_id,
            "label": r.predicate,
            "arrows": "to",
            "width": 2,
            "title": f"{r.predicate} · weight {r.weight:g}",
        }
    sentence = r.evidence[0].sentence if r.evidence else ""
    return {
        "id": r.id,
        "from": r.source_id,
        "to": r.target_id,
        "label": "",
        "dashes": True,
        "width": 1,
        "color": {"color": COOCCURRENCE_GREY, "opacity": 0.7},
        "title": f"co-occurs x{r.weight:g} · {sentence[:160]}",
        "kind": "cooccurrence",
    }


def graph_json(sub: Subgraph | None, focus: str | None = None) -> str:
    """The value the graph component takes (a JSON string)."""
    if sub is None:
        return json.dumps({"nodes": [], "edges": [], "legend": []})
    return json.dumps(graph_data(sub, focus))


def head_html(url_prefix: str = "/gradio_api/file=") -> str:
    """The <script> tag that loads the vendored vis-network from the app's own server."""
    return f'<script src="{url_prefix}{VIS_JS.as_posix()}"></script>'


HTML_TEMPLATE = """
<div class="kg-legend"></div>
<div class="kg-graph" data-ready="0" style="height: 460px; border: 1px solid #ddd;"></div>
"""

# Runs once when the component mounts; redraws whenever the value changes.
JS_ON_LOAD = """
const draw = () => {
  const box = element.querySelector('.kg-graph');
  const legend = element.querySelector('.kg-legend');
  if (!box) return;
  let data = {nodes: [], edges: [], legend: []};
  try { data = JSON.parse(props.value || '{}'); } catch (e) { }
  legend.innerHTML = (data.legend || []).map(
    ([t, c]) => `<span style="display:inline-block;margin:2px 8px 2px 0">` +
      `<span style="display:inline-block;width:10px;height:10px;background:${c};` +
      `border-radius:50%;margin-right:4px"></span>${t}</span>`).join('');
  if (typeof vis === 'undefined') { box.textContent = 'graph library failed to load'; return; }
  if (element.__kgNetwork) { element.__kgNetwork.destroy(); }
  box.setAttribute('data-ready', '0');
  box.setAttribute('data-nodes', String((data.nodes || []).length));
  box.setAttribute('data-edges', String((data.edges || []).length));
  const network = new vis.Network(box, {
    nodes: new vis.DataSet(data.nodes || []),
    edges: new vis.DataSet(data.edges || []),
  }, {
    nodes: {shape: 'dot', font: {size: 13}},
    edges: {font: {size: 10, align: 'middle'}, smooth: {type: 'continuous'}},
    physics: {stabilization: {iterations: 200, fit: true},
      barnesHut: {springLength: 160, avoidOverlap: 0.3}},
    interaction: {hover: true},
  });
  element.__kgNetwork = network;
  box.__kgNetwork = network;
  const ready = () => {
    network.setOptions({physics: false});
    network.fit();
    box.setAttribute('data-ready', '1');
  };
  network.once('stabilizationIterationsDone', ready);
  if ((data.nodes || []).length === 0) { ready(); }
  network.on('click', (params) => {
    if (params.nodes && params.nodes.length) {
      trigger('node_click', {id: params.nodes[0]});
    }
  });
};
draw();
watch('value', draw);
"""
