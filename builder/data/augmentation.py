"""Training-time data augmentation built from the training config's "augmentation" setting (Keras 3 only).

The setting maps a Keras preprocessing layer name to its arguments, e.g.

    {"RandAugment": {"value_range": [0, 255]}, "RandomErasing": {}, "MixUp": {"alpha": 0.2}}

`build_augmenter` turns it into an `Augmenter`: a callable `(x, y) -> (x', y')` over one *batch* that runs inside
a `tf.data` map (graph mode) on any Keras backend, because every layer used here is a Keras data layer, which
switches itself to TensorFlow ops inside a tf.data graph. Nothing in this module imports TensorFlow.

Order: the per-image layers run first, in the order the setting lists them; the batch-mixing layers
(MixUp, CutMix) run last, in the order listed. Only training batches are augmented; validation and test batches
never are (see builder.data.tf_pipeline).

Random state and resume
-----------------------
Each batch's random draws depend only on the run's seed and the batch's index in the run (`batch_index`, counted
over all epochs, given by builder.data.tf_pipeline through `Dataset.enumerate`), not on how many batches the
pipeline drew before: the pipeline prefetches and maps batches in parallel, and a resumed run starts a fresh one.
So a resumed run augments its remaining batches exactly as the uninterrupted run does. Called without a
batch_index (e.g. eagerly), the layers draw from their own generators as Keras does.

Labels and the loss
-------------------
MixUp and CutMix blend the labels of two samples, so they need one-hot labels. When one of them is enabled the
Augmenter's `needs_one_hot` is True and:

* sparse integer labels (shape (batch,) or (batch, 1)) are one-hot encoded to `num_classes` columns inside the
  map before mixing; labels already one-hot (batch, num_classes) are used as they are;
* the caller must therefore give the model one-hot / soft targets everywhere: builder.data.tf_pipeline
  one-hot encodes the validation labels too (no augmentation), `evaluation_pipeline(..., one_hot=num_classes)`
  does it for a test split, and the trainer must compile with `categorical_*` instead of `sparse_categorical_*`
  (`categorical_loss_name` does the renaming for a loss or metric name).
"""
from __future__ import annotations

import inspect
import random
from numbers import Real
from typing import Any

from builder.errors import TrainingError

# Layers that blend two samples and their labels.
MIXING = ("MixUp", "CutMix")

# Per-image layers: each keeps the image shape (no crop or resize), so the model's input shape holds.
PER_IMAGE = (
    "RandAugment", "RandomErasing", "AugMix", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
    "RandomContrast", "RandomBrightness", "RandomShear", "RandomGaussianBlur", "RandomGrayscale",
    "RandomColorJitter", "RandomSaturation", "RandomHue", "RandomSharpness", "RandomPosterization",
    "RandomInvert", "RandomElasticTransform", "RandomPerspective", "RandomColorDegeneration", "Solarization",
)

# Arguments the engine sets itself; the setting may not give them.
_RESERVED = {"data_format", "name", "dtype", "trainable", "autocast"}


def known_augmentations() -> list[str]:
    """The names the installed Keras provides, per-image layers first, then the mixing ones."""
    import keras

    return [n for n in PER_IMAGE + MIXING if hasattr(keras.layers, n)]


def categorical_loss_name(name: str) -> str:
    """The name to use once labels are one-hot: "sparse_categorical_crossentropy" -> "categorical_crossentropy"."""
    if isinstance(name, str) and name.startswith("sparse_categorical_"):
        return name[len("sparse_"):]
    return name


