"""What the ``minee`` subcommands share: argument types, option groups, reading columns,
fitting and reporting, checking and writing output files.

Every command module imports from here and from the library, never from a sibling command.
Nothing here imports the library, numpy or pandas at module level: ``minee --help`` builds
every parser, and must not pay for torch (seconds) to print a page of text.

Output files are checked before any work (:func:`check_outputs`, :func:`check_folder`), and
written after the result is printed (:func:`side_write`), atomically, so a failed write
neither costs a training run nor loses its result.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .report import report_table

if TYPE_CHECKING:  # type hints only; imported lazily where used
    import numpy as np

__all__ = [
    "seed", "finite_float", "batch_size", "command_parser", "add_training_arguments",
    "estimator_options", "add_shared_options", "shared_options", "load_columns",
    "numeric_columns", "check_outputs", "check_folder", "side_write", "write_csv",
    "fit_and_report", "report_table", "report_flags",
]

SEED_LIMIT = 2**63  # seeds are stored as int64 (torch and numpy generators take them)


# -- argument types: argparse turns ArgumentTypeError into a usage error (exit 2) ----------

def seed(text: str) -> int:
    """An integer seed in ``[0, 2**63)``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed, got {text!r}") from None
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(
            f"expected a seed from 0 to 2**63 - 1, got {text}")
    return value


def finite_float(text: str) -> float:
    """A finite number: nan and inf are rejected here, not deep inside training."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def batch_size(text: str) -> int | str:
    """An integer (the estimator checks its range) or ``"auto"``."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'auto', got {text!r}"
                                         ) from None


# -- option groups ---------------------------------------------------------------------------

def command_parser(subparsers: Any, name: str, *, help: str, description: str,
                   epilog: str) -> argparse.ArgumentParser:
    """A subcommand's parser with the FILE argument and the usual description ending."""
    parser = subparsers.add_parser(
        name, help=help, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"{description} (CSV, TSV, Parquet, .npy, .npz), in nats, with a 95% "
                    "confidence interval and diagnostics.")
    parser.add_argument("file", metavar="FILE", help="data file, one row per sample")
    return parser


class Registry:
    """Argparse ``choices`` read from one of the library's registries when first needed,
    so that ``minee --help`` does not import torch (which the registries' modules do).
    Give the option a ``metavar``: argparse would otherwise list the choices when the
    parser is built.

    Arguments:
        module: the module under ``minee`` holding the registry.
        table: the registry's name in it (a dict or tuple of names).
        density: keep only references with a known density (entropic estimators).
    """

    def __init__(self, module: str, table: str, *, density: bool = False):
        self.module, self.table, self.density = module, table, density

    def names(self) -> list[str]:
        import importlib

        registry = getattr(importlib.import_module(f"minee.{self.module}"), self.table)
        if self.density:
            return [n for n, entry in registry.items() if entry.has_density]
        return list(registry)

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def positive_int(text: str) -> int:
    """An option's positive integer."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def positive_or_auto(text: str) -> int | str:
    """``--threads``, ``--folds``: ``auto`` or a positive integer."""
    return text if text == "auto" else positive_int(text)


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by commands that fit one estimator: output, seed and hyperparameters."""
    out = parser.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--plot", metavar="OUT", help="write the training curves (.png, .pdf, .svg)")
    out.add_argument("--truth", type=finite_float, metavar="NATS",
                     help="true value, drawn on --plot")
    out.add_argument("--save", metavar="MODEL",
                     help="write the fitted model (read back with minee.load)")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    hp = parser.add_argument_group("estimator (default: the preset's value)")
    hp.add_argument("--seed", type=seed, help="integer seed for reproducible numbers")
    hp.add_argument("--preset", choices=Registry("presets", "PRESETS"), default="default",
                    metavar="NAME", help="default or paper")
    hp.add_argument("--ensemble", type=int, default=1, metavar="K",
                    help="train K critics; the estimate is their mean (default 1)")
    hp.add_argument("--folds", type=positive_or_auto, metavar="F|auto",
                    help="cross-fit: each of F disjoint folds held out by its own critics, "
                         "every row read once (F times the cost)")
    hp.add_argument("--preprocess", choices=Registry("preprocessing", "TRANSFORMS"),
                    default=None, metavar="NAME",
                    help="per-column transform first: none, standardize, rank (normal "
                         "scores) or rank-t (Student-t scores, the dof of the ranks' t "
                         "copula) (default: rank-t for MI, none for entropy); rank and "
                         "rank-t keep MI but change entropies")
    hp.add_argument("--max-steps", type=int, metavar="N")
    hp.add_argument("--lr", type=finite_float)
    hp.add_argument("--batch-size", type=batch_size, metavar="N|auto")
    hp.add_argument("--val-fraction", type=finite_float, metavar="F",
                    help="share of rows held out for the estimate and early stopping")
    hp.add_argument("--patience", type=int, metavar="N",
                    help="evaluations without held-out improvement before stopping")
    hp.add_argument("--reference", choices=Registry("references", "REFERENCES", density=True),
                    metavar="NAME",
                    help="reference distribution with a density: student (default), "
                         "gaussian, uniform, or a registered one (MI-NEE and entropy only)")
    hp.add_argument("--ref-factor", type=finite_float, metavar="F")
    hp.add_argument("--hidden", type=int, metavar="N", help="critic width")
    hp.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    hp.add_argument("--threads", type=positive_or_auto, default="auto", metavar="N|auto",
                    help="torch threads during the fit (default auto: one for small models, "
                         "a count set by OMP_NUM_THREADS kept)")


