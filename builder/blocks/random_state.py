"""Layers made only to be read or judged leave the random state as they found it."""
from __future__ import annotations

import contextlib
import random
from typing import Iterator


@contextlib.contextmanager
def random_state_kept() -> Iterator[None]:
    """Build layers inside without moving Python's or NumPy's random state: a layer with a seed generator (Dropout,
    the random augmentations) draws its seed from Python's `random` when made, and a layer made only to be judged
    or read must not shift the seeds of the model a run then builds."""
    import numpy as np

    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
