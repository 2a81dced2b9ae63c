"""tf.data pipelines over a loaded Dataset: cached, shuffled (training only), batched, prefetched."""
from __future__ import annotations

from builder.datasets import Dataset


def make_pipeline(x, y, batch_size: int, shuffle: bool, seed: int):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y)).cache()
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def train_and_validation(dataset: Dataset, batch_size: int, seed: int):
    return (
        make_pipeline(dataset.x_train, dataset.y_train, batch_size, True, seed),
        make_pipeline(dataset.x_val, dataset.y_val, batch_size, False, seed),
    )
