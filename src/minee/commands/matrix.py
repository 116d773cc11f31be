"""``minee matrix FILE``: mutual information between every pair of columns of a table."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import (
    add_shared_options,
    check_outputs,
    numeric_columns,
    report_flags,
    shared_options,
    side_write,
    write_csv,
)
from .table_jobs import drop_default_store, run_kept, store_folder

__all__ = ["add_parser", "run"]

EXAMPLES = """examples:
  minee matrix data.csv                                 every pair of numeric columns
  minee matrix data.parquet --cols a1:a9 --out mi.csv --plot mi.png
  minee matrix data.csv --scheduler tcp://10.0.0.5:8786 one Dask task per chunk of pairs
"""


def add_parser(subparsers: Any) -> None:
    """Register ``minee matrix``."""
    parser = subparsers.add_parser(
        "matrix", help="mutual information between every pair of columns",
        description="Mutual information (nats) between every pair of columns of a table,\n"
                    "by I(Xi;Xj) = H(Xi) + H(Xj) - H(Xi,Xj): each column's entropy is "
                    "learned once,\npairs train in batched chunks. The diagonal is left "
                    "empty (I(X;X) is\ninfinite for a continuous variable).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help="CSV, TSV, Parquet, .npy or .npz file, one row a sample")
    parser.add_argument("--cols", metavar="COLS",
                        help="columns to use: names, indices or ranges, comma-separated "
                             "(default: every numeric column)")
    parser.add_argument("--out", metavar="CSV", help="write the matrix to this CSV file")
    parser.add_argument("--plot", metavar="IMAGE", help="save a heatmap (PNG, PDF, SVG)")
    add_shared_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Estimate the matrix, print it, then write --out and --plot."""
    check_outputs(out=args.out, plot=args.plot)  # before a long run, not after it
    store = store_folder(args)  # --resume and the kept chunks checked before the data is read
    import pandas as pd

    from ..data.io import numeric_matrix, read_table

    df = read_table(args.file)
    cols = numeric_columns(df, args.cols, "--cols")
    table = pd.DataFrame(numeric_matrix(df, cols, option="--cols"), columns=cols)
    # the library (torch) only now: 'minee --help' and input errors answer without it
    from .. import mi_matrix  # the public name: where it is defined may move

    matrix = run_kept(args, store, lambda: mi_matrix(table, store=store,
                                                    **shared_options(args)))
    print(matrix.to_string(float_format=lambda v: f"{v:.3f}", na_rep="-"))
    sys.stdout.flush()  # the matrix is out before a side write can fail
    report_flags(matrix.attrs.get("diagnostics"))
    if args.out:
        write_csv(matrix, args.out)
        drop_default_store(args)
    if args.plot:
        from ..plotting import heatmap

        side_write(args.plot, lambda: heatmap(matrix, args.plot))
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0
