"""Entry point of the Gradio app: ``python ui.py [--workspace W] [--store S] [--host H] [--port P]``.

The same as ``kgsynth ui``; the app itself lives in :mod:`kgsynth.app.ui.app`.
"""

from __future__ import annotations

import sys

from kgsynth.app.cli import main as cli_main

GROUP_OPTIONS = ("--workspace", "-w", "--store")  # options of the main group go before "ui"


def main(argv: list[str] | None = None) -> None:
    args, front = list(sys.argv[1:] if argv is None else argv), []
    for flag in GROUP_OPTIONS:
        if flag in args:
            i = args.index(flag)
            front += args[i : i + 2]
            del args[i : i + 2]
    if "--debug" in args:
        args.remove("--debug")
        front.append("--debug")
    cli_main([*front, "ui", *args])


if __name__ == "__main__":
    main()
