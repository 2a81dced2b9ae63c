"""Per-node weights files: one HDF5 group per layer (named after its node), so a project keeps them.

Layout of a `<project>.weights.h5` file::

    /                      attrs: format="layerboard-weights", version=1
    /<node id>/            attrs: class=<Keras class name>, count=<number of arrays>
    /<node id>/0, /1, ...  the arrays of `layer.get_weights()`, in that order

Loading matches groups to layers by name and only sets a layer's weights when every array
still has the same shape; everything else is reported (a node added since the import, a
changed `units`...) so a user who edits an imported graph fine-tunes what is left of it.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import LayerboardError
from builder.file_checks import open_hdf5
from builder.files import atomic_path

log = logging.getLogger(__name__)

FORMAT = "layerboard-weights"
VERSION = 1


@dataclass
class WeightsReport:
    """What `load_node_weights` did: layers whose weights were set, and those skipped (with why)."""

    path: Path
    loaded: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # layer (or file group) name -> reason
    unused: list[str] = field(default_factory=list)  # groups in the file that no layer asked for

    def summary(self) -> str:
        text = f"loaded weights of {len(self.loaded)} layer(s) from {self.path.name}"
        if self.skipped:
            text += "; skipped " + "; ".join(f"{name}: {why}" for name, why in self.skipped.items())
        if self.unused:
            text += f"; not used (no such layer now): {', '.join(self.unused)}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "loaded": list(self.loaded), "skipped": dict(self.skipped),
                "unused": list(self.unused)}


def _leaf_layers(model) -> dict[str, Any]:
    """Layer name -> layer for every non-model layer of `model` (nested models are walked)."""
    import keras

    found: dict[str, Any] = {}

    def walk(m) -> None:
        for layer in m.layers:
            if isinstance(layer, keras.Model):
                walk(layer)
            elif not isinstance(layer, keras.layers.InputLayer):
                found[layer.name] = layer

    walk(model)
    return found


def _entries(model_or_layers) -> dict[str, tuple[str, list]]:
    """name -> (Keras class name, arrays) from a model or a {name: layer} mapping; a model in the mapping (an
    imported keras.applications backbone) gives its layers under their own names, as building its node names them."""
    import keras

    if not isinstance(model_or_layers, Mapping):
        layers = _leaf_layers(model_or_layers)
    else:
        layers = {}
        for name, layer in model_or_layers.items():
            inner = _leaf_layers(layer) if isinstance(layer, keras.Model) else {name: layer}
            clash = sorted(set(inner) & set(layers))
            if clash:
                raise LayerboardError(f"Two layers would keep their weights under the name '{clash[0]}' (a "
                                      f"backbone's layer and another layer); rename one of them in the source model.")
            layers.update(inner)
    return {name: (type(layer).__name__, layer.get_weights()) for name, layer in layers.items()}


def save_node_weights(model, path: str | Path) -> Path:
    """Write every layer's `get_weights()` to an HDF5 file, one group per layer name.

    `model` is a Keras model (its layers, nested models flattened) or a mapping
    {node id: layer}, which is how the importer names its nodes' layers (a composite node's inner layers
    `<node id>_<inner id>`; a backbone node's model gives each of its layers under its own name).
    Layers without weights are left out. The file is written atomically.
    """
    import h5py
    import numpy as np

    path = Path(path)
    entries = _entries(model)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["version"] = VERSION
            for name, (class_name, arrays) in entries.items():
                if not arrays:
                    continue
                group = f.create_group(name)
                group.attrs["class"] = class_name
                group.attrs["count"] = len(arrays)
                for i, array in enumerate(arrays):
                    group.create_dataset(str(i), data=np.asarray(array))
    return path


def _shape(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _stored_name(name: str, groups: Mapping[str, str], stored: Any) -> str:
    """The group a layer's weights are stored under: its own name, the name `groups` gives a renamed node, or for a
    layer inside a renamed composite node (`<node id>_<inner id>`) that node's stored name and the same inner id."""
    if name in groups:
        return groups[name]
    for node_id in sorted(groups, key=len, reverse=True):
        if name.startswith(node_id + "_") and name not in stored:
            candidate = groups[node_id] + name[len(node_id):]
            if candidate in stored:
                return candidate
    return name


def load_node_weights(model, path: str | Path, groups: Mapping[str, str] | None = None) -> WeightsReport:
    """Set each layer's weights from the group with its name (or the name `groups` gives a renamed layer), when
    all shapes still match.

    Returns a report of the layers loaded and skipped (and why); skipped layers keep their
    fresh initial weights. A missing or unreadable file is a LayerboardError that says the fix.
    """
    path = Path(path)
    report = WeightsReport(path)
    if not path.exists():
        raise LayerboardError(
            f"The weights file {path} does not exist. Put it back beside the project, or remove the "
            "\"weights\" entry from the project file to start from fresh weights.")
    try:
        f = open_hdf5(path, "weights file")
    except LayerboardError as exc:
        raise LayerboardError(f"{exc} Re-import the model to write it again, or remove the \"weights\" entry "
                              "from the project.") from None
    with f:
        if f.attrs.get("format") != FORMAT:
            raise LayerboardError(f"{path} is not a Layerboard weights file (written by `import`). Re-import the "
                                  "model, or remove the \"weights\" entry from the project.")
        layers = _leaf_layers(model)
        groups = dict(groups or {})
        for name, layer in layers.items():
            current = layer.get_weights()
            if not current:
                continue
            stored = _stored_name(name, groups, f)
            if stored not in f:
                report.skipped[name] = "not in the weights file (a new layer): keeps its initial weights"
                continue
            group = f[stored]
            saved_class = group.attrs.get("class", "")
            if isinstance(saved_class, bytes):
                saved_class = saved_class.decode()
            if saved_class and saved_class != type(layer).__name__:
                report.skipped[name] = f"was a {saved_class}, now a {type(layer).__name__}: keeps its initial weights"
                continue
            arrays = [group[str(i)][()] for i in range(int(group.attrs.get("count", len(group))))]
            if len(arrays) != len(current):
                report.skipped[name] = (f"has {len(current)} weight arrays, the file has {len(arrays)} "
                                        "(its settings changed): keeps its initial weights")
                continue
            changed = [(a.shape, c.shape) for a, c in zip(arrays, current) if tuple(a.shape) != tuple(c.shape)]
            if changed:
                old, new = changed[0]
                report.skipped[name] = (f"shape changed: the file has {_shape(old)}, the layer needs {_shape(new)}: "
                                        "keeps its initial weights")
                continue
            layer.set_weights(arrays)
            report.loaded.append(name)
        read = {_stored_name(name, groups, f) for name in layers}
        report.unused = [name for name in f if name not in read]
    for name, why in report.skipped.items():
        log.warning("weights for '%s' not loaded: %s", name, why)
    return report


def apply_project_weights(model, project) -> WeightsReport | None:
    """Load `project.weights` (resolved inside the project's folder) into a freshly built model.

    Returns None when the project has no weights file (the model keeps its initial weights).
    """
    if not project.weights:
        return None
    report = load_node_weights(model, project.resolve(project.weights), project.weight_groups)
    log.info("%s", report.summary())
    return report
