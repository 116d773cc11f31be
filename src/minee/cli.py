"""The ``minee`` command: a thin layer over the library.

Each subcommand lives in ``minee.commands.<name>`` and provides ``add_parser(subparsers)``
which registers a parser whose ``func(args) -> int`` runs it; what they share is in
``minee.commands.common``. Any error exits with code 2 and a one-line message
(``minee --debug COMMAND ...`` shows the traceback instead); Ctrl-C exits with 130.

Building the parser imports no part of the library: ``minee --help`` and ``minee --version``
answer at once, and torch is imported only when a command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

__all__ = ["main", "build_parser"]

COMMANDS = ("estimate", "entropy", "reproduce", "matrix", "relevance", "demo")


def _version() -> str:
    """The installed version, from the package metadata.

    Not ``minee.__version__``: that attribute lives in the package ``__init__``, whose
    imports load torch, seconds that ``--version`` and ``--help`` should not cost.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("minee")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The ``minee`` parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="minee",
        description="Neural estimation of differential entropy and mutual information "
                    "(MI-NEE, MINE), in nats.",
        epilog="Run 'minee COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"minee {_version()}")
    parser.add_argument("--debug", action="store_true",
                        help="on an error, show the full traceback instead of one line")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="import this module first (repeatable): one that registers "
                             "references, objectives or estimators with minee.registry, "
                             "which the commands then offer")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"minee.commands.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = build_parser()
    # plugins register their parts before the commands' choices are checked
    early, _ = _plugin_parser().parse_known_args(argv)
    for module in early.plugin:
        try:
            importlib.import_module(module)
        except Exception as exc:
            print(f"minee: error: --plugin {module}: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
            return 2
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from .diagnostics import MineeWarning
    from .memory import retain_freed_memory

    # The commands print each estimate's diagnostics in their report, so the library's
    # MineeWarning would say the same thing twice. The filter is process-wide: right for
    # main(), the program's entry point, whose process ends when it returns.
    warnings.simplefilter("ignore", MineeWarning)
    # likewise the process's allocator: large training buffers are reused, not re-mapped
    retain_freed_memory()
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"minee {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # library or OS, expected or not: one line, not a traceback
        if args.debug:
            raise
        print(f"minee {args.command}: error: {_message(exc)}", file=sys.stderr)
        return 2


def _plugin_parser() -> argparse.ArgumentParser:
    """A parser of ``--plugin`` alone, read before the full command line."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--plugin", action="append", default=[])
    return early


def _message(exc: Exception) -> str:
    """One line for an error; unexpected kinds keep their type name (``KeyError: 'x'``).

    ValueError, TypeError and OSError carry messages written for the user ("no such file
    ..."); the type of anything else is part of what went wrong.
    """
    from .data.io import one_line

    text = one_line(exc)
    if isinstance(exc, (ValueError, TypeError, OSError)):
        return text
    name = type(exc).__name__
    return text if text == name else f"{name}: {text}"


if __name__ == "__main__":
    sys.exit(main())
