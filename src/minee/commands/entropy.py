"""``minee entropy FILE [--cols COLS]``: the differential entropy of columns of a file
(by default all its numeric columns, jointly)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import (
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
  minee entropy data.csv                    # H of all numeric columns together
  minee entropy data.csv --cols a1,a2
  minee entropy data.parquet --cols 0:4 --ensemble 5 --json
  minee entropy data.npy --cols 0 --reference uniform --plot curves.pdf --quiet

COLS: as for 'minee estimate' (names, indices, START:STOP, FIRST:LAST). The entropy is
differential, in nats: it exists for continuous columns only (see the 'discrete'
diagnostic), and --preprocess rank or rank-t changes it (standardize does not: it is corrected for).
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = command_parser(
        subparsers, "entropy", help="differential entropy H(X) of columns of a file",
        description="Estimate the differential entropy H(X) of a column set of a data file",
        epilog=EXAMPLES)
    parser.add_argument("--cols", metavar="COLS",
                        help="columns of X (default: every numeric column)")
    add_training_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Estimate H(X), print it, then write --plot / --save."""
    check_outputs(plot=args.plot, save=args.save)  # before the data is read or a step taken
    options = estimator_options(args)
    # X comes from --cols: messages name that option, not the internal --x
    arrays, columns, rows = load_columns(args.file, {"x": args.cols}, {"x": "--cols"})
    # the library (torch) only now: 'minee --help' and input errors answer without it
    from ..estimation.estimators import NEE

    return fit_and_report(args, NEE(**options), arrays, columns, rows)