class Augmenter:
    """Maps one training batch (x, y) to an augmented batch; see the module docstring for the label rules."""

    def __init__(self, image_layers: list, mixing_layers: list, names: list[str], num_classes: int | None):
        self.image_layers = image_layers
        self.mixing_layers = mixing_layers
        self.names = names
        self.num_classes = num_classes
        self.needs_one_hot = bool(mixing_layers)
        self.seeds = [_batch_seeds(layer) for layer in image_layers + mixing_layers]
        self._encoder = None
        if self.needs_one_hot:
            import keras

            self._encoder = keras.layers.CategoryEncoding(num_tokens=num_classes, output_mode="one_hot")

    def __repr__(self) -> str:
        return f"Augmenter({', '.join(self.names)}, needs_one_hot={self.needs_one_hot})"

    def encode_labels(self, y):
        """One-hot sparse labels when needed (works in a tf.data map); other labels are returned unchanged."""
        if not self.needs_one_hot:
            return y
        key, labels = _single(y, "output")
        shape = tuple(labels.shape)
        if len(shape) == 2 and shape[-1] == self.num_classes and shape[-1] != 1:
            encoded = labels  # already one-hot / soft
        elif len(shape) == 1 or (len(shape) == 2 and shape[-1] == 1):
            encoded = self._encoder(labels)
        else:
            raise TrainingError(
                f"{'/'.join(self.names)}: labels of shape {shape[1:]} per sample cannot be mixed; they must be class "
                f"indices or one-hot rows of {self.num_classes} classes.")
        return encoded if key is None else {key: encoded}

    def __call__(self, x, y, batch_index=None):
        """Augment one batch; batch_index (a scalar tensor): the batch's index in the run, which seeds its draws."""
        for seeds in self.seeds:
            seeds.start_batch(batch_index)
        key, images = _single(x, "input")
        rank = len(images.shape)
        if rank != 4:
            raise TrainingError(
                f"Augmentation ({', '.join(self.names)}) works on images of shape (height, width, channels); "
                f"the training inputs have shape {tuple(images.shape)[1:]} per sample. Remove the augmentation "
                "setting or feed image data.")
        if batch_index is None:
            images = self._per_image(images)
        else:
            # AugMix picks its chains with Python's `random` while the map is traced: from a fixed state, so every
            # run (a resumed one too) traces the same graph; the caller's random state is left as it was.
            outside = random.getstate()
            random.seed(self.seeds[0].seed if self.seeds else 0)
            try:
                images = self._per_image(images)
            finally:
                random.setstate(outside)
        if self.mixing_layers:
            y = self.encode_labels(y)
            label_key, labels = _single(y, "output")
            for layer in self.mixing_layers:
                mixed = layer({"images": images, "labels": labels}, training=True)
                images, labels = mixed["images"], mixed["labels"]
            y = labels if label_key is None else {label_key: labels}
        return (images if key is None else {key: images}), y

    def _per_image(self, images):
        for layer in self.image_layers:
            images = layer(images, training=True)
        return images


def _batch_seeds(layer):
    """Give `layer` a seed generator whose draws for a batch depend only on (the layer's seed, batch index).

    Keras's image layers draw every random number of a call from `layer.generator` (a keras.random.SeedGenerator
    attribute, the one their `_get_seed_generator` returns on the TensorFlow backend; RandAugment, AugMix and
    RandomColorJitter pass it on to their inner layers); it is replaced here, the layer's own seed kept.
    """
    import keras

    class BatchSeeds(keras.random.SeedGenerator):
        """Stateless per batch: the n-th draw of batch b gets the seed (seed, b * 2**20 + n)."""

        def __init__(self, seed: int) -> None:
            super().__init__(seed)
            self.seed = seed
            self.base = None  # (seed, batch index * 2**20) while a batch with an index is augmented
            self.drawn = 0

        def start_batch(self, batch_index) -> None:
            import tensorflow as tf

            self.drawn = 0
            self.base = None if batch_index is None else tf.stack(
                [tf.constant(self.seed, "int64"), tf.cast(batch_index, "int64") * 2 ** 20])

        def next(self, ordered=True):
            if self.base is None:
                return super().next(ordered)
            import tensorflow as tf

            self.drawn += 1  # counted while tracing: each random op of the traced map has its own seed
            return self.base + tf.constant([0, self.drawn], "int64")

    # the layer's seed (None: a random one, as Keras would choose)
    seed = layer.seed if isinstance(getattr(layer, "seed", None), int) else random.randint(1, 10 ** 9)
    seeds = BatchSeeds(seed)
    layer.generator = seeds
    return seeds


def _single(values, what: str):
    """(key, array) of a plain array or a dict holding exactly one."""
    if isinstance(values, dict):
        if len(values) != 1:
            raise TrainingError(
                f"Augmentation needs a model with one {what}; this one has {len(values)} ({', '.join(values)}). "
                "Remove the augmentation setting for this project.")
        (key, value), = values.items()
        return key, value
    return None, values


