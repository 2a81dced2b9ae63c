"""Ending a command's process: after a command that loaded TensorFlow succeeds, the process exits without Python's
teardown of its modules.

That teardown frees, one object at a time, what the operating system frees at once when the process ends: after
TensorFlow and Keras are imported it takes about a second on a 2-core CPU (`python bench/auto_settings.py
--process`), as long as 15 epochs of a small model train. Everything a command writes is finished before: the
non-daemon threads have been joined (Python does that before its exit handlers), every exit handler registered
while the command ran has run (this one is registered before it runs, so after them), the log handlers are flushed
and closed, stdout and stderr are flushed; the command's own files are written atomically and closed when it
returns. It is the shortcut
Instagram's servers took (`atexit.register(os._exit, 0)`), keeping the command's exit code.

Only a command that succeeded (returned 0) skips the teardown: a command that failed (an error it reported, Ctrl-C,
an exception, `sys.exit`) ends the process as Python always does, so whatever a failure left open (a TensorBoard
writer of a run that failed mid-epoch) is still closed by it. Used by the process entry (`main.run`), never by code that calls `main.main`
inside another process (the tests).
"""
from __future__ import annotations

import atexit
import logging
import os
import sys
from typing import Callable, NoReturn

SLOW_TEARDOWN_MODULES = ("tensorflow", "keras")  # imported, they make the teardown take about a second


def run_then_exit(command: Callable[[], int]) -> NoReturn:
    """Run `command()` and exit with its code; when it succeeded after importing TensorFlow or Keras, skip the
    module teardown (see the module docstring)."""
    returned: list[int] = []

    def end_now() -> None:
        if returned != [0] or not any(name in sys.modules for name in SLOW_TEARDOWN_MODULES):
            return
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more can be said on it
                pass
        os._exit(returned[0])

    atexit.register(end_now)  # registered before the command runs: every handler it registers runs before this
    code = command()
    returned.append(code if isinstance(code, int) else 0)
    sys.exit(returned[0])
