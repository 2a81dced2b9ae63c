# The two commands of the README: `make run` (set up, open the app; ARGS=... for the CLI) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.layerboard-installed

# Debian packages Qt needs to start (found with ldd on PySide6's libraries and platform plugins).
QT_DEBS := libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libx11-xcb1 \
	libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
	libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libxcb-shm0 libxcb-sync1 libxcb-glx0

.PHONY: run test test-templates test-processes test-catalogue setup system-deps screenshot clean

run: setup
	$(PY) main.py $(ARGS)

test: setup
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(PY) -m pytest $(PYTEST_ARGS)

# Every shipped template trains a short epoch and exports to TFLite (a few minutes; .ci/run runs it after `test`).
test-templates: setup
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(PY) -m pytest -m templates tests/templates $(PYTEST_ARGS)

# Real train/new/import/export processes killed mid-write and resumed (a few minutes; .ci/run runs it too).
test-processes: setup
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(PY) -m pytest -m processes tests $(PYTEST_ARGS)

# Every Keras layer of the generated catalogue imported, rebuilt and compared (defaults and every argument changed),
# mixed precision and LoRA, and every export of shared and nested models (a few minutes; .ci/run runs it).
test-catalogue: setup
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(PY) -m pytest -m catalogue tests $(PYTEST_ARGS)

setup: system-deps $(STAMP)

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# Installs only what is missing, and only where apt exists (Debian/Ubuntu); elsewhere Qt's wheels suffice.
system-deps:
	@if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
		missing=""; for p in $(QT_DEBS); do \
			dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
		done; \
		if [ -n "$$missing" ]; then \
			echo "Installing Debian packages Qt needs:$$missing"; \
			SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
			$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
		fi; \
	fi

# A screenshot of the real window for the README (needs Xvfb: installed here if missing).
screenshot: setup
	@command -v xvfb-run >/dev/null 2>&1 || { SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq xvfb xauth; }
	xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) docs/make_screenshot.py docs/screenshot.png

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
