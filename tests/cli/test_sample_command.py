"""python main.py sample PROJECT -o grid.png: new samples from a VAE's decoder as one PNG grid; refused for a
project that cannot generate or has no trained run; export writes the decoder by default."""
from __future__ import annotations

import json

import numpy as np
from PIL import Image

from builder.cli import main
from builder.project import load_template, save_project
from builder.training import Trainer
from recipe_projects import small, vae_project


def test_sample_writes_a_png_grid_of_the_decoders_images_and_export_writes_the_decoder(tmp_path, capsys):
    path = tmp_path / "vae.json"
    project = vae_project()
    save_project(project, path)
    assert main(["sample", str(path), "-o", str(tmp_path / "none.png")]) == 1
    assert "no trained model yet" in capsys.readouterr().err  # no run: nothing to sample
    Trainer(project, epochs=1, dataset=small(project)).run()

    assert main(["sample", str(path), "-n", "6", "--seed", "3", "--zoom", "2", "-o", str(tmp_path / "g.png"),
                 "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    image = Image.open(tmp_path / "g.png")
    # 3 x 2 tiles of 8 x 8 with a 1-pixel gap between them, zoomed twice
    assert image.size == ((3 * 8 + 2) * 2, (2 * 8 + 1) * 2) == (facts["width"], facts["height"]) and image.mode == "L"
    pixels = np.asarray(image)
    assert pixels.max() > pixels.min()  # decoded digits, not a blank grid
    assert main(["sample", str(path), "-n", "6", "--seed", "3", "--zoom", "2", "-o", str(tmp_path / "h.png")]) == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "h.png")), pixels)  # the same seed, the same grid

    assert main(["export", str(path), "--format", "keras", "-o", str(tmp_path / "d.keras"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert report["weights"].endswith("its decoder") and report["max_abs_diff"] < 1e-5


def test_sample_refuses_a_supervised_project(tmp_path, capsys, trained_digits):
    project, result = trained_digits
    path = tmp_path / "digits.json"
    save_project(load_template("digits_cnn"), path)
    code = main(["sample", str(path), "--run", str(result.run_dir), "-o", str(tmp_path / "g.png")])
    assert code == 1 and not (tmp_path / "g.png").exists()
    assert "trains with the supervised recipe, which cannot generate samples" in capsys.readouterr().err
