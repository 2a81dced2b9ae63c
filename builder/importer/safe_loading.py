"""Loading a .keras/.h5 model file without running code from it: its stored config is read as plain JSON
and refused before Keras reads the file when it needs Lambda layers, functions or classes from outside Keras."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from builder import blocks
from builder.errors import LayerboardError
from builder.file_checks import open_hdf5, require_regular_file
from builder.model import UnreadableModelError, load_model_safely

LAMBDA_FIX = (
    "Layerboard refuses Lambda layers because they run arbitrary Python code stored in the model file. "
    "Replace each Lambda with a built-in Keras layer that does the same (Rescaling, Activation, Reshape, "
    "Permute, Multiply, Add...), save the model again and re-import it")


FILE_FIX = (
    "Layerboard never reads a file that a model file names outside itself. Give the layer its vocabulary as a "
    "list (vocabulary=[...] or layer.set_vocabulary([...])), save the model again and re-import it")


def _iter_dicts(value: Any):
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _iter_dicts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _iter_dicts(v)


def _stored_config(path: Path) -> Any:
    """The model config stored in the file, read as plain JSON (nothing is deserialised)."""
    try:
        if path.suffix == ".keras":
            with zipfile.ZipFile(path) as archive:
                return json.loads(archive.read("config.json"))
        with open_hdf5(path, "model file") as f:
            raw = f.attrs.get("model_config")
            if raw is None:
                raise LayerboardError(f"{path} holds no model (only weights?); save the whole model with "
                                      "model.save('model.keras') and import that.")
            return json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    except LayerboardError:
        raise
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise LayerboardError(f"{path} is not a readable Keras model file ({exc}).") from None


def check_stored_config(config: Any, path: Path) -> None:
    """Refuse, before Keras reads the file, a model that would need code from the file or elsewhere, or that
    names a file outside it for Keras to read (a lookup layer's vocabulary given as a path)."""
    lambdas, custom, files = [], [], []
    for d in _iter_dicts(config):
        class_name = d.get("class_name")
        layer_config = d.get("config") if isinstance(d.get("config"), dict) else {}
        if isinstance(class_name, str) and blocks.is_catalogue_block(class_name):
            for name in blocks.file_params(class_name):
                if isinstance(layer_config.get(name), str):
                    files.append(f"{class_name} '{layer_config.get('name', '?')}' reads its {name} from "
                                 f"'{layer_config[name]}'")
        if class_name == "Lambda":
            lambdas.append(str((d.get("config") or {}).get("name") or d.get("name") or "?"))
        elif class_name in ("__lambda__", "__function__") or (
                isinstance(d.get("module"), str) and not d["module"].split(".")[0] in ("keras", "builtins")):
            custom.append(f"{class_name} from {d.get('module') or 'Python code in the file'}")
    if lambdas:
        raise LayerboardError(f"{path.name}: {LAMBDA_FIX}. Lambda layers found: {', '.join(sorted(set(lambdas)))}.")
    if files:
        raise LayerboardError(f"{path.name}: {'; '.join(files)}. {FILE_FIX}.")
    if custom:
        raise LayerboardError(
            f"{path.name} needs code that is not part of Keras ({', '.join(sorted(set(custom)))}); Layerboard only "
            "imports models made of built-in Keras layers and never runs code from a model file. Rebuild those "
            "parts with built-in layers and save again.")


def load_keras_file(path: str | Path):
    """Load a .keras or .h5 model without running code from it (compile=False, safe_mode=True)."""
    import keras

    path = Path(path)
    if not path.exists():
        raise LayerboardError(f"{path} does not exist. Give the path of a .keras or .h5 model file.")
    require_regular_file(path, "model file")
    if path.suffix not in (".keras", ".h5", ".hdf5"):
        raise LayerboardError(f"{path} is not a .keras or .h5 model file. Save the model with "
                              "model.save('model.keras') and import that.")
    stored = _stored_config(path)
    check_stored_config(stored, path)
    # catalogue blocks that keras.layers does not export (ConvNeXt's LayerScale): Keras classes only,
    # which the legacy .h5 loader cannot find by name on its own
    extra = {}
    for block_type in blocks.block_types():
        if block_type != "Input" and not hasattr(keras.layers, block_type):
            try:
                extra[block_type] = blocks.keras_class(block_type)
            except LayerboardError:  # not a Keras layer (a composite block)
                continue
    try:
        model = load_model_safely(path, custom_objects=extra, compile=False)
    except UnreadableModelError as exc:
        if exc.refused_code:
            raise LayerboardError(f"{path.name}: {LAMBDA_FIX}.") from None
        if exc.refused.startswith("a vocabulary file"):
            raise LayerboardError(f"{path.name}: Keras's safe mode refused {exc.refused}. {FILE_FIX}.") from None
        if exc.refused:
            raise LayerboardError(f"{path.name}: Keras's safe mode refused to load it: {exc.refused}. Layerboard "
                                  "only loads models that safe mode accepts; rebuild the refused part with "
                                  "built-in Keras layers and save again.") from None
        raise LayerboardError(f"Keras cannot load {path.name}: {exc.reason}") from None
    restore_frozen_models(model, stored)
    return model


def restore_frozen_models(model, config: Any) -> None:
    """Freeze again the nested models the stored config says are frozen: Keras's loader forgets a nested
    Sequential's `trainable=False` (a frozen Sequential head comes back trainable)."""
    import keras

    entries = (config.get("config") or {}).get("layers") if isinstance(config, dict) else None
    by_name = {layer.name: layer for layer in model.layers}
    for entry in entries if isinstance(entries, list) else []:
        settings = entry.get("config") if isinstance(entry, dict) else None
        layer = by_name.get(settings.get("name")) if isinstance(settings, dict) else None
        if isinstance(layer, keras.Model):
            restore_frozen_models(layer, entry)
            if settings.get("trainable") is False:
                layer.trainable = False
