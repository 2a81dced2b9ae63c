"""One open project: the Document (project, undo stack, file state) and the undo commands that edit its graph."""
from ui.document.document import Document

__all__ = ["Document"]
