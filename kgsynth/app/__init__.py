"""The shells over the Python API: the ``kgsynth`` CLI (:mod:`kgsynth.app.cli`), the Gradio app
(:mod:`kgsynth.app.ui`) and the main job (:mod:`kgsynth.app.demo`). Nothing imports this package."""
