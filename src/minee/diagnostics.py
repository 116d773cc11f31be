"""Checks that tell a user when an estimate should not be trusted.

Each check returns ``{name: message}``; building an estimate puts them on
``Estimate.diagnostics`` and emits nothing; ``fit`` and the one-call functions raise them
as :class:`MineeWarning` so that they are seen.
"""

from __future__ import annotations

import os
import sys
import types
import warnings
from collections.abc import Sequence

import numpy as np

from .convergence import Z95, RowsMove

__all__ = ["MineeWarning", "data_checks", "training_checks", "still_rising", "settings_checks",
           "shape_checks", "noise_checks", "emit", "collect", "caller_level", "ceiling_checks"]

#: a column with one value this common has an atom: no density, no differential entropy
ATOM_SHARE = 0.05
#: farther than this many robust standard deviations from the median is an outlier (a
#: Student-t with 3 degrees of freedom reaches it in 5,000 rows about once in 20 samples)
OUTLIER_SPREADS = 100.0


class MineeWarning(UserWarning):
    """A diagnostic about an estimate (see ``Estimate.diagnostics``)."""


def data_checks(data: np.ndarray, outside_share: float | None = None, *,
                ranked: bool = False) -> dict[str, str]:
    """Flags about the sample itself, shape (n, D).

    Arguments:
        data: all rows.
        outside_share: share of evaluation rows outside the reference's support.
        ranked: the rows are rank scores (``preprocess="rank"`` or ``"rank-t"``): their
            values are quantiles the transform chose, so none is an outlier.
    """
    flags: dict[str, str] = {}
    n, d = data.shape
    if n < 20 * d:
        flags["too_few_rows"] = (
            f"{n} rows for {d} dimensions (< 20 per dimension): expect a large bias; "
            "collect more samples or reduce the dimension")
    discrete = np.flatnonzero([_atom_share(col) >= ATOM_SHARE for col in data.T])
    if discrete.size:
        flags["discrete"] = (
            f"column(s) {discrete.tolist()} put {ATOM_SHARE:.0%} or more of the rows on one "
            "value: a differential entropy does not exist for data with atoms (discrete or "
            "zero-inflated); read the column as discrete (discrete=True, or the variable's "
            "name in discrete=[...]) or add small noise")
    far = np.array([], dtype=int) if ranked else _outlying(data)
    if far.size:
        flags["outliers"] = (
            f"column(s) {far.tolist()} hold values more than {OUTLIER_SPREADS:g} robust "
            "standard deviations from the median: a Gaussian or uniform reference and the "
            "critics' input scale follow them (the entropy default's Student-t reference "
            "and bounded critics resist them); check those rows, or for mutual "
            "information use a rank transform (the MI default), which they cannot drive")
    if outside_share:
        flags["outside_support"] = (
            f"{outside_share:.1%} of evaluation rows fall outside the uniform reference box "
            "(support condition (6)); use margin > 0 or reference='gaussian'")
    return flags


def _outlying(data: np.ndarray) -> np.ndarray:
    """Columns with a value beyond :data:`OUTLIER_SPREADS` robust standard deviations
    (1.4826 x the median absolute deviation, the normal's sd) from the median."""
    median = np.median(data, axis=0)
    spread = 1.4826 * np.median(np.abs(data - median), axis=0)
    spread = np.where(spread > 0, spread, np.inf)  # atoms are flagged separately
    return np.flatnonzero((np.abs(data - median) / spread).max(axis=0) > OUTLIER_SPREADS)


def _atom_share(col: np.ndarray) -> float:
    """The share of rows on the column's most common value."""
    _, counts = np.unique(col, return_counts=True)
    return float(counts.max()) / col.size


#: below this many evaluations a fit that was not stopped early is flagged ``too_short``:
#: a curve that short cannot show whether it still rises
FEW_EVALUATIONS = 10


