"""Layers built for their shapes only: no weight is allocated, and a layer whose weights cannot fit is named.

Shape inference builds every layer on symbolic tensors and throws it away. Keras's `StatelessScope` defers each
new weight's initial value, but by default fills in all deferred weights when the scope ends, which allocates
them (a `Dense(units=10**12)` tried to allocate 2 TB); and deferred weights left registered would be filled in
when the next scope ends, blamed on another node. `shapes_only()` defers and then forgets them.
"""
from __future__ import annotations

import math
import os
from contextlib import contextmanager
from typing import Iterator

from builder.blocks import weights_deferred


@contextmanager
def shapes_only(defer: bool = True) -> Iterator[None]:
    """Build layers inside: their weights get shapes, never values, and none is left for Keras to fill in later
    (builder.blocks' weights_deferred). With `defer` False (a layer that `keeps_state`) nothing is deferred."""
    if not defer:
        yield
        return
    with weights_deferred():
        yield


def keeps_state(params: dict) -> bool:
    """A stateful RNN (`stateful=True`) makes its state variables from values when it is built, which Keras refuses
    inside a stateless scope: such a layer is built with its (small) state allocated."""
    return params.get("stateful") is True


def memory_bytes() -> int | None:
    """This machine's physical memory in bytes, or None where the system does not say."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def count_weights(weights) -> int:
    """The number of values in these weights (their shapes are known even when no value is allocated)."""
    return sum(math.prod(int(d) for d in w.shape) for w in weights)


def weight_bytes(layers) -> int:
    """Bytes the weights of these built layers take (each weight's element count times its dtype's size)."""
    import numpy as np

    total = 0
    for layer in layers:
        for weight in layer.weights:
            size = np.dtype(str(weight.dtype)).itemsize if weight.dtype else 4
            total += math.prod(int(d) for d in weight.shape) * size
    return total


def too_big(who: str, layers) -> str | None:
    """A sentence naming `who` when its weights alone are larger than this machine's memory, else None."""
    size = weight_bytes(layers)
    memory = memory_bytes()
    if memory is None or size <= memory:
        return None
    return (f"{who} needs {size:,} bytes ({_readable(size)}) for its weights alone, more than this machine's "
            f"memory ({memory:,} bytes, {_readable(memory)}). Make it smaller (fewer units, filters or a smaller "
            "input to it).")


def _readable(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:,.1f} {unit}"
        value /= 1024
    return f"{size} B"
