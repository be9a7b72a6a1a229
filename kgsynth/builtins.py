"""What the foundation adds to kgsynth's registries: the generators (template, transformers, openai),
the engines (local, ray) and the ``sleep_count`` job kind; the graph store registry itself.

Named in the ``kgsynth.plugins`` entry-point group (pyproject.toml) like each stage's module, so the
foundation's built-ins and every plugin's extensions are registered the same way.
"""

from kgsynth import generators, jobs, ray_engine, store  # noqa: F401
