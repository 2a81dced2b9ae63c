"""The one-way imports (engine never imports Qt or ui) are enforced by import-linter."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(linter), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 kept, 0 broken" in run.stdout


def test_catalogue_and_project_files_load_without_keras():
    """The GUI lists blocks (composite blocks too) and opens projects before Keras is imported."""
    code = ("import sys; from builder.blocks import catalogue; from builder.project import files, templates; "
            "p = blocks.palette(); blocks.initial_params('Conv2D'); templates.load_template('digits_cnn'); "
            "assert 'ResidualBlock' in p['Blocks'], p; blocks.input_ports('PatchEmbedding'); "
            "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules, 'keras was imported'")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
