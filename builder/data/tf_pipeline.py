"""tf.data input pipelines over a loaded Dataset (TensorFlow only; the rest of the engine stays backend-neutral).

Two kinds of source:

* In memory (NumPy arrays, dicts of them, or LazyArrays small enough to read whole, see `fits_in_memory`):
  the arrays become tensors once (that copy is the cache), an index dataset is shuffled (training only, a fixed
  seed, a new order every epoch), batched, and each batch gathers its rows with one `tf.gather` per array.
  No per-sample work: the same scheme Keras uses inside `model.fit(x, y)`, and faster than
  `from_tensor_slices(...).shuffle(n)`, which copies every sample into a shuffle buffer.
* Streamed (LazyArrays, rows of an HDF5 file, larger than the memory limit): a generator yields whole batches
  read with `LazyArray.read(rows)`, rows shuffled per epoch by a seeded NumPy Generator for training, in order
  otherwise. Nothing is cached.

Both keep the last partial batch, so every sample is seen exactly once per epoch. Augmentation (see
builder.data.augmentation) maps training batches only, after batching, each seeded by its index in the run; then
everything is prefetched.
"""
from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from builder.data.augmentation import Augmenter, build_augmenter
from builder.data.lazy_array import LazyArray, is_lazy, length
from builder.data.records import Dataset
from builder.errors import TrainingError

# Data may be read whole into memory when it takes at most this share of the machine's RAM.
MEMORY_FRACTION = 0.25


