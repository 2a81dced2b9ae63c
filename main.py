"""Layerboard's entry point: `python main.py` opens the app; `python main.py COMMAND …` runs the CLI."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        from ui.app import main as run_app

        return run_app([])
    from builder.cli import main as run_cli

    return run_cli(argv)


if __name__ == "__main__":
    sys.exit(main())
