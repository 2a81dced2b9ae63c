"""The layers command: the catalogue the palette shows (every Keras layer block by category, and the layers
keras.layers exports that are not blocks, with why), or one layer's parameters as the inspector edits them."""
from __future__ import annotations

import argparse
import json
import textwrap

from builder import blocks
from builder.blocks import catalogue
from builder.cli.command import EXIT_OK, Command
from builder.errors import UnknownBlockError


def _layers_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("layer", nargs="?", help="a block type (Conv2D, or an alias such as Convolution2D): "
                                                 "list its parameters, kinds and Keras defaults")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _describe(block_type: str, as_json: bool) -> int:
    spec = blocks.block_spec(block_type)
    rows = [{"name": p.name, "kind": p.kind, "default": p.default, "required": p.required,
             "choices": p.choices, "help": p.help} for p in spec.params]
    if as_json:
        print(json.dumps({"type": block_type, "category": spec.category, "inputs": blocks.input_ports(block_type),
                          "primary": spec.primary, "params": rows}, default=repr))
        return EXIT_OK
    print(f"{block_type} ({spec.category}); inputs: {', '.join(blocks.input_ports(block_type) or ['any number'])}")
    for row in rows:
        flag = " (required)" if row["required"] else f" = {json.dumps(row['default'], default=repr)}"
        print(f"  {row['name']}: {row['kind']}{flag}")
        if row["help"]:
            print(textwrap.fill(row["help"], width=100, initial_indent=" " * 6, subsequent_indent=" " * 6))
    return EXIT_OK


def _list_layers(args: argparse.Namespace) -> int:
    if args.layer:
        block_type = blocks.canonical_type(args.layer)
        if not blocks.is_catalogue_block(block_type):
            reason = blocks.not_block_reason(block_type)
            raise UnknownBlockError(f"{args.layer} cannot be a block: {reason}" if reason else
                                    f"{args.layer} is not a Keras layer block; `layers` lists them all.")
        return _describe(block_type, args.json)
    palette = catalogue.catalogue_palette()
    inner = [t for t in blocks.catalogue_types() if not any(t in names for names in palette.values())]
    refused = catalogue.not_blocks()
    if args.json:
        print(json.dumps({"categories": palette, "inner_only": inner, "aliases": catalogue.aliases(),
                          "not_blocks": refused}))
        return EXIT_OK
    for category, names in palette.items():
        if names:
            print(f"{category} ({len(names)}):")
            print(textwrap.fill(", ".join(names), width=100, initial_indent="  ", subsequent_indent="  "))
    print(f"Only inside another block ({len(inner)}): {', '.join(inner)}")
    print("Not blocks:")
    for name, reason in refused.items():
        print(textwrap.fill(f"{name}: {reason}", width=100, initial_indent="  ", subsequent_indent="    "))
    return EXIT_OK


LAYERS = Command("layers", "list the Keras layers the palette offers (generated from keras.layers), or one "
                           "layer's parameters", _layers_arguments, _list_layers)