def total_memory() -> int | None:
    """Bytes of physical memory, or None where the system does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def fits_in_memory(nbytes: int, fraction: float = MEMORY_FRACTION) -> bool:
    """True when `nbytes` is at most `fraction` (25%) of total RAM; assumed true if RAM is unknown."""
    total = total_memory()
    return total is None or nbytes <= fraction * total


def nbytes(values) -> int:
    """Bytes an array, LazyArray or dict of them takes (or would take) in memory."""
    if isinstance(values, dict):
        return sum(nbytes(v) for v in values.values())
    if values is None:
        return 0
    if isinstance(values, LazyArray):
        return int(np.prod(values.shape, dtype=np.int64)) * np.dtype(values.dtype).itemsize
    return int(np.asarray(values).nbytes)


def make_pipeline(x, y, batch_size: int, shuffle: bool, seed: int | None, augment: Callable | None = None,
                  sample_weight=None, *, encode_labels: Callable | None = None, stream: bool | None = None,
                  endless: bool = False, start_epoch: int = 0):
    """A batched, prefetched tf.data.Dataset of (x, y) or (x, y, sample_weight).

    shuffle: a new order every epoch from `seed` (training); False keeps the stored order (validation, test).
    augment: a batch map (x, y) -> (x', y'), e.g. a builder.data.Augmenter; give it for training only.
    encode_labels: a batch map y -> y' used when there is no `augment` (e.g. the Augmenter's one-hot encoding of
        validation labels when MixUp/CutMix train on one-hot labels).
    stream: True streams from disk, False reads everything into memory; None (default) streams LazyArray data
        only when it does not fit in memory (`fits_in_memory`).
    endless: one stream of epochs after another (fit it with steps_per_epoch). Keras then keeps one iterator for
        the whole run, so the sequence of epoch orders is the same with or without a distribution strategy
        (Keras opens extra iterators under one); start_epoch skips the orders of epochs already trained (resume).
    """
    import tensorflow as tf

    if batch_size < 1:
        raise TrainingError(f"batch_size must be at least 1; got {batch_size}.")
    data = (x, y) if sample_weight is None else (x, y, sample_weight)
    lazy = any(is_lazy(part) for part in data)
    if stream is None:
        stream = lazy and not fits_in_memory(sum(nbytes(part) for part in data))
    if stream:
        ds = _streamed(data, batch_size, shuffle, seed, endless, start_epoch)
    else:
        ds = _in_memory(tuple(_materialise(part) for part in data), batch_size, shuffle, seed, endless, start_epoch)
    if not endless:
        # Known length (batches per epoch, the last partial one included) so Keras sizes its epochs without probing.
        ds = ds.apply(tf.data.experimental.assert_cardinality(-(-length(x) // batch_size)))
    if isinstance(augment, Augmenter):
        # Each batch's augmentation is seeded by its index in the run (see builder.data.augmentation), so
        # prefetching and parallel maps change nothing, and a resumed run continues the numbering.
        ds = ds.enumerate(start=start_epoch * -(-length(x) // batch_size))
        mapper = _indexed_map(augment, weighted=sample_weight is not None)
    else:
        mapper = _batch_map(augment, encode_labels, weighted=sample_weight is not None)
    if mapper is not None:
        ds = ds.map(mapper, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def prefetch_to_accelerator(ds, device: str | None = None):
    """`ds` with its batches prefetched into an accelerator's memory (tf.data.experimental.prefetch_to_device, which
    must be the pipeline's last step), so the next batch is copied while the model trains on this one. `device`:
    a TensorFlow device name (default: the first GPU); with no GPU and no device named, `ds` unchanged. The result's
    length is unknown to Keras: feed an endless pipeline with steps_per_epoch, as the Trainer does."""
    import tensorflow as tf

    if device is None:
        gpus = tf.config.list_logical_devices("GPU")
        if not gpus:
            return ds
        device = gpus[0].name
    return ds.apply(tf.data.experimental.prefetch_to_device(device))


def train_and_validation(dataset: Dataset, batch_size: int, seed: int, augmentation=None, *, endless: bool = False,
                         start_epoch: int = 0):
    """(train_ds, val_ds) for `model.fit(train_ds, validation_data=val_ds)`.

    augmentation: the training config's "augmentation" dict, or an Augmenter already built with
    builder.data.build_augmenter. Only training batches are augmented. When it mixes labels
    (`augmenter.needs_one_hot`) the validation labels are one-hot encoded as well, and the model must be compiled
    with a categorical (not sparse) loss: see builder.data.augmentation.
    """
    augmenter = _augmenter(augmentation, dataset, seed)
    encode = augmenter.encode_labels if augmenter is not None and augmenter.needs_one_hot else None
    return (
        make_pipeline(dataset.x_train, dataset.y_train, batch_size, True, seed, augment=augmenter, endless=endless,
                      start_epoch=start_epoch),
        make_pipeline(dataset.x_val, dataset.y_val, batch_size, False, seed, encode_labels=encode),
    )


def evaluation_pipeline(x, y, batch_size: int, one_hot: int | None = None, *, stream: bool | None = None):
    """An in-order, unaugmented pipeline for `model.evaluate` / `predict` on a test split.

    one_hot: the number of classes when the model was trained on one-hot labels (MixUp/CutMix): sparse labels
    are then one-hot encoded to match its categorical loss.
    """
    encode = _one_hot(one_hot) if one_hot else None
    return make_pipeline(x, y, batch_size, False, None, encode_labels=encode, stream=stream)


# --- in memory -------------------------------------------------------------------------------------------------

def _materialise(values):
    if isinstance(values, dict):
        return {k: _materialise(v) for k, v in values.items()}
    if isinstance(values, LazyArray):
        return values.read()
    return np.asarray(values)


def _in_memory(data: tuple, batch_size: int, shuffle: bool, seed: int | None, endless: bool = False,
               start_epoch: int = 0):
    import tensorflow as tf

    n = length(data[0])
    tensors = tf.nest.map_structure(tf.convert_to_tensor, data)  # the one copy, kept for every epoch
    full = n // batch_size

    def epoch_order(epoch_seed):
        indices = tf.range(n, dtype=tf.int64)
        if shuffle:  # one vectorised permutation per epoch, reproducible from `seed`
            indices = tf.random.experimental.stateless_shuffle(indices, seed=tf.stack([epoch_seed, 0]))
        return indices

    def batch_indices(indices):
        batches = tf.data.Dataset.from_tensor_slices(tf.reshape(indices[:full * batch_size], [full, batch_size]))
        if n % batch_size:  # keep the last partial batch
            batches = batches.concatenate(tf.data.Dataset.from_tensors(indices[full * batch_size:]))
        return batches

    if endless:  # one seed per epoch from a single stream; the sequence depends only on `seed`
        seeds = tf.data.Dataset.random(seed=seed if seed is not None else 0).skip(start_epoch)
    else:  # a new random seed each time the dataset is iterated (each epoch); the sequence depends only on `seed`
        seeds = tf.data.Dataset.random(seed=seed if seed is not None else 0, rerandomize_each_iteration=True).take(1)
    indices = seeds.map(epoch_order).prefetch(1).flat_map(batch_indices)

    def gather(rows):
        return tf.nest.map_structure(lambda t: tf.gather(t, rows), tensors)

    ds = indices.map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.experimental_optimization.apply_default_optimizations = False  # as Keras does: no graph rewrite cost
    return ds.with_options(options)


# --- streamed --------------------------------------------------------------------------------------------------

def _read(values, rows: np.ndarray):
    if isinstance(values, tuple):
        return tuple(_read(v, rows) for v in values)
    if isinstance(values, dict):
        return {k: _read(v, rows) for k, v in values.items()}
    if isinstance(values, LazyArray):
        return values.read(rows)
    return np.asarray(values)[rows]


def _spec(values):
    import tensorflow as tf

    if isinstance(values, dict):
        return {k: _spec(v) for k, v in values.items()}
    if not isinstance(values, LazyArray):
        values = np.asarray(values)
    return tf.TensorSpec(shape=(None,) + tuple(values.shape[1:]), dtype=tf.as_dtype(values.dtype))


def _streamed(data: tuple, batch_size: int, shuffle: bool, seed: int | None, endless: bool = False,
              start_epoch: int = 0):
    import tensorflow as tf

    n = length(data[0])
    rng = np.random.default_rng(seed)  # advances every epoch: a new, reproducible order each time
    for _ in range(start_epoch if shuffle else 0):
        rng.permutation(n)

    def one_epoch():
        order = rng.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            yield _read(data, rows)

    def batches():
        yield from one_epoch()
        while endless:
            yield from one_epoch()

    return tf.data.Dataset.from_generator(batches, output_signature=tuple(_spec(part) for part in data))


# --- batch maps ------------------------------------------------------------------------------------------------

def _one_hot(num_classes: int) -> Callable:
    import tensorflow as tf

    def encode(y):
        if isinstance(y, dict):
            return {k: encode(v) for k, v in y.items()}
        if y.shape.rank == 2 and y.shape[-1] == num_classes and num_classes != 1:
            return tf.cast(y, "float32")  # already one-hot
        return tf.one_hot(tf.cast(tf.reshape(y, [-1]), "int32"), num_classes)

    return encode


def _batch_map(augment: Callable | None, encode_labels: Callable | None, weighted: bool):
    if augment is None and encode_labels is None:
        return None
    if augment is not None:
        if weighted:
            return lambda x, y, w: (*augment(x, y), w)
        return lambda x, y: augment(x, y)
    if weighted:
        return lambda x, y, w: (x, encode_labels(y), w)
    return lambda x, y: (x, encode_labels(y))


def _indexed_map(augment: Augmenter, weighted: bool):
    if weighted:
        return lambda i, batch: (*augment(batch[0], batch[1], batch_index=i), batch[2])
    return lambda i, batch: augment(batch[0], batch[1], batch_index=i)


def _sample_shape(x) -> tuple | None:
    if isinstance(x, dict):
        return tuple(next(iter(x.values())).shape[1:]) if len(x) == 1 else None
    return tuple(x.shape[1:])


def _augmenter(augmentation: Any, dataset: Dataset, seed: int):
    if augmentation is None or isinstance(augmentation, Augmenter):
        return augmentation
    if callable(augmentation):
        raise TypeError("augmentation must be the config dict or a builder.data.Augmenter.")
    return build_augmenter(augmentation, seed, input_shape=_sample_shape(dataset.x_train),
                           num_classes=dataset.num_classes)
