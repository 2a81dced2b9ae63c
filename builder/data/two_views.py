"""A multi-input, multi-output set made from scikit-learn's digits: each image's left and right halves are two
inputs, and two targets are asked of them (which digit, and whether it is even)."""
from __future__ import annotations

import numpy as np


def make_digit_halves():
    """RawData with x = {"left": (n, 8, 4, 1), "right": (n, 8, 4, 1)} and y = {"digit": 0..9, "even": 0/1}; the
    digit's classes are "0".."9", even's "odd" and "even"."""
    from builder.data.records import CLASSES, RawData

    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype("float32")[..., np.newaxis]
    y = digits.target.astype("int64")
    x = {"left": images[:, :, :4], "right": images[:, :, 4:]}
    return RawData(x, {"digit": y, "even": (y % 2 == 0).astype("int64")}, [str(c) for c in digits.target_names],
                   CLASSES, target_class_names={"even": ["odd", "even"]})
