"""Entry point: ``imagepull-exporter [flags]`` runs the exporter; other verbs are subcommands.

Each subcommand is a module with ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``; the exporter itself is the module :mod:`exporter.cli.serve`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from exporter.cli import serve

SUBCOMMANDS = ("demo", "check", "classify", "simulate")
"""Imported only when used: the exporter's own start-up does not pay for them."""


class _Parser(argparse.ArgumentParser):
    """Bad flags end the program with one clear line and status 2, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _subcommand(name: str) -> ModuleType:
    return importlib.import_module(f"exporter.cli.{name}")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the process exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        module = _subcommand(args[0])
        args, prog = args[1:], f"imagepull-exporter {module.NAME}"
    else:
        module, prog = serve, "imagepull-exporter"
    helping = module is serve and bool({"-h", "--help"} & set(args))
    parser = _Parser(
        prog=prog,
        description=module.HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_epilog() if helping else None,
    )
    module.add_arguments(parser)
    status: int = module.run(parser.parse_args(args))
    return status


def _epilog() -> str:
    lines = ["other commands (each has its own --help):"]
    lines += [f"  imagepull-exporter {name:<10} {_subcommand(name).HELP}" for name in SUBCOMMANDS]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
