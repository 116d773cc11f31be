"""``minee estimate FILE --x COLS --y COLS [--z COLS]``: MI (or conditional MI) of columns.

Also holds what ``minee entropy`` (and any command that fits one estimator on columns of a
file) shares: :func:`command_parser`, :func:`add_training_arguments`,
:func:`estimator_options`, :func:`load_columns` and :func:`fit_and_report`.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["add_parser", "run", "command_parser", "add_training_arguments",
           "estimator_options", "load_columns", "fit_and_report"]

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
    parser.add_argument("--method", choices=("minee", "mine"), default="minee",
                        help="minee: entropic (default); mine: product-of-marginals critic "
                             "(no entropies, no --z)")
    parser.add_argument("--null", action="store_true",
                        help="also estimate with Y's rows shuffled: the permutation null "
                             "level (doubles the work)")
    add_training_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def command_parser(subparsers: Any, name: str, *, help: str, description: str,
                   epilog: str) -> argparse.ArgumentParser:
    """A subcommand's parser with the FILE argument and the usual description ending."""
    parser = subparsers.add_parser(
        name, help=help, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"{description} (CSV, TSV, Parquet, .npy, .npz), in nats, with a 95% "
                    "confidence interval and diagnostics.")
    parser.add_argument("file", metavar="FILE", help="data file, one row per sample")
    return parser


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by commands that fit one estimator: output, seed and hyperparameters."""
    out = parser.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--plot", metavar="OUT", help="write the training curves (.png, .pdf, .svg)")
    out.add_argument("--truth", type=float, metavar="NATS", help="true value, drawn on --plot")
    out.add_argument("--save", metavar="MODEL",
                     help="write the fitted model (read back with minee.load)")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    hp = parser.add_argument_group("estimator (default: the preset's value)")
    hp.add_argument("--seed", type=int, help="integer seed for reproducible numbers")
    hp.add_argument("--preset", choices=("default", "paper"), default="default")
    hp.add_argument("--ensemble", type=int, default=1, metavar="K",
                    help="train K critics; the estimate is their mean (default 1)")
    hp.add_argument("--preprocess", choices=("none", "standardize", "rank"), default="none",
                    help="per-column transform first; rank keeps MI but changes entropies")
    hp.add_argument("--max-steps", type=int, metavar="N")
    hp.add_argument("--lr", type=float)
    hp.add_argument("--batch-size", type=_batch_size, metavar="N|auto")
    hp.add_argument("--val-fraction", type=float, metavar="F",
                    help="share of rows held out for the estimate and early stopping")
    hp.add_argument("--patience", type=int, metavar="N",
                    help="evaluations without held-out improvement before stopping")
    hp.add_argument("--reference", choices=("uniform", "gaussian"),
                    help="reference distribution (MI-NEE and entropy only)")
    hp.add_argument("--ref-factor", type=float, metavar="F")
    hp.add_argument("--hidden", type=int, metavar="N", help="critic width")
    hp.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")


def estimator_options(args: argparse.Namespace) -> dict[str, Any]:
    """The estimator keyword arguments given on the command line."""
    names = ("seed", "preset", "ensemble", "preprocess", "max_steps", "lr", "batch_size",
             "val_fraction", "patience", "reference", "ref_factor", "hidden", "device")
    options = {name: getattr(args, name) for name in names}
    options["progress"] = not args.quiet
    return {k: v for k, v in options.items() if v is not None}


def load_columns(path: str, specs: dict[str, str]) -> tuple[dict[str, np.ndarray],
                                                            dict[str, list[str]], int]:
    """Read ``path`` and the column sets ``{variable: COLS}``.

    Returns:
        ``(arrays, columns, rows)``: per variable a float64 array (n, d) and its column
        names, and n.

    Raises:
        FileNotFoundError, ValueError: a missing or unreadable file, an unknown,
            non-numeric or repeated column, an empty selection.
    """
    from ..io import numeric_matrix, read_table, select_columns

    df = read_table(path)
    columns = {var: select_columns(df, spec, option=f"--{var}") for var, spec in specs.items()}
    seen: dict[str, str] = {}
    for var, names in columns.items():
        for name in names:
            if name in seen:
                raise ValueError(f"column {name!r} is in both --{seen[name]} and --{var}; "
                                 "each column may belong to one variable")
            seen[name] = var
    arrays = {var: numeric_matrix(df, names, option=f"--{var}")
              for var, names in columns.items()}
    return arrays, columns, len(df)


def fit_and_report(args: argparse.Namespace, estimator: Any, arrays: dict[str, np.ndarray],
                   columns: dict[str, list[str]], rows: int) -> int:
    """Fit, then print the table or JSON and write ``--plot`` / ``--save``."""
    from ..diagnostics import MineeWarning

    # check the outputs first: a typo should not cost a training run
    if args.plot:
        from ..plotting import check_path

        check_path(args.plot)
    if args.save and not Path(args.save).parent.is_dir():
        raise ValueError(f"cannot save the model to {args.save}: no such folder")
    with warnings.catch_warnings():
        # the diagnostics are printed in the report; do not print them twice
        warnings.simplefilter("ignore", MineeWarning)
        estimator.fit(**arrays)
    est = estimator.estimate_
    if args.plot:
        from ..plotting import plot_history

        plot_history(est, truth=args.truth, path=args.plot)
    if args.save:
        from ..persistence import save

        save(estimator, args.save)
    if args.json:
        out = est.to_dict()
        out.update(file=args.file, rows=rows, columns=columns,
                   estimator=type(estimator).__name__, seed=estimator.run_.seed,
                   settings={**estimator.settings(), "batch_size": estimator.engine_.batch,
                             "ensemble": estimator.ensemble,
                             "preprocess": estimator.preprocess},
                   plot=args.plot, model=args.save)
        print(json.dumps(out, indent=2))
    else:
        print(_table(est, args.file, columns, rows, type(estimator).__name__, args))
    return 0


def run(args: argparse.Namespace) -> int:
    from ..api import METHODS
    from ..estimators import CMINEE, MINE

    specs = {"x": args.x, "y": args.y}
    options = estimator_options(args)
    options["null"] = args.null
    if args.z is not None and args.method == "mine":
        raise ValueError("--z (conditional MI) needs --method minee")
    if args.z is not None:
        specs["z"] = args.z
    cls: type = CMINEE if args.z is not None else METHODS[args.method]
    if cls is MINE and "reference" in options:
        raise ValueError("--reference applies to --method minee only (MINE's reference is "
                         "the product of the marginals)")
    arrays, columns, rows = load_columns(args.file, specs)
    return fit_and_report(args, cls(**options), arrays, columns, rows)


def _batch_size(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'auto', got {text!r}"
                                         ) from None


def _table(est: Any, path: str, columns: dict[str, list[str]], rows: int, name: str,
           args: argparse.Namespace) -> str:
    """The human-readable report."""
    quantity = est.symbol
    lines = [f"{quantity} from {path} ({rows:,} rows, {name}"
             + (f", ensemble {est.members.size}" if est.members.size > 1 else "") + ")"]
    lines += [f"  {var.upper()}: {', '.join(cols)}" for var, cols in columns.items()]

    def row(label: str, value: float, extra: str = "") -> str:
        return f"  {label:<10} {value:>10.4f} nats{extra}"

    ci = "" if est.ci is None else (f"   95% CI [{est.ci[0]:.4f}, {est.ci[1]:.4f}]"
                                    f"   stderr {est.stderr:.4f}")
    lines.append(row(quantity, est.value, ci))
    if est.null is not None:
        lines.append(row("null", est.null, "   (Y rows shuffled)"))
    for head, value in est.entropies.items():
        if name != "NEE":
            lines.append(row(f"H({','.join(head.upper())})", value))
    if est.preprocess == "rank" and est.entropies:
        lines.append("  (entropies are of the rank-transformed columns, not of the data)")
    steps = int(est.history.steps[-1]) if len(est.history.steps) else 0
    lines.append(f"  {'training':<10} {steps} steps, " + (
        "stopped early (held-out estimate stopped improving)" if est.history.stopped_early
        else "ran to --max-steps"))
    if est.diagnostics:
        lines.append("diagnostics:")
        lines += [f"  {flag}: {message}" for flag, message in est.diagnostics.items()]
    else:
        lines.append("diagnostics: none")
    if args.plot:
        lines.append(f"plot: {args.plot}")
    if args.save:
        lines.append(f"model: {args.save}")
    return "\n".join(lines)
