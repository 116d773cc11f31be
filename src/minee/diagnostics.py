"""Checks that tell a user when an estimate should not be trusted.

Each check returns ``{name: message}``; the estimators put them on ``Estimate.diagnostics``
and also raise them as :class:`MineeWarning` so that they are seen.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["MineeWarning", "data_checks", "training_checks", "noise_checks", "emit"]

Z95 = 1.959964  # two-sided 95% normal quantile


class MineeWarning(UserWarning):
    """A diagnostic about an estimate (see ``Estimate.diagnostics``)."""


def data_checks(data: np.ndarray, outside_share: float | None = None) -> dict[str, str]:
    """Flags about the sample itself, shape (n, D).

    Arguments:
        data: all rows.
        outside_share: share of evaluation rows outside the reference's support.
    """
    flags: dict[str, str] = {}
    n, d = data.shape
    if n < 20 * d:
        flags["too_few_rows"] = (
            f"{n} rows for {d} dimensions (< 20 per dimension): expect a large bias; "
            "collect more samples or reduce the dimension")
    unique_share = np.array([np.unique(col).size / n for col in data.T])
    discrete = np.flatnonzero(unique_share < 0.5)
    if discrete.size:
        flags["discrete"] = (
            f"column(s) {discrete.tolist()} repeat values (fewer than half unique): a "
            "differential entropy does not exist for discrete data; add small noise "
            "(dequantise) or use a discrete estimator")
    if outside_share:
        flags["outside_support"] = (
            f"{outside_share:.1%} of evaluation rows fall outside the uniform reference box "
            "(support condition (6)); use margin > 0 or reference='gaussian'")
    return flags


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
    finite = np.isfinite(curve)
    if not stopped_early and finite.sum() >= 10:
        tail = curve[finite]
        k = max(2, tail.size // 10)
        rise = np.mean(tail[-k:]) - np.mean(tail[-2 * k:-k])
        if rise > max(0.01, 0.01 * abs(np.mean(tail[-k:]))):
            flags["still_increasing"] = (
                f"the estimate rose by {rise:.3g} nats over the last evaluations and may be "
                "underfit; raise max_steps or lr")
    if heldout and train_value - value > max(0.05, 0.1 * abs(value)):
        flags["overfitting"] = (
            f"the training-row estimate ({train_value:.3g}) is far above the held-out one "
            f"({value:.3g}): the critic memorises the sample; the held-out value is reported")
    return flags


def noise_checks(value: float, stderr: float | None, null: float | None = None,
                 null_stderr: float | None = None) -> dict[str, str]:
    """Flag an (conditional) MI estimate that does not stand out from noise.

    With a permutation null (the estimate on shuffled Y), the estimate is at noise level
    when it is not above the null by 1.96 combined standard errors; without one, when its
    95% interval reaches 0.

    Arguments:
        value, stderr: the estimate and its standard error, nats.
        null, null_stderr: the permutation-null estimate and its standard error, nats.
    """
    if stderr is None or not np.isfinite(value):
        return {}
    if null is not None and null_stderr is not None and np.isfinite(null):
        margin = Z95 * float(np.hypot(stderr, null_stderr))
        if value - null <= margin:
            return {"noise_level": (
                f"the estimate ({value:.3g} nats) is within {margin:.2g} nats of the "
                f"permutation null ({null:.3g} nats, Y shuffled): no evidence of dependence "
                "at this sample size")}
        return {}
    if value - Z95 * stderr <= 0:
        return {"noise_level": (
            f"the estimate ({value:.3g} +- {Z95 * stderr:.2g} nats) is not distinguishable "
            "from 0 at this sample size; pass null=True for a permutation (shuffled Y) null "
            "level")}
    return {}


def emit(flags: dict[str, str]) -> None:
    """Raise each flag as a :class:`MineeWarning`."""
    for name, message in flags.items():
        warnings.warn(f"{name}: {message}", MineeWarning, stacklevel=3)
