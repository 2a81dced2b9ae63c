"""A trained model read back for evaluation and prediction: safe loading and class probabilities."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from builder.errors import LayerboardError
from builder.model import input_names, load_model_safely


def load_model(model_path: str | Path):
    """The Keras model at model_path, loaded in safe mode with Layerboard's losses and metrics registered."""
    from builder.training import keras_objects  # noqa: F401  (registers Layerboard's losses and metrics for loading)

    path = Path(model_path)
    if not path.exists():
        raise LayerboardError(f"{path}: model file not found. Train the project first or pass --run DIR "
                              "(a run folder holding model.keras).")
    return load_model_safely(path)  # its error says "<path>: cannot load the model: <Keras's reason>"


def probabilities(raw: np.ndarray) -> np.ndarray:
    """Class probabilities from the model's output: kept when already a distribution, else softmax/sigmoid."""
    raw = np.asarray(raw, dtype="float64")
    raw = raw.reshape(len(raw), -1)
    if raw.shape[1] == 1:  # one sigmoid unit: binary classification
        p = raw[:, 0]
        if p.size and (p.min() < 0 or p.max() > 1):
            p = 1.0 / (1.0 + np.exp(-p))
        return np.stack([1.0 - p, p], axis=1)
    if raw.size and raw.min() >= 0 and np.allclose(raw.sum(axis=1), 1.0, atol=1e-3):
        return raw
    shifted = np.exp(raw - raw.max(axis=1, keepdims=True))  # logits
    return shifted / shifted.sum(axis=1, keepdims=True)


def class_name(names: list[str], index: int) -> str:
    """The name of class `index`, or the index itself where the dataset names fewer classes."""
    return names[index] if 0 <= index < len(names) else str(index)


def shape_matches(expected: tuple, got: tuple) -> bool:
    """Whether samples of shape `got` fit an input of shape `expected` (None: any size)."""
    return len(expected) == len(got) and all(e is None or e == g for e, g in zip(expected, got))


def model_batch(model, x, source: str):
    """`x` as the model takes it (a dict by input name for several inputs, else the one array), refused with the
    shapes when an input has no array or the wrong sample shape; `source` names where x came from in the message
    ("dataset 'digits'", "the samples")."""
    names = input_names(model)
    columns = x if isinstance(x, dict) else ({names[0]: x} if len(names) == 1 else {})
    missing = [name for name in names if name not in columns]
    if missing:
        given = ", ".join(repr(k) for k in x) if isinstance(x, dict) else "one array"
        raise LayerboardError(f"The model has inputs {', '.join(repr(n) for n in names)}, but {source} gives "
                              f"{given}: no array for {', '.join(repr(n) for n in missing)}.")
    for name, tensor in zip(names, model.inputs):
        expected, got = tuple(tensor.shape[1:]), tuple(np.asarray(columns[name]).shape[1:])
        if not shape_matches(expected, got):
            raise LayerboardError(f"The model expects inputs of shape {shape_text(expected)}, but {source} has "
                                  f"samples of shape {shape_text(got)}"
                                  + (f" for input '{name}'." if len(names) > 1 else "."))
    return {k: columns[k] for k in names} if len(names) > 1 else columns[names[0]]


def shape_text(shape: tuple) -> str:
    """(8, 8, 1), (None, 4), (13,): a sample shape as Python writes a tuple."""
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


JUDGED_RECIPES = ("supervised", "distillation")  # their model (a distillation's student) is a classifier on the data


def refuse_recipe(project, what: str) -> None:
    """`evaluate` and `predict` judge a model against labels: a supervised model or a distillation's student; another
    training recipe's model (an autoencoder, a VAE) is refused with what to use instead."""
    recipe = project.training.recipe if isinstance(project.training.recipe, dict) else {}
    name = recipe.get("name", "supervised")
    if name not in JUDGED_RECIPES:
        raise LayerboardError(f"{what} applies to supervised projects; this one trains with the {name} recipe, whose "
                              "losses are in its run's history (`runs`), whose samples `sample` draws, and whose "
                              "parts `export --part` writes.")
