"""The Gradio app's parts: one module per tab, plus presentation helpers (tables, graph view, jobs)."""
