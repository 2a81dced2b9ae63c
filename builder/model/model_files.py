"""The one safe way to open a Keras model file, and seeded random inputs for checking a model."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from builder.errors import LayerboardError, first_line


class UnreadableModelError(LayerboardError):
    """Keras could not load a model file, or refused it; `reason` is Keras's first line, `refused_code`
    says the file holds code (a Lambda layer) that safe mode will not run."""

    def __init__(self, path: Path, reason: str, refused_code: bool):
        self.path, self.reason, self.refused_code = Path(path), reason, refused_code
        super().__init__(f"{path}: cannot load the model: {reason}")


def load_model_safely(path: str | Path, *, compile: bool = True, custom_objects: dict[str, Any] | None = None):
    """`keras.saving.load_model` in safe mode: code stored in the file (Lambda layers) is never run.

    Raises UnreadableModelError with Keras's own first line; callers add what the user should do.
    """
    import keras

    try:
        return keras.saving.load_model(str(path), custom_objects=custom_objects, compile=compile, safe_mode=True)
    except Exception as exc:  # Keras's refusal (safe mode) or a file it cannot read
        message = str(exc)
        refused = "Lambda" in message or "safe_mode" in message or "arbitrary code" in message
        raise UnreadableModelError(Path(path), first_line(exc), refused) from None


def random_inputs(inputs: list[tuple[tuple, str]], batch: int, *, seed: int = 0, unknown_dim: int = 8,
                  normal: bool = False, rng=None) -> list:
    """Seeded random arrays for inputs given as (shape without batch, dtype): integers and booleans 0 or 1,
    floats uniform in [0, 1) or standard normal; unknown dimensions become `unknown_dim`."""
    import numpy as np

    rng = rng if rng is not None else np.random.default_rng(seed)
    arrays = []
    for shape, dtype in inputs:
        full = (batch,) + tuple(unknown_dim if d is None else d for d in shape)
        dtype = str(dtype)
        if dtype == "bool":
            arrays.append(rng.integers(0, 2, size=full).astype(bool))
        elif dtype.startswith(("int", "uint")):
            arrays.append(rng.integers(0, 2, size=full).astype(dtype))
        elif normal:
            arrays.append(rng.standard_normal(full).astype(dtype))
        else:
            arrays.append(rng.random(full).astype(dtype))
    return arrays


def model_input_specs(model) -> list[tuple[tuple, str]]:
    """(shape without batch, dtype) of each input of a Keras model."""
    return [(tuple(t.shape[1:]), str(t.dtype)) for t in model.inputs]
