"""``minee matrix FILE``: mutual information between every pair of columns of a table.

Also home of the options that ``matrix`` and ``relevance`` share (seed, Dask scheduler,
chunking, training length) and of the heatmap the ``--plot`` option draws.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..io import numeric_matrix, read_table, select_columns

__all__ = ["add_parser", "run", "add_shared_options", "shared_options", "numeric_columns",
           "heatmap"]

EXAMPLES = """examples:
  minee matrix data.csv                                 every pair of numeric columns
  minee matrix data.parquet --cols a1:a9 --out mi.csv --plot mi.png
  minee matrix data.csv --scheduler tcp://10.0.0.5:8786 one Dask task per chunk of pairs
"""


def add_shared_options(parser: argparse.ArgumentParser) -> None:
    """Options common to ``matrix`` and ``relevance``."""
    parser.add_argument("--seed", type=int, default=0,
                        help="integer seed; the same seed gives the same numbers locally and "
                             "on a cluster (default: 0)")
    parser.add_argument("--scheduler", metavar="ADDR",
                        help="a Dask scheduler address (tcp://host:8786): run the chunks as "
                             "Dask tasks there; minee must be installed on the workers")
    parser.add_argument("--chunk-size", type=int, metavar="N",
                        help="problems per batched model and per task (default: 16 on CPU, "
                             "256 on a GPU)")
    parser.add_argument("--max-steps", type=int, metavar="N",
                        help="most training steps per chunk (default: the preset's)")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def shared_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`minee.mi_matrix` / :func:`minee.relevance`."""
    options: dict[str, Any] = {"seed": args.seed, "scheduler": args.scheduler,
                               "chunk_size": args.chunk_size, "device": args.device,
                               "progress": not args.quiet}
    if args.max_steps is not None:
        options["max_steps"] = args.max_steps
    return options


def numeric_columns(df: Any, spec: str | None, option: str) -> list[str]:
    """The columns ``spec`` selects, or every numeric column when it is ``None``."""
    import pandas as pd

    if spec is not None:
        return select_columns(df, spec, option=option)
    chosen = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])
              and not pd.api.types.is_bool_dtype(df[c])]
    skipped = [c for c in df.columns if c not in chosen]
    if skipped:
        print(f"minee: leaving out non-numeric column(s) {', '.join(skipped)}",
              file=sys.stderr)
    return chosen


def check_outputs(out: str | None, plot: str | None = None) -> None:
    """Raise ``ValueError`` unless ``--out`` (a CSV) and ``--plot`` can be written."""
    from ..plotting import check_path

    if out and not Path(out).resolve().parent.is_dir():
        raise ValueError(f"cannot write {out}: no such folder")
    if plot:
        check_path(plot)


def heatmap(matrix: Any, path: str | Path) -> None:
    """Save an MI matrix (a square DataFrame, nats) as a heatmap image (PNG, PDF, SVG)."""
    from matplotlib.figure import Figure  # no pyplot: no backend switch, no global state

    labels = [str(c) for c in matrix.columns]
    size = max(4.0, 0.45 * len(labels) + 2)
    fig = Figure(figsize=(size + 1, size), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(matrix.to_numpy(), cmap="viridis", vmin=0)
    ax.set_xticks(range(len(labels)), labels, rotation=90)
    ax.set_yticks(range(len(labels)), labels)
    if len(labels) <= 15:  # numbers stay legible up to about this many cells a side
        for (i, j), value in np.ndenumerate(matrix.to_numpy()):
            if i != j:
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if value < 0.6 * image.norm.vmax else "black")
    fig.colorbar(image, ax=ax, label="mutual information (nats)")
    ax.set_title("pairwise mutual information (diagonal: not defined)")
    fig.savefig(path, dpi=150)


def add_parser(subparsers: Any) -> None:
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
    import pandas as pd

    from ..parallel import mi_matrix

    check_outputs(args.out, args.plot)  # before a long run, not after it
    df = read_table(args.file)
    cols = numeric_columns(df, args.cols, "--cols")
    table = pd.DataFrame(numeric_matrix(df, cols, option="--cols"), columns=cols)
    matrix = mi_matrix(table, **shared_options(args))
    print(matrix.to_string(float_format=lambda v: f"{v:.3f}", na_rep="-"))
    if args.out:
        matrix.to_csv(args.out, float_format="%.6g")
        print(f"wrote {args.out}", file=sys.stderr)
    if args.plot:
        heatmap(matrix, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0
