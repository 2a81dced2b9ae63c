"""Layers made only to be read or judged leave no trace: the random state as they found it, no weight allocated
(and so no TensorFlow runtime started: a CPU can still be split into devices, a multi-worker strategy set up)."""
from __future__ import annotations

import contextlib
import random
from typing import Iterator


@contextlib.contextmanager
def weights_deferred() -> Iterator[None]:
    """Build layers inside: their weights get shapes, never values, and none is left for Keras to fill in later.

    Keras's `StatelessScope` defers each new weight's initial value, but by default fills in all deferred weights
    when the scope ends (a `Dense(units=10**12)` tried to allocate 2 TB), and deferred weights left registered
    would be filled in when the next scope ends; here they are deferred and then forgotten."""
    import keras
    from keras.src.backend.common import global_state  # Keras keeps its deferred weights in this list

    key = "uninitialized_variables"
    before = list(global_state.get_global_attribute(key) or [])
    try:
        with keras.StatelessScope(initialize_variables=False):
            yield
    finally:
        global_state.set_global_attribute(key, before)


@contextlib.contextmanager
def random_state_kept() -> Iterator[None]:
    """Build layers inside without moving Python's or NumPy's random state: a layer with a seed generator (Dropout,
    the random augmentations) draws its seed from Python's `random` when made, and a layer made only to be judged
    or read must not shift the seeds of the model a run then builds."""
    import numpy as np

    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        with weights_deferred():
            yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
