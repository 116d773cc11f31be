"""``minee relevance FILE --target COL``: features ranked by mutual information with a target."""

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
    write_csv,
)
from .table_jobs import drop_default_store, run_kept, store_folder

__all__ = ["add_parser", "run"]

EXAMPLES = """examples:
  minee relevance data.csv --target y                  every other numeric column vs y
  minee relevance data.parquet --target price --features 0:40 --top 10 --out rank.csv
"""


def add_parser(subparsers: Any) -> None:
    """Register ``minee relevance``."""
    parser = subparsers.add_parser(
        "relevance", help="rank features by mutual information with a target",
        description="Mutual information (nats) between each feature and a target column,\n"
                    "most relevant first, with a standard error over evaluation rows.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help="CSV, TSV, Parquet, .npy or .npz file, one row a sample")
    parser.add_argument("--target", required=True, metavar="COL",
                        help="the target column (name or index)")
    parser.add_argument("--features", metavar="COLS",
                        help="feature columns: names, indices or ranges, comma-separated "
                             "(default: every other numeric column)")
    parser.add_argument("--top", type=int, metavar="K", help="show only the K most relevant")
    parser.add_argument("--out", metavar="CSV", help="write the full ranking to this CSV file")
    add_shared_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Rank the features, print the ranking, then write --out."""
    if args.top is not None and args.top < 1:
        raise ValueError(f"--top must be a positive integer, got {args.top}")
    check_outputs(out=args.out)  # before a long run, not after it
    store = store_folder(args)  # --resume and the kept chunks checked before the data is read
    import numpy as np
    import pandas as pd

    from ..data.io import numeric_matrix, read_table, select_columns

    df = read_table(args.file)
    targets = select_columns(df, args.target, option="--target")
    if len(targets) != 1:
        raise ValueError(f"--target selects {len(targets)} columns; give exactly one")
    target = targets[0]
    features = [c for c in numeric_columns(df, args.features, "--features") if c != target]
    if not features:
        raise ValueError("no feature columns left besides the target; check --features")
    values = np.hstack([numeric_matrix(df, features, option="--features"),
                        numeric_matrix(df, [target], option="--target")])
    table = pd.DataFrame(values, columns=[*features, target])
    # the library (torch) only now: 'minee --help' and input errors answer without it
    from .. import relevance  # the public name: where it is defined may move

    ranking = run_kept(args, store, lambda: relevance(table, target, store=store,
                                                     **shared_options(args)))
    frame = pd.DataFrame({"mi_nats": ranking,
                          "stderr": pd.Series(ranking.attrs["stderr"])})
    frame.index.name = "feature"
    shown = frame if args.top is None else frame.head(args.top)
    print(f"target: {target}")
    print(shown.reset_index().to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    sys.stdout.flush()  # the ranking is out before a side write can fail
    report_flags(ranking.attrs.get("diagnostics"))
    if args.out:
        write_csv(frame, args.out)
        drop_default_store(args)
    return 0
