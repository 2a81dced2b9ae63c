"""The command line: `python main.py COMMAND ...`, one module per command group, arguments beside their handler."""
from builder.cli.dispatch import main
from builder.cli.process_exit import run_then_exit

__all__ = ["main", "run_then_exit"]