def build_augmenter(config: dict[str, dict[str, Any]] | None, seed: int | None = None, *,
                    input_shape: tuple | None = None, num_classes: int | None = None) -> Augmenter | None:
    """An Augmenter for the "augmentation" setting, or None when it is empty.

    input_shape: the shape of one training sample (checked: augmentation needs (height, width, channels)).
    num_classes: needed by MixUp and CutMix to one-hot sparse labels; 0 or None (regression) refuses them.
    Raises TrainingError for an unknown name (listing the known ones), a bad parameter (naming it), or data
    that is not images.
    """
    if not config:
        return None
    if not isinstance(config, dict):
        raise TrainingError(
            f"The augmentation setting must map layer names to their arguments, e.g. {{\"MixUp\": {{\"alpha\": 0.2}}}}; "
            f"got {config!r}.")
    import keras

    known = known_augmentations()
    unknown = [n for n in config if n not in known]
    if unknown:
        raise TrainingError(
            f"Unknown augmentation {', '.join(map(repr, unknown))}. Known augmentations: {', '.join(known)}.")
    names = list(config)
    if input_shape is not None and len(tuple(input_shape)) != 3:
        raise TrainingError(
            f"Augmentation ({', '.join(names)}) works on images of shape (height, width, channels); the training "
            f"inputs have shape {tuple(input_shape)} per sample. Remove the augmentation setting or feed image data.")
    mixing = [n for n in names if n in MIXING]
    if mixing and not num_classes:
        raise TrainingError(
            f"{' and '.join(mixing)} mix class labels, so they need a classification dataset with class names; "
            "this one has none (regression targets). Remove them from the augmentation setting.")

    image_layers, mixing_layers = [], []
    for index, name in enumerate(names):
        params = config[name] if config[name] is not None else {}
        if not isinstance(params, dict):
            raise TrainingError(f"Augmentation {name}: the arguments must be an object (e.g. {{}}); got {params!r}.")
        cls = getattr(keras.layers, name)
        layer_seed = None if seed is None else int(seed) + 1000 * (index + 1)  # independent streams per layer
        layer = _make_layer(cls, name, dict(params), layer_seed)
        (mixing_layers if name in MIXING else image_layers).append(layer)
    return Augmenter(image_layers, mixing_layers, names, int(num_classes) if mixing else None)


def _make_layer(cls, name: str, params: dict, seed: int | None):
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "kwargs")]
    for key in params:
        if key in _RESERVED or key not in accepted:
            allowed = [p for p in accepted if p not in _RESERVED]
            raise TrainingError(
                f"Augmentation {name}: unknown parameter {key!r}. Its parameters are: {', '.join(allowed)}.")
    for key, value in params.items():
        problem = _check_value(name, key, value)
        if problem:
            raise TrainingError(f"Augmentation {name}: parameter {key!r} {problem}; got {value!r}.")
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    if "seed" in accepted and "seed" not in params:
        params["seed"] = seed
    try:
        return cls(**params)
    except (ValueError, TypeError) as exc:
        culprit = _find_culprit(cls, params)
        where = f"parameter {culprit!r}" if culprit else "its parameters"
        raise TrainingError(f"Augmentation {name}: {where} not accepted: {exc}") from None


def _check_value(name: str, key: str, value) -> str | None:
    """Checks Keras does not do at construction (a bad value would only fail, or give NaN, while training)."""
    if key == "value_range":
        if (not isinstance(value, (list, tuple)) or len(value) != 2
                or not all(isinstance(v, Real) and not isinstance(v, bool) for v in value) or value[0] >= value[1]):
            return "must be two numbers [low, high] with low < high, e.g. [0, 255] or [0, 1]"
    if name == "MixUp" and key == "alpha":
        if isinstance(value, bool) or not isinstance(value, Real) or not value > 0:
            return "must be a number greater than 0 (0.2 is usual)"
    if name == "RandAugment" and key == "num_ops":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return "must be a whole number of 0 or more"
    return None


def _find_culprit(cls, params: dict) -> str | None:
    """The first argument that fails on its own, to name it in the message."""
    for key, value in params.items():
        if key == "seed":
            continue
        try:
            cls(**{key: value})
        except (ValueError, TypeError):
            return key
    return None


def needs_one_hot(config: dict[str, dict[str, Any]] | None) -> bool:
    """True when the setting mixes labels (MixUp, CutMix): the trainer then compiles a categorical loss."""
    return bool(config) and any(name in MIXING for name in config)
