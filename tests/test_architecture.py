"""The architecture's rules: import-linter contracts (the engine never imports Qt or ui; the engine's and the view's layers;
no import cycles), packages used only through their surfaces, and no private names across modules."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(linter), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 kept, 0 broken" in run.stdout


def test_catalogue_and_project_files_load_without_keras():
    """The GUI lists blocks (composite blocks too) and opens projects before Keras is imported."""
    code = ("import sys; from builder import blocks; from builder.project import load_template; "
            "p = blocks.palette(); blocks.initial_params('Conv2D'); load_template('digits_cnn'); "
            "assert 'ResidualBlock' in p['Blocks'], p; blocks.input_ports('PatchEmbedding'); "
            "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules, 'keras was imported'")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def python_files(*folders: str) -> list[Path]:
    return [p for folder in folders for p in (ROOT / folder).rglob("*.py")]


def test_packages_use_each_other_only_through_their_surfaces():
    """builder/<pkg> imports another package only from its __init__ (`from builder.model import build_model`);
    the window, benches and docs scripts likewise. Tests may reach a package's modules to test them."""
    wrong = []
    for path in python_files("builder", "ui", "bench", "docs") + [ROOT / "main.py"]:
        rel = path.relative_to(ROOT).parts
        own = rel[1] if rel[0] == "builder" and len(rel) > 2 else None
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                parts = name.split(".")
                if parts[0] == "builder" and len(parts) > 2 and parts[1] != own:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert not wrong, "import the package, not its module:\n" + "\n".join(wrong)


def defined_private_names(path: Path) -> set[str]:
    """Private names a module defines: functions, classes, module globals and attributes it sets on self."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_no_module_uses_another_modules_private_names():
    """Nothing imports `_name` from a Layerboard module, or reads `obj._name` that another Layerboard module
    defines (tests included). Private attributes of Keras/TensorFlow objects are outside this rule."""
    engine = python_files("builder", "ui")
    defined = {path: defined_private_names(path) for path in engine}
    everywhere = set().union(*defined.values())
    wrong = []
    for path in engine + python_files("tests", "bench", "docs") + [ROOT / "main.py"]:
        own = defined.get(path) or defined_private_names(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("builder", "ui"):
                wrong += [f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}.{a.name}"
                          for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            elif (isinstance(node, ast.Attribute) and node.attr in everywhere and node.attr not in own
                  and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {ast.unparse(node)}")
    assert not wrong, "private names used across modules:\n" + "\n".join(wrong)
