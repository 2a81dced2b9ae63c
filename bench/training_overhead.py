"""Layerboard's Trainer against a plain Keras script on the same model and data: time and ratio.

Usage: python bench/training_overhead.py [--epochs N] [--repeats R]
Prints a table; the ratio is what Layerboard's engine (graph build, callbacks, tf.data, files) costs.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def plain_keras(epochs: int) -> float:
    """What a user would hand-write: the same CNN, fit on NumPy arrays."""
    import keras
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    keras.utils.set_random_seed(42)
    d = load_digits()
    x, y = d.images.astype("float32")[..., None], d.target
    xt, xv, yt, yv = train_test_split(x, y, test_size=0.2, random_state=42, stratify=y)
    start = time.perf_counter()
    inp = keras.Input((8, 8, 1))
    h = keras.layers.Rescaling(1 / 16)(inp)
    h = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dropout(0.3)(h)
    out = keras.layers.Dense(10, activation="softmax")(h)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(0.003), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(xt, yt, validation_data=(xv, yv), epochs=epochs, batch_size=32, verbose=0)
    with tempfile.TemporaryDirectory() as tmp:
        model.save(Path(tmp) / "model.keras")
    return time.perf_counter() - start


def layerboard(epochs: int) -> float:
    from builder.templates import load_template
    from builder.training import Trainer

    project = load_template("digits_cnn")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        Trainer(project, run_dir=tmp, epochs=epochs).run()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import keras  # noqa: F401  (import cost is not part of either measurement)

    plain_keras(1), layerboard(1)  # warm up both (graph tracing, data loading caches)
    rows = []
    for _ in range(args.repeats):
        rows.append((plain_keras(args.epochs), layerboard(args.epochs)))
    best_plain = min(r[0] for r in rows)
    best_lb = min(r[1] for r in rows)
    print(f"digits CNN, {args.epochs} epochs, best of {args.repeats} (seconds, incl. build, fit, save)")
    print(f"{'':<24}{'plain Keras':>12}{'Layerboard':>12}{'ratio':>8}")
    for i, (p, l) in enumerate(rows, 1):
        print(f"{'run ' + str(i):<24}{p:>12.2f}{l:>12.2f}{l / p:>8.2f}")
    print(f"{'best':<24}{best_plain:>12.2f}{best_lb:>12.2f}{best_lb / best_plain:>8.2f}")


if __name__ == "__main__":
    main()
