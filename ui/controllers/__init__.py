"""What the window's menus and panels ask for, one controller per concern: files, model import, export, edits
(composite blocks too), training, TFLite badges.

Each is a `WindowController`: a child QObject of the window that works on the current document (the window
hands it over on every swap), opens its dialogs over the window, and reports short notes through its `status`
signal, which the window shows in the status bar. Edits go to the document as undo commands.
"""
