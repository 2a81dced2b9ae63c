"""The command line: `python main.py COMMAND ...`, one module per command group, arguments beside their handler."""
from builder.cli.dispatch import main

__all__ = ["main"]
