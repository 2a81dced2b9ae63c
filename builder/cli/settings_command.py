"""The settings command: every training setting the engine has, by group, with its default and help (the same
schema the window's settings form is built from), and a project's own values beside them."""
from __future__ import annotations

import argparse
import json
import textwrap

from builder.cli.command import EXIT_OK, Command
from builder.project import load_project


def _settings_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", help="a project file: show its values beside the defaults")
    parser.add_argument("--json", action="store_true", help="print one JSON list, one object per setting")


def _shown(value) -> str:
    return json.dumps(value)


def _settings(args: argparse.Namespace) -> int:
    from builder.training import GROUPS, SETTINGS

    config = load_project(args.project).training if args.project else None
    if args.json:
        rows = []
        for entry in SETTINGS:
            row = entry.to_dict()
            if config is not None:
                row["value"] = getattr(config, entry.name)
            rows.append(row)
        print(json.dumps(rows))
        return EXIT_OK
    for group in GROUPS:
        print(f"{group}:")
        for entry in (s for s in SETTINGS if s.group == group):
            line = f"  {entry.name:<20} default {_shown(entry.default)}"
            if config is not None:
                value = getattr(config, entry.name)
                line += f"; project {_shown(value)}" + (" (changed)" if value != entry.default else "")
            print(line)
            print(textwrap.fill(entry.help, width=100, initial_indent=" " * 6, subsequent_indent=" " * 6))
            if entry.kind == "choice":
                print(f"      one of: {', '.join(_shown(c) for c in entry.choices)}")
            for sub in entry.sub_settings():
                print(f"      .{sub.name} (default {_shown(sub.default)}): {sub.help}")
            if entry.kind == "schedule":
                for name in entry.choices:
                    subs = ", ".join(f"{s.name} ({_shown(s.default)})" for s in entry.sub_settings(name)) or "—"
                    print(f"      {name}: {subs}")
        print()
    return EXIT_OK


SETTINGS = Command("settings", "list every training setting by group, with its default and help (or a project's "
                               "values)", _settings_arguments, _settings)
