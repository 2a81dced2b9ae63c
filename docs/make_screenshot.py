"""Save a screenshot of the real window (digits_cnn template, shapes shown after Keras loads).

Usage (needs a display; `make screenshot` runs it under xvfb-run):
    python docs/make_screenshot.py docs/screenshot.png
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ui.app import main  # noqa: E402

if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("screenshot.png"))
    sys.exit(main(["--screenshot", target]))
