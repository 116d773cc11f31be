"""Every figure minee draws (the ``plot`` extra: matplotlib, imported only when plotting).

* :func:`plot_history`: an estimate's training curves (``--plot`` of ``estimate``/``entropy``);
* :func:`heatmap`: a pairwise mutual-information matrix (``--plot`` of ``matrix``);
* :func:`plot_figure`: a reproduced figure of the paper (``minee reproduce``);
* :func:`plot_comparison`: several estimates of one quantity against the truth
  (``--plot`` of ``demo``).

Figures are bare ``matplotlib.figure.Figure`` objects, never pyplot: no backend switch and
no global figure state, so a library call leaves the user's open figures and notebook
backend alone. Files are written atomically (:func:`minee.files.atomic_write`): a failed or
interrupted save leaves no half-written image behind.

Example:
    >>> import numpy as np, minee
    >>> from minee.plotting import plot_history
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 1)); y = x + rng.normal(size=(500, 1))
    >>> est = minee.mutual_information(x, y, seed=0)
    >>> fig = plot_history(est, truth=0.5 * np.log(2))  # path="curves.png" writes a file
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .files import atomic_write, check_writable

if TYPE_CHECKING:  # type hints only: importing the result classes is not needed to plot
    from .results import Estimate

__all__ = ["plot_history", "heatmap", "plot_figure", "plot_comparison", "check_path",
           "save_figure", "FORMATS"]

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
        ValueError: an unsupported file suffix or a path that cannot be written.
    """
    if path is not None:
        check_path(path)
    fig = _figure(figsize=(7, 6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    _estimate_panel(top, estimate, truth)
    hist = estimate.history
    for i, (head, curve) in enumerate(hist.divergences.items()):
        bottom.plot(hist.steps, curve, color=f"C{i}", label=f"D[{head}]")
        if head in hist.heldout_divergences:
            bottom.plot(hist.steps, hist.heldout_divergences[head], color=f"C{i}", ls="--")
    bottom.set_xlabel("step" + (" (stopped early)" if hist.stopped_early else ""))
    bottom.set_ylabel("divergence (nats)")
    bottom.set_xlim(0, max(hist.steps[-1] if len(hist.steps) else 0, 1))
    if hist.divergences:
        bottom.legend(loc="best", fontsize="small", title="solid: train, dashed: held-out"
                      if hist.heldout_divergences else None, title_fontsize="small")
    fig.suptitle(title or f"{estimate.symbol} = {estimate.value:.4g} nats")
    if path is not None:
        save_figure(fig, path, dpi=150)
    return fig


def heatmap(matrix: Any, path: str | os.PathLike[str] | None = None) -> Any:
    """Draw an MI matrix (a square DataFrame, nats) as a heatmap.

    Arguments:
        matrix: what :func:`minee.mi_matrix` returns (NaN diagonal).
        path: write the figure here (``.png``, ``.pdf``, ``.svg``).

    Returns:
        The ``matplotlib.figure.Figure``.

    Raises:
        ImportError: matplotlib is not installed.
        ValueError: an unsupported file suffix or a path that cannot be written.
    """
    if path is not None:
        check_path(path)
    labels = [str(c) for c in matrix.columns]
    values = matrix.to_numpy()
    size = max(4.0, 0.45 * len(labels) + 2)
    fig = _figure(figsize=(size + 1, size), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(values, cmap="viridis", vmin=0)
    ax.set_xticks(range(len(labels)), labels, rotation=90)
    ax.set_yticks(range(len(labels)), labels)
    if len(labels) <= 15:  # numbers stay legible up to about this many cells a side
        for (i, j), value in np.ndenumerate(values):
            if i != j:
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if value < 0.6 * image.norm.vmax else "black")
    fig.colorbar(image, ax=ax, label="mutual information (nats)")
    ax.set_title("pairwise mutual information (diagonal: not defined)")
    if path is not None:
        save_figure(fig, path, dpi=150)
    return fig


def plot_figure(summary: dict[str, Any], path: str | os.PathLike[str]) -> list[str]:
    """Draw a figure like the paper's: smoothed estimate against iterations, one panel per
    method, every seed faint and the median bold, the truth dashed, 90% crossings marked.

    Arguments:
        summary: what :func:`minee.paper.experiments.reproduce` returns (with its ``_curves``).
        path: output path without suffix; ``.png`` and ``.pdf`` are written.

    Returns:
        The written file names.
    """
    curves, truth = summary["_curves"], summary["truth"]
    fig = _figure(figsize=(4.2 * len(curves), 3.4))
    axes = fig.subplots(1, len(curves), sharey=True, squeeze=False)
    peak = max(float(np.nanmax(c[2], initial=0.0)) for c in curves.values())
    top = min(max(1.3 * truth, 1.05 * peak), 3 * truth)  # overshoots show, blow-ups don't
    low = min(float(np.nanmin(c[2], initial=0.0)) for c in curves.values())
    bottom = max(min(-0.1 * truth, 1.05 * low), -truth)  # the panels share this y range
    for ax, (method, (steps, _raw, smoothed)) in zip(axes[0], curves.items(), strict=True):
        _method_panel(ax, summary["methods"][method], steps, smoothed, truth)
        ax.set_ylim(bottom, top)
    axes[0, 0].set_ylabel("smoothed MI estimate (nats)")
    task = summary["task"]
    params = ", ".join(f"{k}={v}" for k, v in task.items() if k != "name")
    fig.suptitle(f"{summary['figure']}: {task['name'].upper()}({params}), "
                 f"N={summary['settings']['n']}", fontsize=10)
    fig.tight_layout()
    names = []
    for ext in ("png", "pdf"):
        name = f"{os.fspath(path)}.{ext}"
        save_figure(fig, name, dpi=110)
        names.append(name)
    return names


def plot_comparison(values: Mapping[str, float], *, truth: float | None = None,
                    intervals: Mapping[str, tuple[float, float]] | None = None,
                    path: str | os.PathLike[str] | None = None, title: str | None = None,
                    unit: str = "nats") -> Any:
    """Dot plot of several estimates of one quantity, one row per method.

    Arguments:
        values: method label -> estimate (nats); drawn top to bottom in this order.
        truth: the true value, drawn as a dashed line, if known.
        intervals: method label -> (low, high) interval, drawn as an error bar (methods
            without one get none).
        path: write the figure here (``.png``, ``.pdf``, ``.svg``).
        title: the figure title.
        unit: the unit on the axis label.

    Returns:
        The ``matplotlib.figure.Figure``.

    Raises:
        ImportError: matplotlib is not installed.
        ValueError: no values, an unsupported file suffix or a path that cannot be written.
    """
    if not values:
        raise ValueError("plot_comparison needs at least one value")
    if path is not None:
        check_path(path)
    intervals = intervals or {}
    labels = list(values)
    fig = _figure(figsize=(6.5, 1.0 + 0.5 * len(labels)), layout="constrained")
    ax = fig.subplots()
    for row, label in enumerate(labels):
        value = values[label]
        if label in intervals:
            low, high = intervals[label]
            ax.errorbar(value, row, xerr=[[value - low], [high - value]], fmt="none",
                        color=f"C{row}", capsize=4, lw=1.5)
        ax.plot(value, row, "o", color=f"C{row}", ms=8)
        ax.annotate(f"{value:.3f}", (value, row), xytext=(0, 7), textcoords="offset points",
                    ha="center", fontsize=8)
    if truth is not None:
        ax.axvline(truth, color="k", ls="--", lw=1, label=f"truth {truth:.4g} {unit}")
        ax.legend(loc="best", fontsize="small")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.4, -0.6)  # first label on top, room for the numbers
    ax.set_xlabel(f"estimate ({unit})")
    if title:
        ax.set_title(title, fontsize=10)
    if path is not None:
        save_figure(fig, path, dpi=150)
    return fig


def check_path(path: str | os.PathLike[str]) -> None:
    """Raise ``ValueError`` unless a figure can be written to ``path``.

    Checks the suffix (one of :data:`FORMATS`) and that a file can be created there (the
    folder exists and is writable), so a typo fails before the work, not after it.
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"cannot write a figure as {path.suffix or '(no suffix)'!r}; "
                         f"use one of {', '.join(FORMATS)}")
    check_writable(path)


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int = 150) -> None:
    """Write ``fig`` to ``path`` atomically, in the format its suffix names."""
    fmt = Path(path).suffix.lower().lstrip(".")
    # savefig into a file handle cannot guess the format from a name: pass it
    with atomic_write(path) as fh:
        fig.savefig(fh, format=fmt, dpi=dpi)


def _figure(**kwargs: Any) -> Any:
    """A bare ``Figure`` (no pyplot), or a clear ImportError without matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'minee[plot]'") from None
    return Figure(**kwargs)


def _estimate_panel(ax: Any, estimate: Estimate, truth: float | None) -> None:
    """The estimate's curves, value, interval, null level and truth on one axis."""
    hist = estimate.history
    curves = [("train rows", hist.train, "C0")]
    if hist.heldout is not None:
        curves.append(("held-out rows", hist.heldout, "C1"))
    for name, curve, color in curves:
        _band(ax, hist.steps, curve, color, name)
    ax.axhline(estimate.value, color="k", lw=1, label=f"estimate {estimate.value:.4g} nats")
    if estimate.ci is not None:
        ax.axhspan(*estimate.ci, color="k", alpha=0.1, lw=0, label="95% interval")
    if estimate.null is not None:
        ax.axhline(estimate.null, color="C7", ls=":", label=f"null (Y shuffled) "
                   f"{estimate.null:.3g}")
    if truth is not None:
        ax.axhline(truth, color="C3", ls="--", label=f"truth {truth:.4g} nats")
    ax.set_ylabel(f"{estimate.symbol} (nats)")
    ax.legend(loc="best", fontsize="small")


def _method_panel(ax: Any, info: dict[str, Any], steps: np.ndarray, smoothed: np.ndarray,
                  truth: float) -> None:
    """One method's panel of a reproduced figure: seeds, median, truth, 90% crossings."""
    ax.plot(steps, smoothed, color="tab:blue", alpha=0.3, lw=0.8)
    ax.plot(steps, np.nanmedian(smoothed, axis=1), color="tab:blue", lw=2,
            label=f"median of {smoothed.shape[1]} seeds")
    ax.axhline(truth, color="k", ls="--", lw=1, label=f"truth {truth:.3f}")
    ax.axhline(0.9 * truth, color="grey", ls=":", lw=1, label="90% of truth")
    for seed in info["seeds"]:
        if seed["reached_90"] is not None:
            ax.plot(seed["reached_90"], 0.9 * truth, "o", color="tab:red", ms=3)
    if info["median_reached_90"] is not None:
        ax.axvline(info["median_reached_90"], color="tab:red", lw=1,
                   label=f"median 90%: {info['median_reached_90']:,.0f}")
    ax.set_title(info["label"])
    ax.set_xlabel("iteration")
    ax.legend(fontsize=7, loc="lower right")


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
