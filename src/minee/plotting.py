"""Training-curve figures (the ``plot`` extra: matplotlib, imported only when plotting).

Example:
    >>> est = minee.mutual_information(x, y, seed=0)
    >>> minee.plotting.plot_history(est, truth=0.5 * math.log(2), path="curves.png")
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .estimate import Estimate

__all__ = ["plot_history", "check_path", "FORMATS"]

FORMATS = (".png", ".pdf", ".svg")

def plot_history(estimate: Estimate, *, truth: float | None = None,
                 path: str | os.PathLike[str] | None = None, title: str | None = None) -> Any:
    """Plot an estimate's training curves.

    Top panel: the estimate on training rows and on held-out rows (member means; the
    members' range shaded when ``ensemble > 1``), the reported value with its 95% interval,
    the permutation null level when computed, and ``truth`` when given. Bottom panel: each
    head's learned divergence (training rows solid, held-out dashed).

    Arguments:
        estimate: an :class:`~minee.Estimate`.
        truth: the true value in nats, if known.
        path: write the figure here; the suffix picks the format (``.png``, ``.pdf``,
            ``.svg``).
        title: the figure title (default: the quantity and value).

    Returns:
        The ``matplotlib.figure.Figure`` (built without pyplot, so no window opens and no
        global state changes).

    Raises:
        ImportError: matplotlib is not installed (``pip install minee[plot]``).
        ValueError: an unsupported file suffix.
    """
    if path is not None:
        check_path(path)
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'minee[plot]'") from None

    hist = estimate.history
    label = estimate.symbol
    fig = Figure(figsize=(7, 6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    curves = [("train rows", hist.train, "C0")]
    if hist.heldout is not None:
        curves.append(("held-out rows", hist.heldout, "C1"))
    for name, curve, color in curves:
        _band(top, hist.steps, curve, color, name)
    last = hist.steps[-1] if len(hist.steps) else 0
    top.axhline(estimate.value, color="k", lw=1, label=f"estimate {estimate.value:.4g} nats")
    if estimate.ci is not None:
        top.axhspan(*estimate.ci, color="k", alpha=0.1, lw=0, label="95% interval")
    if estimate.null is not None:
        top.axhline(estimate.null, color="C7", ls=":", label=f"null (Y shuffled) "
                    f"{estimate.null:.3g}")
    if truth is not None:
        top.axhline(truth, color="C3", ls="--", label=f"truth {truth:.4g} nats")
    top.set_ylabel(f"{label} (nats)")
    top.legend(loc="best", fontsize="small")
    for i, (head, curve) in enumerate(hist.divergences.items()):
        bottom.plot(hist.steps, curve, color=f"C{i}", label=f"D[{head}]")
        if head in hist.heldout_divergences:
            bottom.plot(hist.steps, hist.heldout_divergences[head], color=f"C{i}", ls="--")
    bottom.set_xlabel("step" + (" (stopped early)" if hist.stopped_early else ""))
    bottom.set_ylabel("divergence (nats)")
    bottom.set_xlim(0, max(last, 1))
    if hist.divergences:
        bottom.legend(loc="best", fontsize="small", title="solid: train, dashed: held-out"
                      if hist.heldout_divergences else None, title_fontsize="small")
    fig.suptitle(title or f"{label} = {estimate.value:.4g} nats")
    if path is not None:
        fig.savefig(path, dpi=150)
    return fig


def check_path(path: str | os.PathLike[str]) -> None:
    """Raise ``ValueError`` unless a figure can be written to ``path`` (suffix, folder)."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"cannot write a figure as {path.suffix or '(no suffix)'!r}; "
                         f"use one of {', '.join(FORMATS)}")
    if not path.parent.is_dir():
        raise ValueError(f"cannot write a figure to {path}: no such folder")


def _band(ax: Any, steps: np.ndarray, curve: np.ndarray, color: str, label: str) -> None:
    """Member mean of ``curve`` (T, K) as a line, the members' range shaded."""
    finite = np.isfinite(curve)
    if not finite.any():
        return
    masked = np.where(finite, curve, np.nan)
    ax.plot(steps, np.nanmean(masked, axis=1), color=color, label=label)
    if curve.shape[1] > 1:
        ax.fill_between(steps, np.nanmin(masked, axis=1), np.nanmax(masked, axis=1),
                        color=color, alpha=0.2, lw=0)
