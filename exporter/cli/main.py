"""Entry point: ``imagepull-exporter [flags]`` runs the exporter; other verbs are subcommands.

Each subcommand is a module with ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``; the exporter itself is the module :mod:`exporter.cli.serve`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from exporter.cli import check, classify, demo, serve, simulate


class _Parser(argparse.ArgumentParser):
    """Bad flags end the program with one clear line and status 2, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _subcommands() -> dict[str, ModuleType]:
    return {module.NAME: module for module in (demo, check, classify, simulate)}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the process exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    commands = _subcommands()
    module = commands.get(args[0]) if args else None
    if module is None:
        module, prog = serve, "imagepull-exporter"
    else:
        args, prog = args[1:], f"imagepull-exporter {module.NAME}"
    parser = _Parser(
        prog=prog,
        description=module.HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_epilog(commands) if module is serve else None,
    )
    module.add_arguments(parser)
    status: int = module.run(parser.parse_args(args))
    return status


def _epilog(commands: dict[str, ModuleType]) -> str:
    lines = ["other commands (each has its own --help):"]
    lines += [f"  imagepull-exporter {name:<10} {mod.HELP}" for name, mod in commands.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