def estimator_options(args: argparse.Namespace) -> dict[str, Any]:
    """The estimator keyword arguments given on the command line."""
    names = ("seed", "preset", "ensemble", "folds", "preprocess", "max_steps", "lr", "batch_size",
             "val_fraction", "patience", "reference", "ref_factor", "hidden", "device",
             "threads")
    options = {name: getattr(args, name) for name in names}
    options["progress"] = not args.quiet
    return {k: v for k, v in options.items() if v is not None}


def add_shared_options(parser: argparse.ArgumentParser) -> None:
    """Options common to ``matrix`` and ``relevance``."""
    parser.add_argument("--seed", type=seed, default=0,
                        help="integer seed; the same seed gives the same numbers locally and "
                             "on a cluster (default: 0)")
    parser.add_argument("--scheduler", metavar="ADDR",
                        help="a Dask scheduler address (tcp://host:8786): run the chunks as "
                             "Dask tasks there; minee must be installed on the workers")
    parser.add_argument("--timeout", type=finite_float, default=10.0, metavar="SECONDS",
                        help="wait this long for --scheduler to answer (default 10)")
    parser.add_argument("--chunk-size", type=int, metavar="N",
                        help="problems per batched model and per task (default: 16 on CPU, "
                             "256 on a GPU)")
    parser.add_argument("--max-steps", type=int, metavar="N",
                        help="most training steps per chunk (default: the preset's)")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    parser.add_argument("--threads", type=positive_or_auto, default="auto", metavar="N|auto",
                        help="torch threads per chunk (default auto: one for small models)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def shared_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`minee.mi_matrix` / :func:`minee.relevance`."""
    options: dict[str, Any] = {"seed": args.seed, "scheduler": args.scheduler,
                               "chunk_size": args.chunk_size, "device": args.device,
                               "threads": args.threads, "timeout": args.timeout,
                               "progress": not args.quiet}
    if args.max_steps is not None:
        options["max_steps"] = args.max_steps
    return options


# -- input -----------------------------------------------------------------------------------

def load_columns(path: str, specs: dict[str, str], options: dict[str, str] | None = None
                 ) -> tuple[dict[str, np.ndarray], dict[str, list[str]], int]:
    """Read ``path`` and the column sets ``{variable: COLS}``.

    Arguments:
        path: the data file.
        specs: per variable (``"x"``, ``"y"``, ``"z"``), its COLS text.
        options: per variable, the option that gave it, for messages (default ``--x`` for
            ``x``): ``minee entropy`` reads X from ``--cols``.

    Returns:
        ``(arrays, columns, rows)``: per variable a float64 array (n, d) and its column
        names, and n.

    Raises:
        FileNotFoundError, ValueError: a missing or unreadable file, an unknown,
            non-numeric or repeated column, an empty selection.
    """
    from ..io import numeric_matrix, read_table, select_columns

    flag = {var: (options or {}).get(var, f"--{var}") for var in specs}
    df = read_table(path)
    columns = {var: select_columns(df, spec, option=flag[var]) for var, spec in specs.items()}
    seen: dict[str, str] = {}
    for var, names in columns.items():
        for name in names:
            if name in seen:
                raise ValueError(f"column {name!r} is in both {flag[seen[name]]} and "
                                 f"{flag[var]}; each column may belong to one variable")
            seen[name] = var
    arrays = {var: numeric_matrix(df, names, option=flag[var])
              for var, names in columns.items()}
    return arrays, columns, len(df)


def numeric_columns(df: Any, spec: str | None, option: str) -> list[str]:
    """The columns ``spec`` selects, or every numeric column when it is ``None``."""
    import pandas as pd

    from ..io import select_columns

    if spec is not None:
        return select_columns(df, spec, option=option)
    chosen = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])
              and not pd.api.types.is_bool_dtype(df[c])]
    skipped = [c for c in df.columns if c not in chosen]
    if skipped:
        print(f"minee: leaving out non-numeric column(s) {', '.join(skipped)}",
              file=sys.stderr)
    return chosen


