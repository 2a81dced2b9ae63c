"""TensorFlow's native start-up chatter kept off the terminal, in one place.

Importing TensorFlow prints lines from its C++ libraries before anything in Python can set a level (the oneDNN
notice, "Could not find cuda drivers", absl's "All log messages before absl::InitializeLog() ..."), and its first
operation more ("failed call to cuInit", CPU-instruction notices). `install()` (called when `builder` is imported)
sets `TF_CPP_MIN_LOG_LEVEL=3` unless the user set a level, and makes the first `import tensorflow` run with the
process's stderr caught, writing back every line that is not such a notice. The numerics are untouched:
`TF_ENABLE_ONEDNN_OPTS` is never changed, only its notice is hidden.

`LAYERBOARD_DEBUG=1` turns all of this off (everything is shown). Child processes that run TensorFlow get
`child_environment()` and pass what they print through `without_chatter()`.
"""
from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import logging
import os
import re
import sys
import tempfile

from builder.faults import debugging

LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"
QUIET_LEVEL = "3"

# The start-up notices, by the file that logs them or their words (glog/absl form: "I0000 00:00:… file.cc:12] …").
_NATIVE_LOG = re.compile(r"^[IWEF]\d{4} [\d:.]+\s+\d+ (?P<file>[\w.]+):\d+\] (?P<text>.*)$")
_CHATTER_FILES = {"port.cc", "cudart_stub.cc", "cuda_platform.cc", "cuda_executor.cc", "cuda_diagnostics.cc",
                  "cpu_feature_guard.cc", "cuda_fft.cc", "cuda_dnn.cc", "cuda_blas.cc", "gpu_device.cc",
                  "computation_placer.cc", "cpu_utils.cc", "dso_loader.cc"}
_CHATTER_TEXT = re.compile(r"oneDNN custom operations|TF_ENABLE_ONEDNN_OPTS|cuda drivers|cuInit|cuDNN|cuFFT|cuBLAS|"
                           r"CPU instructions|rebuild TensorFlow with the appropriate compiler flags|"
                           r"Unable to register cu|computation placer already registered")
_CHATTER_LINES = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",)


def is_chatter(line: str) -> bool:
    """Whether a line of stderr is one of TensorFlow's start-up notices."""
    line = line.strip()
    if line in _CHATTER_LINES:
        return True
    match = _NATIVE_LOG.match(line)
    return bool(match) and (match["file"] in _CHATTER_FILES or bool(_CHATTER_TEXT.search(match["text"])))


def without_chatter(text: str) -> str:
    """Text from a child process's stderr without TensorFlow's start-up notices (all of it when debugging)."""
    if debugging():
        return text
    return "".join(line for line in text.splitlines(keepends=True) if not is_chatter(line))


def child_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process that runs TensorFlow: this one's, quiet unless the user set a level
    or debugs."""
    env = {**os.environ, **(extra or {})}
    if not debugging():
        env.setdefault(LEVEL_VARIABLE, QUIET_LEVEL)
    return env


class CaughtStderr:
    """What file descriptor 2 received inside `caught_stderr()` (C++ logs included); `text()` reads it so far."""

    def __init__(self, file) -> None:
        self.file = file  # the temporary file while the block runs, then None
        self.data = b""

    def text(self) -> str:
        if self.file is not None:
            sys.stderr.flush()
            self.file.seek(0)
            self.data = self.file.read()
        return self.data.decode(errors="replace")


@contextlib.contextmanager
def caught_stderr():
    """Catch everything written to file descriptor 2 (Python's and C++'s) until the block ends; the caller decides
    what to write back. Process-wide: another thread's writes in that time are caught too."""
    sys.stderr.flush()
    with tempfile.TemporaryFile() as file:
        saved = os.dup(2)
        os.dup2(file.fileno(), 2)
        caught = CaughtStderr(file)
        try:
            yield caught
        finally:
            caught.text()  # keep what came, before the file closes
            caught.file = None
            os.dup2(saved, 2)
            os.close(saved)


class _QuietLoader(importlib.abc.Loader):
    """Runs the real loader of `tensorflow` with file descriptor 2 caught, then writes back what is not chatter."""

    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name):  # get_filename, is_package, get_resource_reader...: the real loader's
        if name == "loader":
            raise AttributeError(name)
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        with caught_stderr() as caught:
            try:
                self.loader.exec_module(module)
            finally:
                rest = without_chatter(caught.text())
                if rest:
                    sys.stderr.write(rest)
                    sys.stderr.flush()
        _quiet_python_logs()


class _QuietFinder(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` as the other finders do, and hands it to _QuietLoader."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "tensorflow":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _QuietLoader(spec.loader)
                return spec
        return None


_FINDER = _QuietFinder()


def _quiet_python_logs() -> None:
    """absl's and TensorFlow's Python logging at errors only, when the level is the quiet one."""
    if os.environ.get(LEVEL_VARIABLE) != QUIET_LEVEL or debugging():
        return
    absl_logging = sys.modules.get("absl.logging")
    if absl_logging is not None:
        absl_logging.set_verbosity(absl_logging.ERROR)
    # TensorFlow's Python warnings (deprecations inside tf2onnx and the converters) are not the user's to act on
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def install() -> None:
    """Quiet TensorFlow's start-up for this process (once; nothing when debugging or when it is already loaded)."""
    if debugging() or "tensorflow" in sys.modules:
        return
    # A level the user chose holds, and below 3 their notices are shown (3, ours too, means "quiet").
    if os.environ.setdefault(LEVEL_VARIABLE, QUIET_LEVEL) != QUIET_LEVEL:
        return
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
