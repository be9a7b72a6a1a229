"""kgsynth: turn domain documents into supervised fine-tuning data, through a knowledge graph.

The Python API starts at :class:`kgsynth.workspace.Workspace`; the CLI (``kgsynth``) and the Gradio app
(``ui.py``) are thin shells over it.
"""

from kgsynth.errors import KgsynthError
from kgsynth.workspace import Workspace, open_workspace

__all__ = ["KgsynthError", "Workspace", "open_workspace"]
__version__ = "0.1.0"
