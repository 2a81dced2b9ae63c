"""One error hierarchy for the engine; every message names the place, the problem and the fix."""
from __future__ import annotations


class LayerboardError(Exception):
    """Base of every error the engine raises on purpose; its message is shown to the user as is."""


class ProjectFileError(LayerboardError):
    """A project file that cannot be read: malformed JSON, wrong format, unknown version, bad field."""

    def __init__(self, path, place: str, problem: str):
        self.path = str(path)
        self.place = place
        self.problem = problem
        where = f"{self.path}: {place}" if place else self.path
        super().__init__(f"{where}: {problem}")


class InvalidProjectError(LayerboardError):
    """A project whose settings are not valid: every problem, each naming its field, the rule and the value."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__(f"{source} is not valid ({count}); fix these settings and try again:\n  "
                         + "\n  ".join(self.problems))


class GraphError(LayerboardError):
    """The graph cannot be built: carries the per-node errors found by shape inference."""

    def __init__(self, message: str, node_errors: dict[str, str] | None = None):
        self.node_errors = dict(node_errors or {})
        super().__init__(message)


class UnknownBlockError(LayerboardError):
    """A block type that is not in the catalogue."""


class DatasetError(LayerboardError):
    """A dataset reference that cannot be loaded."""


class TrainingError(LayerboardError):
    """Training could not run or stopped on a fault (NaN loss, out of memory...)."""


class ExportError(LayerboardError):
    """An export that failed to write or failed its verification."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (Keras and TensorFlow often add pages after it), or its class name."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
