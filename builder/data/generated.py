"""Datasets generated from a fixed seed, the same on every machine: spirals, sine windows, token sequences, shapes
(as classes, and as pixel masks)."""
from __future__ import annotations

import functools
import inspect
from typing import NamedTuple

import numpy as np

from builder.data.generated_cache import cached_arrays
from builder.data.records import Loaded

# Fixed seed of the generated sets, so "spirals" is the same data on every machine (the split has its own seed).
GENERATOR_SEED = 1234


def make_spirals(per_class: int = 500, noise: float = 0.2) -> Loaded:
    """Two interleaved spirals in the plane; each point's class is the spiral it lies on."""
    rng = np.random.default_rng(GENERATOR_SEED)
    t = np.sqrt(rng.uniform(0.0, 1.0, per_class)) * 3.0 * np.pi  # denser near the centre like the classic set
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
    x = np.concatenate([arm, -arm]) + rng.normal(0.0, noise, (2 * per_class, 2))
    x = x / (3.0 * np.pi)  # roughly within [-1, 1]
    y = np.concatenate([np.zeros(per_class), np.ones(per_class)]).astype("int64")
    return x.astype("float32"), y, ["spiral A", "spiral B"]


SINE_WINDOW = 32


def make_sine(length: int = 1600, noise: float = 0.1) -> Loaded:
    """A noisy sum of two sine waves; each sample is a window of 32 steps, the target the step after it."""
    rng = np.random.default_rng(GENERATOR_SEED)
    t = np.arange(length + SINE_WINDOW, dtype="float64")
    series = np.sin(2 * np.pi * t / 50.0) + 0.5 * np.sin(2 * np.pi * t / 17.0) + rng.normal(0.0, noise, t.shape)
    windows = np.lib.stride_tricks.sliding_window_view(series[:-1], SINE_WINDOW)
    x = windows[:length].astype("float32")[..., np.newaxis]
    y = series[SINE_WINDOW:SINE_WINDOW + length].astype("float32")
    return x, y, []


SEQUENCE_LENGTH = 20
SEQUENCE_VOCABULARY = 50
TOKEN_A, TOKEN_B = 7, 3


def make_sequences(count: int = 2000) -> Loaded:
    """Token sequences (ids 1..49; 0 is kept free for padding); the label says whether token 7 occurs more
    often than token 3. Counts never tie, and the two classes are equally common."""
    rng = np.random.default_rng(GENERATOR_SEED)
    others = np.array([t for t in range(1, SEQUENCE_VOCABULARY) if t not in (TOKEN_A, TOKEN_B)])
    x = rng.choice(others, size=(count, SEQUENCE_LENGTH))
    y = np.arange(count) % 2  # half "more 7s", half "more 3s", before the shuffle below
    for i in range(count):
        low, high = sorted(rng.choice(5, size=2, replace=False))  # two different counts, 0..4
        sevens, threes = (high, low) if y[i] == 1 else (low, high)
        places = rng.choice(SEQUENCE_LENGTH, size=sevens + threes, replace=False)
        x[i, places[:sevens]] = TOKEN_A
        x[i, places[sevens:]] = TOKEN_B
    order = rng.permutation(count)
    return x[order].astype("int32"), y[order].astype("int64"), ["more 3s", "more 7s"]


ORDER_LENGTH = 24
ORDER_VOCABULARY = 50
ORDER_FIRST, ORDER_SECOND = 7, 3  # the two tokens whose order is asked about


def make_token_order(count: int = 4000, most: int = 3) -> Loaded:
    """Token sequences (length 24, ids 1..49; 0 is kept free for padding) in which tokens 7 and 3 each occur
    1 to `most` times; the label says whether the first 7 comes before the first 3. How often each occurs is
    drawn apart from the label, so counting tokens (a bag of words) cannot tell the classes apart: a model
    has to know where the tokens are. The two classes are equally common."""
    rng = np.random.default_rng(GENERATOR_SEED)
    others = np.array([t for t in range(1, ORDER_VOCABULARY) if t not in (ORDER_FIRST, ORDER_SECOND)])
    x = rng.choice(others, size=(count, ORDER_LENGTH))
    y = np.arange(count) % 2  # half "7 first", half "3 first", before the shuffle below
    for i in range(count):
        sevens, threes = rng.integers(1, most + 1, size=2)
        places = np.sort(rng.choice(ORDER_LENGTH, size=sevens + threes, replace=False))
        first, other = (ORDER_FIRST, ORDER_SECOND) if y[i] == 1 else (ORDER_SECOND, ORDER_FIRST)
        rest = np.array([ORDER_FIRST] * sevens + [ORDER_SECOND] * threes)
        rest = np.delete(rest, np.flatnonzero(rest == first)[0])  # the earliest place takes the label's token
        x[i, places[0]] = first
        x[i, places[1:]] = rng.permutation(rest)
    order = rng.permutation(count)
    return x[order].astype("int32"), y[order].astype("int64"), ["3 first", "7 first"]


