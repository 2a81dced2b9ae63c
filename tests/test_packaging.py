"""What `pip install` gives must work: the wheel carries every template, shipped composite block and data file,
and an installed copy, outside the source tree, finds them (CLI and window)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def source_files() -> list[str]:
    """The files a clone has (tracked, and new ones git does not ignore)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    return [name for name in listed if (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy of what a clone holds: an in-tree build/ folder keeps files that were moved or deleted
    # since, and would carry them into the wheel.
    source = tmp_path_factory.mktemp("source")
    for name in source_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                          str(source)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    (found,) = out.glob("layerboard-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    run = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target",
                          str(target), str(wheel)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    return target


def run_installed(installed: Path, args: list[str], cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run a command with only the installed copy of Layerboard importable (not the source tree)."""
    env = {**os.environ, "PYTHONPATH": str(installed), "QT_QPA_PLATFORM": "offscreen",
           "LAYERBOARD_BLOCKS_DIR": str(cwd / "no-user-blocks")}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_wheel_holds_every_template_block_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = sorted(p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*.json"))
    assert shipped, "templates/ has no project or block files"
    assert any(name.startswith("blocks/") for name in shipped)
    missing = [name for name in shipped if f"builder/shipped/{name}" not in names]
    assert not missing, f"templates missing from the wheel: {missing}"
    package_files = [name for name in source_files() if name.startswith(("builder/", "ui/"))]
    assert "builder/blocks/catalogue.json" in package_files
    missing = [name for name in package_files if name not in names]
    assert not missing, f"package files missing from the wheel: {missing}"
    stale = [name for name in names if name.startswith(("builder/", "ui/")) and not name.startswith("builder/shipped/")
             and name not in package_files]
    assert not stale, f"the wheel holds files the source does not: {stale}"
    assert "main.py" in names


def test_an_installed_copy_lists_templates_and_makes_a_project_outside_the_source_tree(installed, tmp_path):
    where = run_installed(installed, [sys.executable, "-c", "import builder, ui; print(builder.__file__, ui.__file__)"],
                          tmp_path)
    assert where.returncode == 0, where.stderr
    assert all(Path(p).is_relative_to(installed) for p in where.stdout.split()), where.stdout
    script = installed / "bin" / "layerboard"
    listed = run_installed(installed, [str(script), "templates"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    names = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    assert names == {p.stem for p in (ROOT / "templates").glob("*.json")}
    made = run_installed(installed, [str(script), "new", "digits_cnn", "-o", "p.json"], tmp_path)
    assert made.returncode == 0, made.stderr
    project = json.loads((tmp_path / "p.json").read_text())
    assert project["format"] == "layerboard-project" and project["graph"]["nodes"]
    blocks = run_installed(installed, [str(script), "blocks", "--json"], tmp_path)
    assert blocks.returncode == 0, blocks.stderr
    shipped = {p.stem for p in (ROOT / "templates" / "blocks").glob("*.json")}
    assert shipped <= {b["name"] for b in json.loads(blocks.stdout)["blocks"]}


@pytest.mark.slow
def test_the_installed_window_opens_its_template_and_shows_shapes(installed, tmp_path):
    png = tmp_path / "window.png"
    shown = run_installed(installed, [sys.executable, "-c",
                                      "import sys; from ui.app import main; sys.exit(main(['--screenshot', 'window.png']))"],
                          tmp_path, timeout=300)
    assert shown.returncode == 0, shown.stderr
    assert png.is_file() and png.stat().st_size > 10_000
