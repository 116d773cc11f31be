"""Result objects: an estimate in nats, its uncertainty, its curves and its diagnostics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Estimate", "History"]


SYMBOLS = {"mutual_information": "I(X;Y)", "conditional_mutual_information": "I(X;Y|Z)",
           "entropy": "H(X)"}


@dataclass(frozen=True)
class History:
    """Curves recorded during training, one row per evaluation.

    Attributes:
        steps: optimiser step of each evaluation, shape (T,).
        train: estimate on the training rows per ensemble member, shape (T, K), nats.
        heldout: estimate on held-out rows, shape (T, K), or ``None`` without held-out rows.
        divergences: per head name, the training-row divergence averaged over members, (T,).
        heldout_divergences: per head name, the held-out divergence averaged over members,
            (T,); empty without held-out rows.
        stopped_early: whether training ended because no critic improved on the
            held-out rows any more (rather than at ``max_steps``).
    """

    steps: np.ndarray
    train: np.ndarray
    heldout: np.ndarray | None = None
    divergences: dict[str, np.ndarray] = field(default_factory=dict)
    heldout_divergences: dict[str, np.ndarray] = field(default_factory=dict)
    stopped_early: bool = False

    @property
    def estimate(self) -> np.ndarray:
        """The member-mean curve the estimate is read from (held-out if present), (T,)."""
        curve = self.train if self.heldout is None else self.heldout
        if not np.isfinite(curve).any():
            return curve[:, 0]
        return _finite_mean(curve)

    def to_frame(self) -> Any:
        """The curves as a pandas DataFrame indexed by step (requires pandas)."""
        import pandas as pd

        cols: dict[str, np.ndarray] = {"train": _finite_mean(self.train)}
        if self.heldout is not None:
            cols["heldout"] = _finite_mean(self.heldout)
        cols.update({f"D_{k}": v for k, v in self.divergences.items()})
        cols.update({f"D_{k}_heldout": v for k, v in self.heldout_divergences.items()})
        return pd.DataFrame(cols, index=pd.Index(self.steps, name="step"))

    def __repr__(self) -> str:
        # a summary, not the arrays: a fit's history holds hundreds of numbers per curve
        if not len(self.steps):
            return "History(no evaluations)"
        last = self.estimate[-1]
        heads = ", ".join(self.divergences) or "-"
        return (f"History({len(self.steps)} evaluations, steps {int(self.steps[0])}-"
                f"{int(self.steps[-1])}, {self.train.shape[1]} member(s), heads {heads}, "
                f"{'held-out' if self.heldout is not None else 'training'} curve ending at "
                f"{last:.4f}, stopped_early={self.stopped_early}; .to_frame() for the "
                "curves)")


def _finite_mean(curve: np.ndarray) -> np.ndarray:
    """Mean over the finite members of each row of (T, K); NaN where none is finite."""
    finite = np.isfinite(curve)
    count = finite.sum(axis=1)
    total = np.where(finite, curve, 0.0).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


@dataclass(frozen=True)
class Estimate:
    """An information quantity estimated from samples. All numbers are in nats.

    Attributes:
        value: the estimate (mean over finite ensemble members).
        entropies: entropy per variable set (``"x"``, ``"y"``, ``"xy"``, ...) where the
            reference density is known, else empty.
        divergences: the learned Donsker-Varadhan divergence per head.
        history: training curves.
        diagnostics: named warnings about this estimate (name -> message); empty when
            nothing looked wrong.
        members: the estimate of each critic set, shape (K,): the ensemble's members, for
            each fold in turn when cross-fitted (member = k * folds + fold).
        stderr: standard error of ``value`` (``None`` when it cannot be assessed): the
            sampling error of the held-out rows the value is read on, plus the spread of
            the ensemble members (see :meth:`minee.MINEE.fit`). Bias of the critic is not
            in it.
        bias: an allowance for systematic error (a standard deviation, nats): for an MI or
            conditional MI the critic's (:func:`minee.estimation.readout.bias_allowance`),
            for an entropy a share per column
            (:func:`minee.estimation.readout.entropy_allowance`), each calibrated on
            problems with known answers; NaN for a non-finite value.
        ci: 95% interval ``value +- 1.96 sqrt(stderr^2 + bias^2)``, its side in the
            direction of ``reach`` longer by ``|reach|`` (an MI interval lying wholly
            below 0 is stretched up to 0), or ``None``.
        reach: how much further ``ci`` reaches on one side, nats, signed (up where
            positive): where the reference's own reading still moved when its fitting
            rows doubled and the critics did not make up the move (flagged
            ``shape_unresolved``), what a bias falling as 1/rows leaves of it less the
            critics' correction (:class:`minee.convergence.RowsMove`); else 0.
        quantity: what was estimated (``"mutual_information"``, ``"entropy"``, ...).
        null: the same estimator on the sample with Y's rows shuffled (the dependence
            destroyed, the marginals kept), nats: the level an estimate of no dependence
            reaches; ``None`` unless requested with ``null=True``.
        null_stderr: the standard error of ``null``.
        preprocess: the per-column transform applied first (``"none"``, ``"standardize"``,
            ``"rank"``, ``"rank-t"``, ``"edges"``; ``"auto"`` resolved); after a rank
            transform the entropies are those of the transformed data.
        budget: the most optimiser steps the fit was allowed (``max_steps``, or more
            where the recipe's ``extend`` lets a still-rising estimate train on); the steps
            it took are ``history.steps[-1]``.
        seed: the seed the fit used (drawn when the estimator was given ``seed=None``):
            passing it again repeats the estimate.
        discrete: the indices of the columns read as discrete (integer codes plus
            uniform noise; the variables' columns side by side, x's first).
        rows: the rows the estimate read: all of the sample's, or a seeded subsample of
            the recipe's ``max_rows`` (its interval is that of these rows).
    """

    value: float
    entropies: dict[str, float]
    divergences: dict[str, float]
    history: History
    diagnostics: dict[str, str]
    members: np.ndarray
    stderr: float | None = None
    bias: float = 0.0
    ci: tuple[float, float] | None = None
    quantity: str = "mutual_information"
    null: float | None = None
    null_stderr: float | None = None
    preprocess: str = "none"
    budget: int | None = None
    seed: int | None = None
    discrete: tuple[int, ...] = ()
    rows: int | None = None
    reach: float = 0.0

    @property
    def symbol(self) -> str:
        """The quantity in notation: ``"I(X;Y)"``, ``"I(X;Y|Z)"`` or ``"H(X)"``."""
        return SYMBOLS.get(self.quantity, self.quantity)

    def __float__(self) -> float:
        return self.value

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (no curves)."""

        def clean(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else float(v)

        return {
            "quantity": self.quantity,
            "value": clean(self.value),
            "stderr": clean(self.stderr),
            "bias": clean(self.bias),
            "ci": None if self.ci is None else [clean(self.ci[0]), clean(self.ci[1])],
            "reach": clean(self.reach),
            "entropies": {k: clean(v) for k, v in self.entropies.items()},
            "divergences": {k: clean(v) for k, v in self.divergences.items()},
            "members": [clean(v) for v in self.members],
            "diagnostics": dict(self.diagnostics),
            "null": clean(self.null),
            "null_stderr": clean(self.null_stderr),
            "steps": int(self.history.steps[-1]) if len(self.history.steps) else 0,
            "budget": self.budget,
            "seed": self.seed,
            "discrete": list(self.discrete),
            "rows": self.rows,
            "stopped_early": bool(self.history.stopped_early),
            "preprocess": self.preprocess,
            "units": "nats",
        }

    def __repr__(self) -> str:
        ci = "" if self.ci is None else f", ci=({self.ci[0]:.4f}, {self.ci[1]:.4f})"
        null = "" if self.null is None else f", null={self.null:.4f}"
        flags = f", diagnostics={sorted(self.diagnostics)}" if self.diagnostics else ""
        return f"Estimate({self.quantity}={self.value:.4f} nats{ci}{null}{flags})"
