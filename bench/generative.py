"""How good are the generative templates' samples, and what does distillation buy? Printed as tables.

A reference digits classifier (the digits_cnn template, trained its full epochs) labels 1000 samples of each
generative template (VAE, GAN, diffusion: each trained its full epochs, then asked for samples with a fixed seed, as
`python main.py sample` draws them), and the real validation digits for comparison:
- confident: the share of samples the classifier labels with probability above 0.9 (real digits: most of them);
- entropy: the entropy, in bits, of the distribution of the labels it gives (log2 10 = 3.32 when all ten digits
  appear equally often; low when the model draws only a few kinds of digit — mode collapse).
Samples are mapped from the range the recipe says they take to the digits' 0..16 before the classifier sees them.

For each distillation template: the student's and the teacher's validation accuracy and sizes (the run's
recipe_report), and the same student graph trained alone on the labels (no teacher) with the same settings.

Usage:
    python bench/generative.py                          # every generative and distillation template
    python bench/generative.py --templates digits_vae   # some of them
    python bench/generative.py --grids /tmp/grids       # also write each template's samples as a PNG grid
    python bench/generative.py --markdown table.md      # also write the tables as Markdown
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from builder.project import list_templates, load_template  # noqa: E402

REFERENCE = "digits_cnn"
SAMPLES = 1000
SEED = 0
CONFIDENT = 0.9
DIGIT_RANGE = (0.0, 16.0)  # the digits dataset's pixel values, what the classifier reads


def recipe_of(project) -> str:
    return (project.training.recipe or {}).get("name", "supervised")


def label_figures(classifier, images: np.ndarray) -> dict:
    """The share of images labelled with confidence above 0.9, the label distribution's entropy in bits, and how
    many of the ten digits appear among the labels."""
    probabilities = np.asarray(classifier.predict(images, verbose=0, batch_size=256))
    labels = probabilities.argmax(-1)
    counts = np.bincount(labels, minlength=probabilities.shape[-1]) / len(labels)
    present = counts[counts > 0]
    return {"confident": float(np.mean(probabilities.max(-1) > CONFIDENT)),
            "entropy_bits": float(-(present * np.log2(present)).sum()),
            "digits_seen": int((counts > 0).sum()), "count": int(len(labels))}


def train(project, folder: Path):
    from builder.training import Trainer

    trainer = Trainer(project, run_dir=folder / project.name / "run")
    result = trainer.run()
    return trainer, result


def generated_images(project, model, dataset) -> tuple[np.ndarray, tuple[float, float]]:
    """SAMPLES new samples from the template's recipe, mapped into the digits' value range."""
    from builder.training import recipes

    samples = recipes.decode_latents(project, model, SAMPLES, SEED)
    low, high = recipes.value_range(project, model, dataset)
    scaled = (np.clip(samples, low, high) - low) / (high - low)
    return (DIGIT_RANGE[0] + scaled * (DIGIT_RANGE[1] - DIGIT_RANGE[0])).astype("float32"), (low, high)


def measure_generative(name: str, classifier, folder: Path, grids: Path | None) -> dict:
    from builder.data import load_project_dataset
    from builder.training import as_project_model, recipes

    project = load_template(name)
    print(f"  {name}: training {project.training.epochs} epochs ...", flush=True)
    _, result = train(project, folder)
    model = as_project_model(result.model_path).load()
    dataset = load_project_dataset(project)
    start = time.perf_counter()
    images, _ = generated_images(project, model, dataset)
    sample_seconds = time.perf_counter() - start
    if grids is not None:
        grids.mkdir(parents=True, exist_ok=True)
        recipes.write_png(recipes.image_grid(images[:64], *DIGIT_RANGE, zoom=4), grids / f"{name}.png")
    return {"recipe": recipe_of(project), "epochs": result.epochs_run, "train_seconds": round(result.duration_s, 1),
            "sample_seconds": round(sample_seconds, 2), **label_figures(classifier, images)}


def measure_distillation(name: str, folder: Path) -> dict:
    project = load_template(name)
    print(f"  {name}: training {project.training.epochs} epochs (and the teacher first, once) ...", flush=True)
    trainer, result = train(project, folder)
    report = trainer.recipe_report
    alone = load_template(name)
    alone.name, alone.training.recipe = f"{name}_alone", None
    print(f"  {name}: the same student alone, {alone.training.epochs} epochs ...", flush=True)
    _, alone_result = train(alone, folder)
    return {"recipe": "distillation", "epochs": result.epochs_run, "train_seconds": round(result.duration_s, 1),
            "teacher_parameters": report["teacher"]["parameters"], "teacher_accuracy": report["teacher"]["val_accuracy"],
            "student_parameters": report["student"]["parameters"], "student_accuracy": report["student"]["val_accuracy"],
            "size_ratio": report["size_ratio"],
            "student_alone_accuracy": round(float(alone_result.final_metrics["val_accuracy"]), 4)}


def tables(real: dict, rows: dict[str, dict]) -> str:
    lines = ["| samples of | recipe | epochs | train s | confident (p > 0.9) | label entropy (bits, max 3.32) "
             "| digits seen |", "|" + "---|" * 7,
             f"| real validation digits ({real['count']}) | — | — | — | {real['confident']:.3f} | "
             f"{real['entropy_bits']:.2f} | {real['digits_seen']} |"]
    for name, row in rows.items():
        if row["recipe"] != "distillation":
            lines.append(f"| {name} ({row['count']} generated) | {row['recipe']} | {row['epochs']} | "
                         f"{row['train_seconds']:.0f} | {row['confident']:.3f} | {row['entropy_bits']:.2f} | "
                         f"{row['digits_seen']} |")
    distilled = {n: r for n, r in rows.items() if r["recipe"] == "distillation"}
    if distilled:
        lines += ["", "| distillation | teacher params | teacher val acc | student params | student val acc "
                      "| size ratio | student alone val acc | train s |", "|" + "---|" * 8]
        for name, row in distilled.items():
            lines.append(f"| {name} | {row['teacher_parameters']:,} | {row['teacher_accuracy']:.3f} | "
                         f"{row['student_parameters']:,} | {row['student_accuracy']:.3f} | {row['size_ratio']:.2f} | "
                         f"{row['student_alone_accuracy']:.3f} | {row['train_seconds']:.0f} |")
    return "\n".join(lines)


def main() -> int:
    from builder.training import recipes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", help="comma-separated template names (default: every generative and "
                                            "distillation template)")
    parser.add_argument("--grids", type=Path, help="write each template's first 64 samples as a PNG grid here")
    parser.add_argument("--markdown", help="also write the tables to this Markdown file")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    wanted = {*recipes.generative_recipes(), "distillation"}
    chosen = {t.name: recipe_of(load_template(t.name)) for t in list_templates()}
    chosen = {n: r for n, r in chosen.items() if r in wanted}
    names = args.templates.split(",") if args.templates else list(chosen)
    unknown = [n for n in names if n not in chosen]
    if unknown:
        parser.error(f"not a generative or distillation template: {', '.join(unknown)}; those: {', '.join(chosen)}")
    print(f"on a {os.cpu_count()}-core CPU ({platform.machine()}, {platform.system()})", flush=True)
    with tempfile.TemporaryDirectory(prefix="layerboard-bench-generative-") as scratch:
        folder = Path(scratch)
        os.environ["LAYERBOARD_DATA_DIR"] = str(folder / "user-data")  # a template teacher is trained afresh
        from builder.data import load_project_dataset
        from builder.training import as_project_model

        reference = load_template(REFERENCE)
        print(f"  reference classifier {REFERENCE}: training {reference.training.epochs} epochs ...", flush=True)
        _, result = train(reference, folder)
        classifier = as_project_model(result.model_path).load()
        real = label_figures(classifier, np.asarray(load_project_dataset(reference).x_val, "float32"))
        rows = {}
        for name in names:
            try:
                rows[name] = (measure_distillation(name, folder) if chosen[name] == "distillation"
                              else measure_generative(name, classifier, folder, args.grids))
            except Exception as exc:
                print(f"  {name}: FAILED: {exc}", flush=True)
    text = tables(real, rows)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps({"real": real, "templates": rows}, indent=1) + "\n")
    return 0 if len(rows) == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
