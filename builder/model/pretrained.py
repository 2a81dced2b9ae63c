"""Pretrained backbones (keras.applications): the ImageNet weights file Keras would download, read from Keras's own
cache folder, or a notice that names the file and says how to get it.

Layerboard never downloads. A backbone block is always built with `weights=None`; when its node asks for
`weights="imagenet"`, the file Keras's applications code would fetch (same name, same URL) is looked up in the
folder `keras.utils.get_file` caches it in (`$KERAS_HOME/models`, else `~/.keras/models`) and loaded with
`load_weights`. Without the file the backbone keeps its random weights and `WeightsFile.notice` says so.
Shape inference builds backbones without reading any file (`make_layer(..., pretrained_weights=False)`).
Image axes are channels_last (Keras's default and Layerboard's).
"""
from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder import blocks
from builder.blocks import composites
from builder.errors import GraphError, LayerboardError, first_line
from builder.file_checks import open_hdf5
from builder.graph import Graph, Node

log = logging.getLogger(__name__)

IMAGENET = "imagenet"
MOBILENET_V2_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
# the input sizes and widths Keras publishes MobileNetV2 ImageNet weights for (keras/src/applications/mobilenet_v2.py)
MOBILENET_V2_SIZES = (96, 128, 160, 192, 224)
MOBILENET_V2_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
BACKBONES = ("MobileNetV2",)  # block types that a keras.applications function builds (a nested Model)


def is_backbone(block_type: str) -> bool:
    """A block type built by a keras.applications function, whose `weights` Layerboard resolves itself."""
    return block_type in BACKBONES


@dataclass(frozen=True)
class WeightsFile:
    """The ImageNet weights file one backbone node asks for: its name, Keras's URL for it, the folder it is read from."""

    node_id: str
    block_type: str
    file_name: str
    url: str
    folder: Path
    fetch_command: str  # run on a machine with internet, it leaves the file in that machine's Keras cache folder
    trainable: bool = True

    @property
    def path(self) -> Path:
        return self.folder / self.file_name

    def found(self) -> bool:
        return self.path.is_file()

    def notice(self) -> str:
        """One paragraph for the user: where the weights come from, or what is missing and how to get it."""
        who = f"{self.block_type} '{self.node_id}'"
        if self.found():
            return f"{who} starts from the ImageNet weights in {self.path}."
        after = ("it is frozen, so it stays random: only the layers after it learn" if not self.trainable
                 else "it trains from scratch")
        return (f"{who}: the ImageNet weights file {self.file_name} is not in Keras's cache folder {self.folder}, "
                f"so the backbone starts from random weights ({after}). Keras downloads the file from {self.url} "
                f"— put it in {self.folder}, or on a machine with internet run: {self.fetch_command} "
                "and copy it from that machine's ~/.keras/models/.")


def keras_models_folder() -> Path:
    """Where `keras.utils.get_file` keeps a keras.applications download: `$KERAS_HOME/models`, else
    `~/.keras/models` (Keras's rules, read now: `/tmp/.keras` when home, or the Keras folder, is not writable)."""
    if "KERAS_HOME" in os.environ:
        base = os.environ["KERAS_HOME"]
    else:
        home = os.path.expanduser("~")
        base = os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras")
    base = os.path.expanduser(base)
    if not os.access(base, os.W_OK):
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return Path(base) / "models"


def _param(node: Node, name: str) -> Any:
    """The node's value of a parameter, or Keras's default when the node does not set it."""
    if name in node.params:
        return node.params[name]
    return blocks.block_spec(node.type).param(name).default


def wants_imagenet(node: Node) -> bool:
    return is_backbone(node.type) and _param(node, "weights") == IMAGENET


