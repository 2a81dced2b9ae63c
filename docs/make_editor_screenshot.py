"""Screenshots of the editor: the shapes CNN with wire shapes shown, two convolutions selected (the inspector edits
both; each parameter's help under its field), the minimap on; and a right-click menu on a wire.

Usage: xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_editor_screenshot.py docs/screenshot-light.png
       [--theme dark] [--menu docs/screenshot-menu.png]
"""
from __future__ import annotations

import argparse

from screenshot_window import application, save_png, wait_for  # docs/ is the script's folder

from PySide6.QtCore import QEventLoop, QPointF, QTimer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target")
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    parser.add_argument("--menu", help="also save the screen with a wire's right-click menu open")
    args = parser.parse_args()
    app = application(args.theme)
    from ui.document import Document
    from ui.main_window import MainWindow

    window = MainWindow(Document.from_template("shapes_cnn"))
    window.resize(1600, 1000)
    window.show()
    window.start_engine()
    wait_for(window.document.shapes.reportChanged)
    window.wire_shapes_action.setChecked(True)
    window.view_actions.minimap_action.setChecked(True)
    graph = window.document.graph
    convs = [n for n, node in graph.nodes.items() if node.type == "Conv2D"][:2]
    for node_id in convs:
        window.scene.node_items[node_id].setSelected(True)
    window.view.fit_graph()
    app.processEvents()
    save_png(window, args.target)
    if args.menu:
        window.scene.clearSelection()
        edge = next(e for e in graph.edges if e.target == convs[-1])
        wire = window.scene.edge_items[edge]
        middle = wire.path().pointAtPercent(0.5)
        view = window.view
        at = view.viewport().mapToGlobal(view.mapFromScene(middle))
        menu = window.canvas_menus.menu_for("wire", edge, QPointF(middle))
        menu.popup(at)
        insert = menu.actions()[0].menu()
        menu.setActiveAction(menu.actions()[0])
        QTimer.singleShot(300, lambda: insert.popup(at + insert.parentWidget().rect().topRight() * 0))
        loop = QEventLoop()
        QTimer.singleShot(900, loop.quit)
        loop.exec()
        save_png(None, args.menu)
    window.document.undo_stack.setClean()
    window.close()


if __name__ == "__main__":
    main()
