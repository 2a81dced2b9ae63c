"""Save a screenshot of the real window (digits_cnn template, shapes shown after Keras loads).

Usage (needs a display; `make screenshot` runs it under xvfb-run):
    python docs/make_screenshot.py docs/screenshot.png
    python docs/make_screenshot.py docs/screenshot-dark.png --theme dark
--theme picks View ▸ Theme for this run only: the settings are in a temporary folder (docs/screenshot_window.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import screenshot_window  # noqa: E402,F401 - the app's preferences in a temporary folder, not the user's


from ui import theme  # noqa: E402
from ui.app import main  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Save a screenshot of the Layerboard window.")
    parser.add_argument("target", nargs="?", default=str(Path(__file__).with_name("screenshot.png")))
    parser.add_argument("--theme", choices=list(theme.CHOICES), help="the theme of the screenshot")
    args = parser.parse_args()
    if args.theme:
        theme.save_choice(args.theme)
    sys.exit(main(["--screenshot", args.target]))
