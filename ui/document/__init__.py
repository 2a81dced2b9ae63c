"""One open project: the Document (project, undo stack, file state) and the undo commands that edit its graph."""
from ui.document.document import Document
from ui.document.project_commands import SetProjectSettingsCommand

__all__ = ["Document", "SetProjectSettingsCommand"]
