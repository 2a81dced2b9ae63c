"""export --part takes every recipe's part names: a trained GAN's generator and its discriminator are each written
as a TFLite file, verified on N(0, 1) inputs, holding that part (its input and output shapes)."""
from __future__ import annotations

import json

import pytest

from builder.cli import main
from builder.cli.dispatch import build_parser
from builder.project import save_project
from builder.training import Trainer
from gan_projects import NOISE, gan_project
from recipe_projects import small


def _shapes(path):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    return ([tuple(d["shape"][1:]) for d in interpreter.get_input_details()],
            [tuple(d["shape"][1:]) for d in interpreter.get_output_details()])


def test_export_part_writes_a_gans_generator_and_its_discriminator(tmp_path, capsys):
    project = gan_project(epochs=1)
    path = tmp_path / "gan.json"
    save_project(project, path)
    Trainer(project, epochs=1, dataset=small(project)).run()

    for part, shapes in (("discriminator", ([(8, 8, 1)], [(1,)])), ("generator", ([(NOISE,)], [(8, 8, 1)]))):
        output = tmp_path / f"{part}.tflite"
        assert main(["export", str(path), "--part", part, "--format", "tflite", "-o", str(output), "--json"]) == 0
        report = json.loads(capsys.readouterr().out.splitlines()[-1])
        assert report["verified"] and report["weights"].endswith(f"its {part}") and report["path"] == str(output)
        assert report["samples_source"] == "random" and "schedule_file" not in report
        assert _shapes(output) == shapes, part


def test_part_choices_are_every_recipes_part_names(capsys):
    from builder.cli.export_commands import PartChoices
    from builder.training import recipes

    choices = PartChoices()
    assert {"generator", "discriminator", "denoiser"} <= set(choices)
    assert all(name in choices for recipe in recipes.RECIPES.values() for name in recipe.part_names)
    with pytest.raises(SystemExit) as refused:
        build_parser().parse_args(["export", "p.json", "--format", "tflite", "-o", "x.tflite", "--part", "critic"])
    assert refused.value.code == 2 and "invalid choice: 'critic'" in capsys.readouterr().err
    for part in ("generator", "discriminator"):
        assert build_parser().parse_args(["export", "p.json", "--format", "keras", "-o", "x", "--part", part]).part
