"""The ``minee`` command: a thin layer over the library.

Each subcommand lives in ``minee.commands.<name>`` and provides ``add_parser(subparsers)``
which registers a parser whose ``func(args) -> int`` runs it. Errors a user can fix
(missing file, unknown column, bad value) exit with code 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .io import one_line

__all__ = ["main"]

COMMANDS = ("estimate", "entropy", "reproduce", "matrix", "relevance")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minee",
        description="Neural estimation of differential entropy and mutual information "
                    "(MI-NEE, MINE), in nats.",
        epilog="Run 'minee COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"minee {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"minee.commands.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"minee {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"minee {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
