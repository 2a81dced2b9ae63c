"""The sample command: new samples from a generative recipe (a VAE's decoder, a GAN's generator, a diffusion
model's denoiser by DDIM, `--steps` of them), written as one PNG grid; with --interpolate, a walk through an
autoencoder's or a VAE's latent space between two validation samples, one PNG row."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from builder.cli.arguments import whole_number
from builder.cli.command import EXIT_OK, Command
from builder.cli.run_choice import chosen_model
from builder.errors import LayerboardError
from builder.files import check_replaceable
from builder.project import load_project


def _sample_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="a project file whose training.recipe generates (vae, gan, diffusion)")
    parser.add_argument("--run", help="the run directory whose model to sample (default: the project's latest run)")
    parser.add_argument("-n", "--count", type=whole_number(1, 1024), default=16, metavar="N",
                        help="how many samples (default 16), tiled in a near-square grid")
    parser.add_argument("--seed", type=whole_number(0, 2**32 - 1), default=0,
                        help="seeds the latent vectors drawn from N(0, 1): the same seed gives the same grid")
    parser.add_argument("--zoom", type=whole_number(1, 64), default=4,
                        help="each sample pixel becomes zoom x zoom pixels (default 4)")
    parser.add_argument("--interpolate", type=whole_number(2, 256), metavar="STEPS",
                        help="instead: encode two validation samples (picked by --seed), walk between their codes in "
                             "STEPS steps and decode each (an autoencoder's or a VAE's); one row, the two originals "
                             "at its ends")
    parser.add_argument("--steps", type=whole_number(1, 100_000), metavar="N",
                        help="a diffusion model's DDIM sampling steps (default: its recipe's sampling_steps); fewer "
                             "is faster, more is finer")
    parser.add_argument("-o", "--output", required=True, help="the PNG file to write")
    parser.add_argument("--force", action="store_true", help="replace an existing output file")
    parser.add_argument("--json", action="store_true", help="print what was written as JSON")


def _sample(args: argparse.Namespace) -> int:
    from builder.training import validate_settings, write_png

    project = load_project(args.project)
    validate_settings(project)
    output = Path(args.output)
    check_replaceable(output)
    if output.exists() and not args.force:
        raise LayerboardError(f"{output} already exists; choose another name, or pass --force to replace it.")
    if args.interpolate:
        return _interpolate(project, args, output)
    chosen = chosen_model(project, args.run)
    grid = chosen.sample_grid(project, args.count, args.seed, args.zoom, args.steps)
    write_png(grid, output)
    facts = {"path": str(output), "samples": args.count, "seed": args.seed,
             **({"steps": args.steps} if args.steps else {}),
             "width": int(grid.shape[1]), "height": int(grid.shape[0]), "weights": chosen.weights}
    print(json.dumps(facts) if args.json else f"wrote {args.count} samples to {output} "
          f"({facts['width']}x{facts['height']} pixels; {chosen.weights})")
    return EXIT_OK


def _interpolate(project, args: argparse.Namespace, output: Path) -> int:
    from builder.data import load_project_dataset
    from builder.training import interpolation_grid, refuse_interpolation, write_png

    refuse_interpolation(project)  # before loading a model: say which recipes interpolate
    chosen = chosen_model(project, args.run)
    walk = interpolation_grid(project, chosen.load(), load_project_dataset(project), args.interpolate, args.seed)
    row = walk.row(args.zoom)
    write_png(row, output)
    first, second = walk.indices
    facts = {"path": str(output), "samples": args.interpolate, "seed": args.seed, "width": int(row.shape[1]),
             "height": int(row.shape[0]), "weights": chosen.weights,
             "interpolate": {"steps": args.interpolate, "between": [first, second]}}
    print(json.dumps(facts) if args.json else f"wrote a {args.interpolate}-step walk between validation samples "
          f"{first} and {second} to {output} ({facts['width']}x{facts['height']} pixels; {chosen.weights})")
    return EXIT_OK


SAMPLE = Command("sample", "draw new samples from a generative project (VAE, GAN, diffusion) into a PNG grid",
                 _sample_arguments, _sample)
