"""What a block-type drag carries: the palette writes it, the canvas accepts a drop of it."""
from __future__ import annotations

from PySide6.QtCore import QMimeData

from builder import blocks

BLOCK_TYPE_MIME = "application/x-layerboard-block"


def make_block_type_mime(block_type: str) -> QMimeData:
    mime = QMimeData()
    mime.setData(BLOCK_TYPE_MIME, block_type.encode("utf-8"))
    mime.setText(block_type)
    return mime


def block_type_from_mime(mime: QMimeData) -> str | None:
    """The block type a drag carries, if it is one the catalogue (or the composite-block library) knows."""
    if not mime.hasFormat(BLOCK_TYPE_MIME):
        return None
    block_type = bytes(mime.data(BLOCK_TYPE_MIME).data()).decode("utf-8", "replace")
    return block_type if blocks.is_known(block_type) else None
