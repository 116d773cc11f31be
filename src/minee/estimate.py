"""Result objects: an estimate in nats, its uncertainty, its curves and its diagnostics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Estimate", "History"]


@dataclass(frozen=True)
class History:
    """Curves recorded during training, one row per evaluation.

    Attributes:
        steps: optimiser step of each evaluation, shape (T,).
        train: estimate on the training rows per ensemble member, shape (T, K), nats.
        heldout: estimate on held-out rows, shape (T, K), or ``None`` without held-out rows.
        divergences: per head name, the training-row divergence averaged over members, (T,).
    """

    steps: np.ndarray
    train: np.ndarray
    heldout: np.ndarray | None = None
    divergences: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def estimate(self) -> np.ndarray:
        """The member-mean curve the estimate is read from (held-out if present), (T,)."""
        curve = self.train if self.heldout is None else self.heldout
        return np.nanmean(curve, axis=1) if np.isfinite(curve).any() else curve[:, 0]

    def to_frame(self) -> Any:
        """The curves as a pandas DataFrame indexed by step (requires pandas)."""
        import pandas as pd

        cols: dict[str, np.ndarray] = {"train": np.nanmean(self.train, axis=1)}
        if self.heldout is not None:
            cols["heldout"] = np.nanmean(self.heldout, axis=1)
        cols.update({f"D_{k}": v for k, v in self.divergences.items()})
        return pd.DataFrame(cols, index=pd.Index(self.steps, name="step"))


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
        members: the estimate of each ensemble member, shape (K,).
        stderr: standard error of ``value`` (``None`` when it cannot be assessed).
        ci: 95% confidence interval ``(low, high)`` or ``None``.
        quantity: what was estimated (``"mutual_information"``, ``"entropy"``, ...).
    """

    value: float
    entropies: dict[str, float]
    divergences: dict[str, float]
    history: History
    diagnostics: dict[str, str]
    members: np.ndarray
    stderr: float | None = None
    ci: tuple[float, float] | None = None
    quantity: str = "mutual_information"

    def __float__(self) -> float:
        return self.value

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (no curves)."""

        def clean(v: float) -> float | None:
            return None if v is None or not math.isfinite(v) else float(v)

        return {
            "quantity": self.quantity,
            "value": clean(self.value),
            "stderr": clean(self.stderr) if self.stderr is not None else None,
            "ci": None if self.ci is None else [clean(self.ci[0]), clean(self.ci[1])],
            "entropies": {k: clean(v) for k, v in self.entropies.items()},
            "divergences": {k: clean(v) for k, v in self.divergences.items()},
            "members": [clean(v) for v in self.members],
            "diagnostics": dict(self.diagnostics),
            "units": "nats",
        }

    def __repr__(self) -> str:
        ci = "" if self.ci is None else f", ci=({self.ci[0]:.4f}, {self.ci[1]:.4f})"
        flags = f", diagnostics={sorted(self.diagnostics)}" if self.diagnostics else ""
        return f"Estimate({self.quantity}={self.value:.4f} nats{ci}{flags})"