def imagenet_problem(node: Node) -> str | None:
    """Why a backbone node that asks for ImageNet weights cannot have them (its alpha or input_shape), or None.

    Reads only the node's parameters: no file, so shape inference may ask."""
    if not wants_imagenet(node):
        return None
    who = f"{node.type} '{node.id}'"
    instead = "or leave `weights` empty to start from random weights."
    alpha = _param(node, "alpha")
    if alpha not in MOBILENET_V2_ALPHAS:
        return (f"{who}: ImageNet weights exist only for alpha {', '.join(map(str, MOBILENET_V2_ALPHAS))}; it has "
                f"alpha {alpha}. Pick one of those, {instead}")
    shape = _param(node, "input_shape")
    if shape is None or len(shape) != 3:
        return None  # Keras's own message says what input_shape must be
    rows, cols, channels = shape
    if rows != cols or rows not in MOBILENET_V2_SIZES:
        sizes = ", ".join(map(str, MOBILENET_V2_SIZES))
        return (f"{who}: ImageNet weights exist only for square images of {sizes} pixels; its input_shape is "
                f"{tuple(shape)}. Put a Resizing block before it (e.g. to 96 x 96) and set input_shape to match, "
                f"{instead}")
    if channels != 3:
        return (f"{who}: ImageNet weights take 3-channel (RGB) images; its input_shape {tuple(shape)} has "
                f"{channels}. Feed it RGB images, {instead}")
    return None


def weights_file(node: Node, folder: Path | None = None) -> WeightsFile | None:
    """The ImageNet weights file a backbone node asks for (named as Keras names it), or None when it asks for none
    or cannot have one (`imagenet_problem`). `folder`: where to look; Keras's cache folder by default."""
    if not wants_imagenet(node) or imagenet_problem(node) is not None:
        return None
    alpha = float(_param(node, "alpha"))
    shape = _param(node, "input_shape")
    rows = 224 if shape is None else int(shape[0])  # Keras's default size
    include_top = bool(_param(node, "include_top"))
    file_name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{rows}{'' if include_top else '_no_top'}.h5"
    command = (f'python -c "import keras; keras.applications.MobileNetV2(input_shape=({rows}, {rows}, 3), '
               f'alpha={alpha}, include_top={include_top})"')
    return WeightsFile(node.id, node.type, file_name, MOBILENET_V2_URL + file_name,
                       keras_models_folder() if folder is None else Path(folder), command, node.trainable)


def _holds_backbone(block_type: str, seen: frozenset = frozenset()) -> bool:
    """A backbone, or a composite block with one inside (at any depth), read from the block definitions."""
    if is_backbone(block_type):
        return True
    if block_type in seen or not composites.is_composite(block_type):
        return False
    inner = composites.definition(block_type).graph_data.get("nodes", [])
    return any(isinstance(n, dict) and _holds_backbone(str(n.get("type")), seen | {block_type}) for n in inner)


def weights_files(graph: Graph) -> list[WeightsFile]:
    """The ImageNet weights file of every backbone node that asks for one (inside composite blocks too)."""
    if not any(_holds_backbone(node.type) for node in graph.nodes.values()):
        return []  # the usual case, asked after every edit in the window: no expansion, no file lookup
    if composites.has_composites(graph):
        try:
            graph = composites.expand_all(graph)
        except GraphError:  # a composite block not wired yet (its node says so): the backbones outside it count
            pass
    found = (weights_file(node) for node in graph.nodes.values() if is_backbone(node.type))
    return [w for w in found if w is not None]


def weights_notices(graph: Graph) -> list[str]:
    """A notice for every backbone whose ImageNet weights file is missing (it starts from random weights)."""
    return [w.notice() for w in weights_files(graph) if not w.found()]


def load_imagenet_weights(node: Node, model) -> WeightsFile | None:
    """Give a backbone built with `weights=None` the ImageNet weights its node asks for, from Keras's cache folder.

    Returns the file asked for (None when none is); a missing file is logged with its notice and leaves the
    random weights; a file that is there but does not fit is an error naming it."""
    wanted = weights_file(node)
    if wanted is None:
        return None
    if not wanted.found():
        log.warning("%s", wanted.notice())
        return wanted
    who = f"{node.type} '{node.id}'"
    try:
        with open_hdf5(wanted.path, f"ImageNet weights file of {who}"):
            pass  # a regular HDF5 file that reads no other file
    except LayerboardError as exc:
        raise LayerboardError(f"{exc} Delete it and fetch it again: {wanted.fetch_command}") from None
    try:
        model.load_weights(str(wanted.path))
    except Exception as exc:  # a truncated download, a file renamed from another alpha or size
        raise LayerboardError(f"{who}: the ImageNet weights file {wanted.path} does not fit this backbone "
                              f"({first_line(exc)}). Delete it and fetch it again: {wanted.fetch_command}") from None
    log.info("%s", wanted.notice())
    return wanted
