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


def run() -> None:
    """The process's entry (`python main.py`, the `layerboard` script): `main()`, then exit with its code. A command
    that loaded TensorFlow skips Python's module teardown when it returns (builder/cli/process_exit.py)."""
    if not sys.argv[1:]:
        sys.exit(main())
    from builder.cli import run_then_exit

    run_then_exit(main)


if __name__ == "__main__":
    run()
