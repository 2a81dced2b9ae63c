"""The corpus of malformed and hostile inputs (tests/hostile_corpus.py): every case ends with a plain error that
names what is wrong — no traceback, no hang, no wrong success."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hostile_corpus import Case, Outcome, build_cases  # noqa: E402

from builder.cli import main  # noqa: E402

@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, Case]:
    return {case.name: case for case in build_cases(tmp_path_factory.mktemp("corpus"))}


def run_in_process(case: Case, capsys, monkeypatch) -> Outcome:
    monkeypatch.chdir(case.folder)
    monkeypatch.setenv("LAYERBOARD_BLOCKS_DIR", str(case.folder / "no-blocks"))
    monkeypatch.delenv("LAYERBOARD_DEBUG", raising=False)
    try:
        code = main(case.argv)
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else 2
    captured = capsys.readouterr()
    return Outcome(case, code, captured.out, captured.err, 0.0)


def pytest_generate_tests(metafunc):
    if "case_name" in metafunc.fixturenames:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            names = [c.name for c in build_cases(Path(folder)) if not c.slow]
        metafunc.parametrize("case_name", names)


def test_a_hostile_input_ends_in_a_clean_error(case_name, cases, capsys, monkeypatch):
    case = cases[case_name]
    outcome = case.run(timeout=60) if case.may_hang else run_in_process(case, capsys, monkeypatch)
    assert outcome.verdict == "clean", (f"{case.name}: {outcome.verdict} (exit {outcome.code})\n"
                                        f"{outcome.stdout[-2000:]}\n{outcome.stderr[-2000:]}")
