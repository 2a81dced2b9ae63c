"""Screenshot of a training recipe on the canvas: the digits_vae template with its "encoder" and "decoder" groups
and the settings panel's recipe editor; with --mismatch the decoder's Input is given a wrong latent size, and the
canvas marks that node with the recipe's reason.

Usage: xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_roles_screenshot.py docs/screenshot-roles.png
       [--theme dark] [--mismatch] [--template digits_dcgan]
"""
from __future__ import annotations

import argparse

from screenshot_window import application, save_png, wait_for  # docs/ is the script's folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target")
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    parser.add_argument("--mismatch", action="store_true", help="give the decoder's Input a wrong latent size")
    parser.add_argument("--template", default="digits_vae", help="another recipe's template: digits_dcgan, "
                                                                    "digits_diffusion, digits_distillation")
    args = parser.parse_args()
    app = application(args.theme)
    from ui.document import Document
    from ui.document.commands import SetParamCommand
    from ui.main_window import MainWindow

    window = MainWindow(Document.from_template(args.template))
    window.resize(1600, 1000)
    window.show()
    window.start_engine()
    wait_for(window.document.shapes.reportChanged)
    scene = window.scene
    if scene.recipe_check.busy or not args.mismatch:
        wait_for(scene.recipe_check.problemsChanged, 5_000)
    if args.mismatch:
        latent = window.document.graph.nodes["latent"]
        window.document.push(SetParamCommand(window.document.graph, "latent", "shape", [latent.params["shape"][0] + 1]))
        wait_for(scene.recipe_check.problemsChanged)
        scene.node_items["latent"].setSelected(True)
    settings_dock = window.settings_panel.parentWidget()
    settings_dock.raise_()
    window.view.fit_graph()
    app.processEvents()
    window.settings_panel.scroll_to("recipe")
    app.processEvents()
    save_png(window, args.target)
    window.document.undo_stack.setClean()
    window.close()


if __name__ == "__main__":
    main()