# -- output files ----------------------------------------------------------------------------

def check_outputs(out: str | None = None, plot: str | None = None,
                  save: str | None = None) -> None:
    """Raise ``ValueError`` unless each given output file can be written.

    Called before any reading or training: a typo or a read-only folder should not cost a
    run. ``out`` is a table (CSV), ``plot`` a figure (suffix checked too), ``save`` a model.
    """
    from ..files import check_writable

    for path in (out, save):
        if path:
            check_writable(path)
    if plot:
        from ..plotting import check_path

        check_path(plot)


def check_folder(path: str) -> None:
    """Raise ``ValueError`` unless ``path`` is a writable folder or one that can be made."""
    from ..files import check_writable

    folder = Path(path)
    # the nearest part of the path that exists: "." or "/" at the latest
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path.cwd())
    if not existing.is_dir():
        raise ValueError(f"cannot write to {folder}: {existing} is a file, not a folder")
    try:  # a probe file where the outputs, or the first missing folder, would be created
        check_writable(existing / ".minee-write-check")
    except ValueError:
        raise ValueError(f"cannot write to {folder}: cannot create files in {existing}"
                         ) from None


def side_write(path: str, write: Callable[[], object]) -> None:
    """Run ``write()``; on any failure raise ``ValueError`` naming ``path`` (one line)."""
    from ..io import one_line

    try:
        write()
    except Exception as exc:  # OSError, a matplotlib or torch error: all mean "not written"
        message = one_line(exc)
        if str(path) not in message:
            message = f"cannot write {path}: {message}"
        raise ValueError(message) from exc


def write_csv(frame: Any, path: str, float_format: str = "%.6g") -> None:
    """Write a DataFrame to ``path`` as CSV, atomically, and say so on stderr."""
    from ..files import atomic_write

    def write() -> None:
        with atomic_write(path, "w", newline="") as fh:
            frame.to_csv(fh, float_format=float_format)

    side_write(path, write)
    print(f"wrote {path}", file=sys.stderr)


# -- fitting and reporting -------------------------------------------------------------------

def fit_and_report(args: argparse.Namespace, estimator: Any, arrays: dict[str, np.ndarray],
                   columns: dict[str, list[str]], rows: int) -> int:
    """Fit, print the table or JSON, then write ``--plot`` and ``--save``.

    The outputs were checked before (:func:`check_outputs`). The result is printed first so
    that a write that still fails (disk full, a vanished folder) does not lose it.
    """
    # MineeWarning is silenced by cli.main: the diagnostics are in the report instead
    estimator.fit(**arrays)
    est = estimator.estimate_
    if args.json:
        print(json.dumps(_json_report(args, estimator, columns, rows), indent=2))
    else:
        print(report_table(est, args.file, columns, rows, type(estimator).__name__, args,
                           seed=estimator.run_.seed))
    sys.stdout.flush()  # out before a slow or failing side write
    if args.plot:
        from ..plotting import plot_history

        side_write(args.plot, lambda: plot_history(est, truth=args.truth, path=args.plot))
    if args.save:
        from ..persistence import save

        side_write(args.save, lambda: save(estimator, args.save))
    return 0


def _json_report(args: argparse.Namespace, estimator: Any, columns: dict[str, list[str]],
                 rows: int) -> dict[str, Any]:
    """The ``--json`` object: the estimate plus where it came from and how it was made."""
    out = estimator.estimate_.to_dict()
    # settings_: what the fit ran with (batch_size resolved to rows, the seed it used)
    out.update(file=args.file, rows=rows, columns=columns,
               estimator=type(estimator).__name__, seed=estimator.run_.seed,
               settings=estimator.settings_.to_dict(), plot=args.plot, model=args.save)
    return out


def report_flags(flags: dict[str, dict[str, str]] | None, shown: int = 8) -> None:
    """Print the diagnostics of a table of estimates (``.attrs["diagnostics"]``) to stderr.

    The library's summary warning is silenced by ``cli.main``; this says instead which
    estimates carry each flag (the first ``shown`` of them) and what the first one means,
    one line a flag however many columns: on stderr, so that stdout stays the table.
    """
    if not flags:
        return
    by_flag: dict[str, list[str]] = {}
    meaning: dict[str, str] = {}
    for label, found in flags.items():
        for flag, message in found.items():
            by_flag.setdefault(flag, []).append(str(label))
            meaning.setdefault(flag, message)
    print("diagnostics:", file=sys.stderr)
    for flag, labels in by_flag.items():
        more = f" and {len(labels) - shown} more" if len(labels) > shown else ""
        print(f"  {flag} in {', '.join(labels[:shown])}{more}: {meaning[flag]}",
              file=sys.stderr)
