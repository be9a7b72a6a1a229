"""What the graph stage adds to kgsynth's registries: its graph stores, extractors and job kinds.

Named in the ``kgsynth.plugins`` entry-point group (pyproject.toml); importing it registers them.
"""

from kg import extract_model, extract_spacy, extract_zh, jobs, stores  # noqa: F401
