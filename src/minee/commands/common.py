"""What the ``minee`` subcommands share: argument types, option groups, reading columns,
fitting and reporting, checking and writing output files.

Every command module imports from here and from the library, never from a sibling command.
The argument types and option groups live in :mod:`minee.commands.arguments`, the output
files' checks and writes in :mod:`minee.commands.outputs`, the report of one estimate in
:mod:`minee.commands.report`; this module reads columns, fits and reports, and re-exports
the rest. Nothing here imports the library, numpy or pandas at module level: ``minee
--help`` builds every parser, and must not pay for torch (seconds) to print a page of text.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from .arguments import (
    Registry,
    add_shared_options,
    add_training_arguments,
    batch_size,
    command_parser,
    estimator_options,
    finite_float,
    positive_int,
    positive_or_auto,
    seed,
    shared_options,
)
from .outputs import check_folder, check_outputs, side_write, write_csv
from .report import report_table

if TYPE_CHECKING:  # type hints only; imported lazily where used
    import numpy as np

__all__ = [
    "seed", "finite_float", "batch_size", "command_parser", "add_training_arguments",
    "estimator_options", "add_shared_options", "shared_options", "load_columns",
    "numeric_columns", "check_outputs", "check_folder", "side_write", "write_csv",
    "fit_and_report", "report_table", "report_flags", "Registry", "positive_int",
    "positive_or_auto",
]


# -- input -----------------------------------------------------------------------------------

def load_columns(path: str, specs: dict[str, str | None],
                 options: dict[str, str] | None = None
                 ) -> tuple[dict[str, np.ndarray], dict[str, list[str]], int]:
    """Read ``path`` and the column sets ``{variable: COLS}``.

    Arguments:
        path: the data file.
        specs: per variable (``"x"``, ``"y"``, ``"z"``), its COLS text (``None``: every
            numeric column).
        options: per variable, the option that gave it, for messages (default ``--x`` for
            ``x``): ``minee entropy`` reads X from ``--cols``.

    Returns:
        ``(arrays, columns, rows)``: per variable a float64 array (n, d) and its column
        names, and n.

    Raises:
        FileNotFoundError, ValueError: a missing or unreadable file, an unknown,
            non-numeric or repeated column, an empty selection.
    """
    from ..data.io import numeric_matrix, read_table

    flag = {var: (options or {}).get(var, f"--{var}") for var in specs}
    df = read_table(path)
    columns = {var: numeric_columns(df, spec, flag[var]) for var, spec in specs.items()}
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

    from ..data.io import select_columns

    if spec is not None:
        return select_columns(df, spec, option=option)
    chosen = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])
              and not pd.api.types.is_bool_dtype(df[c])]
    skipped = [c for c in df.columns if c not in chosen]
    if skipped:
        print(f"minee: leaving out non-numeric column(s) {', '.join(skipped)}",
              file=sys.stderr)
    return chosen


# -- fitting and reporting -------------------------------------------------------------------

def fit_and_report(args: argparse.Namespace, estimator: Any, arrays: dict[str, np.ndarray],
                   columns: dict[str, list[str]], rows: int) -> int:
    """Fit, print the table or JSON, then write ``--save`` and ``--plot``.

    The outputs were checked before (:func:`check_outputs`). The result is printed first so
    that a write that still fails (disk full, a vanished folder) does not lose it, and the
    model is written before the figure, whose drawing can fail on its own (matplotlib
    missing) after the model is safe.
    """
    # MineeWarning is silenced by cli.main: the diagnostics are in the report instead
    estimator.fit(**arrays)
    est = estimator.estimate_
    if args.json:
        print(json.dumps(_json_report(args, estimator, columns, rows), indent=2))
    else:
        print(report_table(est, args.file, columns, rows, type(estimator).__name__, args,
                           settings=estimator.settings_))
    sys.stdout.flush()  # out before a slow or failing side write
    if args.save:
        from ..persistence import save

        side_write(args.save, lambda: save(estimator, args.save))
    if args.plot:
        from ..plotting import plot_history

        side_write(args.plot, lambda: plot_history(est, truth=args.truth, path=args.plot))
    return 0


def _json_report(args: argparse.Namespace, estimator: Any, columns: dict[str, list[str]],
                 rows: int) -> dict[str, Any]:
    """The ``--json`` object: the estimate plus where it came from and how it was made."""
    out = estimator.estimate_.to_dict()
    # settings_: what the fit ran with (batch_size resolved to rows, the seed it used)
    # rows: the file's; rows_read: those the fit read (a subsample above max_rows)
    out.update(file=args.file, rows=rows, rows_read=estimator.estimate_.rows, columns=columns,
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
