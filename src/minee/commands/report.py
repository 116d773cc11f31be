"""The human-readable report of one estimate, for ``minee estimate`` and ``minee entropy``.

Plain text only: nothing here imports the library, so ``minee --help`` stays fast.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["report_table", "PREPROCESSING"]

#: what each per-column transform means for the reported numbers
PREPROCESSING = {
    "none": "none (the columns as given)",
    "standardize": "standardize (mean 0, sd 1 per column; entropies corrected back to "
                   "the data's scale)",
    "rank": "rank (normal scores per column)",
    "rank-t": "rank-t (Student-t scores per column, the dof of the ranks' t copula)",
}


def report_table(est: Any, path: str, columns: dict[str, list[str]], rows: int, name: str,
                 args: argparse.Namespace, settings: Any = None) -> str:
    """The report of one estimate: value and interval (nats), entropies, how it was made
    (preprocessing, training, the seed that repeats it), diagnostics and written files.

    Arguments:
        est: the :class:`~minee.Estimate`.
        path: the data file.
        columns: per variable (``"x"``, ``"y"``, ``"z"``), its column names.
        rows: rows read from the file.
        name: the estimator's class name.
        args: the command's arguments (``plot``, ``save``).
        settings: the fit's :class:`~minee.settings.Settings` (its ensemble and folds).
    """
    ensemble, folds = (1, 1) if settings is None else (settings.ensemble, settings.folds)
    read = f", {est.rows:,} read" if est.rows is not None and est.rows < rows else ""
    lines = [f"{est.symbol} from {path} ({rows:,} rows{read}, {name}"
             + (f", ensemble {ensemble}" if ensemble > 1 else "")
             + (f", {folds} cross-fitted folds" if folds > 1 else "") + ")"]
    lines += [f"  {var.upper()}: {', '.join(cols)}" for var, cols in columns.items()]
    lines += _values(est, name)
    lines += _how_made(est, name, est.seed)
    lines += _diagnostics_and_files(est, args)
    return "\n".join(lines)


def _row(label: str, value: float, extra: str = "") -> str:
    """One number of the report, in nats."""
    return f"  {label:<10} {value:>10.4f} nats{extra}"


def _values(est: Any, name: str) -> list[str]:
    """The estimate with its interval, the null (when computed) and the entropies (nats)."""
    ci = "" if est.ci is None else (f"   95% CI [{est.ci[0]:.4f}, {est.ci[1]:.4f}]"
                                    f"   stderr {est.stderr:.4f}"
                                    + (f"   bias allowance {est.bias:.4f}" if est.bias else ""))
    lines = [_row(est.symbol, est.value, ci)]
    if est.null is not None:
        lines.append(_row("null", est.null, "   (Y rows shuffled)"))
    for head, value in est.entropies.items():
        if name != "NEE":
            lines.append(_row(f"H({','.join(head.upper())})", value))
    return lines


def _how_made(est: Any, name: str, seed: int | None) -> list[str]:
    """The preprocessing (and what it means for the numbers), the training, the seed."""
    lines = [f"  {'preprocess':<10} {PREPROCESSING.get(est.preprocess, est.preprocess)}"]
    from ..data.preprocessing import RANK_TRANSFORMS  # numpy, scipy: not imported for --help

    # a rank transform is not affine, so no entropy can be corrected back to the data's scale
    if est.preprocess in RANK_TRANSFORMS and (est.entropies or name == "NEE"):
        lines.append("  (the entropy of the transformed columns, not of the data)" if name == "NEE"
                     else "  (MI unchanged; entropies are of the transformed columns, not of "
                          "the data)")
    steps = int(est.history.steps[-1]) if len(est.history.steps) else 0
    lines.append(f"  {'training':<10} {steps} steps, " + (
        "stopped early (no critic improved on the held-out rows)" if est.history.stopped_early
        else "ran to --max-steps"))
    if seed is not None:  # shown so that the run can be repeated (a drawn one too)
        lines.append(f"  {'seed':<10} {seed} (--seed {seed} repeats this run)")
    return lines


def _diagnostics_and_files(est: Any, args: argparse.Namespace) -> list[str]:
    """The diagnostics (each flag and what it means, or none) and the files written."""
    if est.diagnostics:
        lines = ["diagnostics:"]
        lines += [f"  {flag}: {message}" for flag, message in est.diagnostics.items()]
    else:
        lines = ["diagnostics: none"]
    if args.plot:
        lines.append(f"plot: {args.plot}")
    if args.save:
        lines.append(f"model: {args.save}")
    return lines