def still_rising(curve: np.ndarray) -> float | None:
    """How much a training curve (T,) rose over its last tenth of evaluations (at least
    two), when that is more than 0.01 nats and 1% of its level; else ``None`` (also with
    fewer than :data:`FEW_EVALUATIONS` finite evaluations: see ``too_short``)."""
    tail = curve[np.isfinite(curve)]
    if tail.size < FEW_EVALUATIONS:
        return None
    k = max(2, tail.size // 10)
    rise = float(np.mean(tail[-k:]) - np.mean(tail[-2 * k:-k]))
    return rise if rise > max(0.01, 0.01 * abs(float(np.mean(tail[-k:])))) else None


def training_checks(steps: np.ndarray, curve: np.ndarray, train_value: float,
                    value: float, diverged: int, members: int, stopped_early: bool,
                    heldout: bool) -> dict[str, str]:
    """Flags about the training run.

    Arguments:
        steps: evaluation steps, (T,).
        curve: the member-mean estimate the value is read from, (T,), nats.
        train_value: the final estimate on training rows, nats.
        value: the reported estimate, nats.
        diverged: how many ensemble members diverged.
        members: ensemble size.
        stopped_early: whether held-out early stopping ended the run.
        heldout: whether ``value`` comes from held-out rows.
    """
    flags: dict[str, str] = {}
    if diverged:
        flags["diverged"] = (
            f"{diverged} of {members} ensemble member(s) hit a non-finite loss or estimate "
            "(numerical instability); the last finite estimate was kept. Lower lr.")
    if not stopped_early and np.isfinite(curve).sum() < FEW_EVALUATIONS:
        flags["too_short"] = (
            f"the fit ran {int(steps[-1]) if len(steps) else 0} steps with only "
            f"{int(np.isfinite(curve).sum())} evaluations, too few to tell whether it "
            "converged (a short fit reads an MI low); raise max_steps")
    rise = None if stopped_early else still_rising(curve)
    if rise is not None:
        flags["still_increasing"] = (
            f"the estimate rose by {rise:.3g} nats over the last evaluations and may be "
            "underfit; raise max_steps or lr")
    if heldout and train_value - value > max(0.05, 0.1 * abs(value)):
        flags["overfitting"] = (
            f"the training-row estimate ({train_value:.3g}) is far above the held-out one "
            f"({value:.3g}): the critic memorises the sample; the held-out value is reported")
    return flags


#: Adam learning rates above this throw away what a critic learns (every step moves each
#: weight by about lr); the presets use 1e-4 to 3e-3
HIGH_LR = 0.05


def settings_checks(lr: float) -> dict[str, str]:
    """Flags about settings under which no critic trains, whatever the data (an absurd
    learning rate); the estimate may still look plausible, since it falls back to the
    reference's part (for MI with a Gaussian reference: the Gaussian MI)."""
    if lr <= HIGH_LR:
        return {}
    return {"high_lr": (
        f"lr={lr:g} is far above the learning rates Adam trains these critics with "
        "(1e-4 to 1e-2): each step moves every weight by about lr, so the critics learn "
        "little and the estimate is mostly the reference's part; lower lr")}


def shape_checks(limited: bool, move: RowsMove | None = None,
                 not_elliptical: str | None = None) -> dict[str, str]:
    """Flag an estimate whose reference could not resolve the law's shape on these rows:
    the critics, which must then learn the rest, rarely do (a curved ridge, concentric
    shells).

    Arguments:
        limited: the mixture reached the most components its rows support while still
            gaining (:meth:`minee.training.references.Reference.shape_limited`).
        move: how the reference's reading moved when its rows doubled, against what the
            critics corrected (:class:`minee.convergence.RowsMove`).
        not_elliptical: where the rows are clearly not elliptical while the reference
            is, the test in words
            (:meth:`minee.training.ellipticity.RadiusDirection.reason`).
    """
    reasons = [] if not_elliptical is None else [not_elliptical]
    if limited:
        reasons.append(
            "the mixture reference reached the most components these rows support, and "
            "that size still fitted held-out rows clearly better than the one before")
    if move is not None and move.unsettled:
        reasons.append(move.reason())
    if not reasons:
        return {}
    return {"shape_unresolved": (
        "; ".join(reasons) + ": the law has more shape than the fit resolves on these "
        "rows, and the estimate is likely off (most often an MI low, an entropy high; on "
        "the side the reading moved, where it moved), possibly by more than its interval; "
        "estimate on more rows, or read it with that caution")}


def ceiling_checks(value: float, rows: int, ceiling: float | None = None) -> dict[str, str]:
    """Flag an MI estimate beyond what the data or the bound can show.

    Arguments:
        value: the MI estimate, nats.
        rows: the rows it is read on. No distribution-free estimate can certify more than
            ln(rows) nats from them (McAllester and Stratos 2020).
        ceiling: the objective's own upper limit (InfoNCE: ln of its batch), nats.
    """
    flags: dict[str, str] = {}
    if ceiling is not None and value > ceiling - 0.5:
        flags["saturated"] = (
            f"the estimate ({value:.3g} nats) is near the bound's ceiling ln(batch) = "
            f"{ceiling:.3g} nats and may be far below the truth; raise batch_size or use "
            "method='minee'")
    if np.isfinite(value) and value > np.log(rows):
        flags["beyond_sample"] = (
            f"the estimate ({value:.3g} nats) exceeds ln(rows) = {np.log(rows):.3g} nats, "
            "more than any distribution-free estimate can certify from this many rows; "
            "the relation may be (nearly) deterministic: treat the value as a lower bound")
    return flags


def noise_checks(value: float, stderr: float | None, null: float | None = None,
                 null_stderr: float | None = None, *, bias: float = 0.0,
                 reach: float = 0.0) -> dict[str, str]:
    """Flag an (conditional) MI estimate that does not stand out from noise.

    With a permutation null (the estimate on shuffled Y), the estimate is at noise level
    when it is not above the null by 1.96 combined standard errors (the null is estimated
    the same way, so the comparison leaves the bias allowance out); without one, when its
    95% interval (bias allowance and a downward reach included) reaches 0.

    Arguments:
        value, stderr: the estimate and its standard error, nats.
        null, null_stderr: the permutation-null estimate and its standard error, nats.
        bias: the estimate's bias allowance, nats (:func:`minee.estimation.readout.bias_allowance`).
        reach: how much further its interval reaches on one side (:attr:`Estimate.reach`).
    """
    if not np.isfinite(value):
        return {}
    flags: dict[str, str] = {}
    if value < 0:
        # not clipped: averages over repeats or folds would then be biased upwards
        flags["negative"] = (
            f"the estimate ({value:.3g} nats) is below 0, which mutual information cannot "
            "be: read on rows the critics did not train on, an estimate of no dependence "
            "scatters around 0; read it as no evidence of dependence (the value is not "
            "clipped, so that averages over repeats stay unbiased)")
    if stderr is None:
        return flags
    return {**flags, **_noise_level(value, stderr, null, null_stderr, bias, reach)}


def _noise_level(value: float, stderr: float, null: float | None,
                 null_stderr: float | None, bias: float, reach: float) -> dict[str, str]:
    if null is not None and null_stderr is not None and np.isfinite(null):
        margin = Z95 * float(np.hypot(stderr, null_stderr))
        if value - null <= margin:
            return {"noise_level": (
                f"the estimate ({value:.3g} nats) is within {margin:.2g} nats of the "
                f"permutation null ({null:.3g} nats, Y shuffled): no evidence of dependence "
                "at this sample size")}
        return {}
    half = Z95 * float(np.hypot(stderr, bias))
    low = value - half + min(reach, 0.0)
    if low <= 0 and bias > stderr:
        return {"noise_level": (
            f"the estimate ({value:.3g} +- {half:.2g} nats, mostly the allowance for the "
            "critic's bias: its training-row reading is far from the held-out one) is not "
            "distinguishable from 0; pass null=True to compare with a permutation null")}
    if low <= 0:
        return {"noise_level": (
            f"the estimate ({value:.3g} +- {half:.2g} nats) is not distinguishable "
            "from 0 at this sample size; pass null=True for a permutation (shuffled Y) null "
            "level")}
    return {}


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def caller_level() -> int:
    """The ``stacklevel`` that makes a warning raised by the function calling this one
    point at the first frame outside minee: the user's line, however deep inside minee
    (``fit``, a one-call function, the command line) the warning starts."""
    # frame 2 is the raiser's caller, which warnings.warn counts as stacklevel 2
    frame: types.FrameType | None = sys._getframe(2)
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def emit(flags: dict[str, str]) -> None:
    """Raise each flag as a :class:`MineeWarning` at the caller's line (for ``fit`` and
    the one-call functions: building an estimate emits nothing)."""
    for name, message in flags.items():
        warnings.warn(f"{name}: {message}", MineeWarning, stacklevel=caller_level())


def collect(labels: Sequence[str], flags: Sequence[dict[str, str]]) -> dict[str, dict[str, str]]:
    """The non-empty flags of many estimates by label, with one summary warning (rather
    than one per estimate) so that none go unseen."""
    found = {label: f for label, f in zip(labels, flags, strict=True) if f}
    if found:
        names = sorted({name for f in found.values() for name in f})
        warnings.warn(
            f"{len(found)} of {len(labels)} estimates carry diagnostics ({', '.join(names)}); "
            "see .attrs['diagnostics']", MineeWarning, stacklevel=caller_level())
    return found
