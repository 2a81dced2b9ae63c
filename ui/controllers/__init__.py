"""What the window's menus and panels ask for, one controller per concern: files, edits (composite blocks too),
model import, export, training, TFLite badges.

Each is a QObject owned by the window: it works on the current document (`set_document`), opens its own dialogs
over the window, and reports short notes through its `status` signal, which the window shows in the status bar.
"""
