"""``minee estimate FILE --x COLS --y COLS [--z COLS]``: MI (or conditional MI) of columns."""

from __future__ import annotations

import argparse
from typing import Any

from .arguments import BUILT_IN_METHODS
from .common import (
    Registry,
    add_training_arguments,
    check_outputs,
    command_parser,
    estimator_options,
    fit_and_report,
    load_columns,
)

__all__ = ["add_parser", "run"]

EXAMPLES = """\
examples:
  minee estimate data.csv --x a1,a2 --y b1,b2
  minee estimate data.parquet --x 0:3 --y 3:6 --ensemble 5 --json
  minee estimate data.tsv --x dose --y response --z age,weight --null
  minee estimate data.npz --x x --y y --plot curves.png --save model.pt --quiet
  minee estimate data.csv --x a --y b --method mine --max-steps 5000 --seed 1

COLS: comma-separated column names, 0-based indices (-1 = last), index ranges START:STOP
(half-open) or name ranges FIRST:LAST (inclusive); in .npz files an array's name selects
all its columns. Write a selection that starts with '-' as --x=-2,-1.
Numbers are in nats. Exit code 2: a problem with the input (missing or unreadable file,
unknown or non-numeric column, empty selection, bad option).
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = command_parser(
        subparsers, "estimate",
        help="mutual information I(X;Y) or I(X;Y|Z) between columns of a file",
        description="Estimate the mutual information I(X;Y), or with --z the conditional MI "
                    "I(X;Y|Z), between column sets of a data file", epilog=EXAMPLES)
    parser.add_argument("--x", required=True, metavar="COLS", help="columns of X")
    parser.add_argument("--y", required=True, metavar="COLS", help="columns of Y")
    parser.add_argument("--z", metavar="COLS", help="columns of Z: estimate I(X;Y|Z)")
    parser.add_argument("--method", default="minee", metavar="NAME",
                        choices=Registry("registry", "METHODS", built_in=BUILT_IN_METHODS),
                        help="minee: entropic (default); mine: product-of-marginals critic; "
                             "infonce: contrastive, at most ln(batch) (no entropies, no --z)")
    parser.add_argument("--null", action="store_true",
                        help="also estimate with Y's rows shuffled: the permutation null "
                             "level (doubles the work)")
    add_training_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Estimate I(X;Y) or I(X;Y|Z), print it, then write --plot / --save."""
    check_outputs(plot=args.plot, save=args.save)  # before the data is read or a step taken
    specs = {"x": args.x, "y": args.y}
    options = estimator_options(args)
    options["null"] = args.null
    if args.z is not None and args.method == "mine":
        raise ValueError("--z (conditional MI) needs --method minee")
    if args.z is not None:
        specs["z"] = args.z
    if args.method == "mine" and "reference" in options:
        raise ValueError("--reference applies to --method minee only (MINE's reference is "
                         "the product of the marginals)")
    arrays, columns, rows = load_columns(args.file, specs)
    # the library (torch, ~1 CPU-s) is imported only now: 'minee --help' and every error
    # in the input above answer without it
    from ..estimation.estimators import CMINEE
    from ..registry import estimator

    cls: Any = CMINEE if args.z is not None else estimator(args.method, method=True)
    return fit_and_report(args, cls(**options), arrays, columns, rows)