SHAPE_NAMES = ["circle", "ring", "square", "triangle", "plus"]
SHAPES_SIZE = 32


def shape_mask(kind: str, u: np.ndarray, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Which pixels a shape of radius r covers, in coordinates (u, v) centred on it and turned with it."""
    d2 = u * u + v * v
    if kind == "circle":
        return d2 <= r * r
    if kind == "ring":
        return (d2 <= r * r) & (d2 >= (0.55 * r) ** 2)
    if kind == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8 * r
    if kind == "triangle":  # equilateral, circumradius r: inside the three sides at distance r/2
        return np.all([u * np.cos(a) + v * np.sin(a) <= 0.5 * r
                       for a in (np.pi / 2, np.pi / 2 + 2 * np.pi / 3, np.pi / 2 + 4 * np.pi / 3)], axis=0)
    arm = 0.3 * r  # plus
    return ((np.abs(u) <= arm) & (np.abs(v) <= r)) | ((np.abs(v) <= arm) & (np.abs(u) <= r))


class DrawnShapes(NamedTuple):
    """What one drawing of the shapes set makes, in the set's shuffled order."""

    images: np.ndarray  # (n, size, size, 3) uint8
    kinds: np.ndarray  # (n,) int64, an index into SHAPE_NAMES
    masks: np.ndarray  # (n, size, size) bool: the pixels each shape covers


def make_shapes() -> Loaded:
    """Colour images of five shapes at random places, sizes, turns and colours on a random background, with
    pixel noise: a small image-classification set whose models look like real mobile CNNs. Drawing them takes
    ~2 s, so one process draws them once (training, evaluation and each export load the set again); every
    caller gets its own copy."""
    drawn = drawn_shapes()
    return drawn.images.copy(), drawn.kinds.copy(), list(SHAPE_NAMES)


def make_shape_masks() -> Loaded:
    """The images of `make_shapes` (the same drawing), each with its pixel mask as the target, shape
    (32, 32, 1): 1 where the shape is, 0 on the background. A small segmentation set: a model answers per pixel."""
    drawn = drawn_shapes()
    return drawn.images.copy(), drawn.masks[..., np.newaxis].astype("float32"), []


@functools.lru_cache(maxsize=1)
def drawn_shapes(per_class: int = 1000, size: int = SHAPES_SIZE, noise: float = 12.0) -> DrawnShapes:
    """The shapes set, drawn once per process and kept on disk between processes (builder.data.generated_cache)."""
    parameters = {"per_class": per_class, "size": size, "noise": noise, "seed": GENERATOR_SEED, "names": SHAPE_NAMES}
    code = inspect.getsource(_drawing) + inspect.getsource(shape_mask)
    arrays = cached_arrays("shapes", parameters, code, lambda: _drawing(per_class, size, noise)._asdict())
    return DrawnShapes(**arrays)


def _drawing(per_class: int, size: int, noise: float) -> DrawnShapes:
    rng = np.random.default_rng(GENERATOR_SEED)
    count = per_class * len(SHAPE_NAMES)
    y = np.repeat(np.arange(len(SHAPE_NAMES)), per_class)
    centre = rng.uniform(0.33 * size, 0.67 * size, (count, 2, 1, 1))
    radius = rng.uniform(0.17 * size, 0.3 * size, (count, 1, 1))
    turn = rng.uniform(0.0, 2 * np.pi, (count, 1, 1))
    rows, cols = np.mgrid[0:size, 0:size].astype("float64") + 0.5
    dx, dy = cols[None] - centre[:, 0], rows[None] - centre[:, 1]
    u = dx * np.cos(turn) + dy * np.sin(turn)
    v = -dx * np.sin(turn) + dy * np.cos(turn)
    mask = np.zeros((count, size, size), dtype=bool)
    for k, kind in enumerate(SHAPE_NAMES):
        pick = y == k
        mask[pick] = shape_mask(kind, u[pick], v[pick], radius[pick])
    # colours far enough apart in brightness that the shape is always visible
    background = rng.uniform(0, 255, (count, 3))
    foreground = rng.uniform(0, 255, (count, 3))
    dim = np.abs(foreground.mean(axis=1) - background.mean(axis=1)) < 60
    foreground[dim] = (background[dim] + 128) % 256  # every channel 128 away
    image = np.where(mask[..., None], foreground[:, None, None, :], background[:, None, None, :])
    image = image + rng.normal(0.0, noise, image.shape)
    order = rng.permutation(count)
    images = np.clip(image, 0, 255).round().astype("uint8")[order]
    return DrawnShapes(images, y[order].astype("int64"), mask[order])
