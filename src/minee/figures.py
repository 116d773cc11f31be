"""Plots of reproduced experiments (matplotlib, imported only when a figure is drawn)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["plot_figure"]


def plot_figure(summary: dict[str, Any], path: str | os.PathLike) -> list[str]:
    """Draw a figure like the paper's: smoothed estimate against iterations, one panel per
    method, every seed faint and the median bold, the truth dashed, 90% crossings marked.

    Arguments:
        summary: what :func:`minee.experiments.reproduce` returns (with its ``_curves``).
        path: output path without suffix; ``.png`` and ``.pdf`` are written.

    Returns:
        The written file names.
    """
    # a bare Figure, not pyplot: no backend switch and no global figure state, so a
    # library call leaves the user's open figures and notebook backend alone
    from matplotlib.figure import Figure

    curves, truth = summary["_curves"], summary["truth"]
    methods = summary["methods"]
    fig = Figure(figsize=(4.2 * len(curves), 3.4))
    axes = fig.subplots(1, len(curves), sharey=True, squeeze=False)
    peak = max(float(np.nanmax(c[2], initial=0.0)) for c in curves.values())
    top = min(max(1.3 * truth, 1.05 * peak), 3 * truth)  # overshoots show, blow-ups don't
    low = min(float(np.nanmin(c[2], initial=0.0)) for c in curves.values())
    bottom = max(min(-0.1 * truth, 1.05 * low), -truth)  # the panels share this y range
    for ax, (method, (steps, _raw, smoothed)) in zip(axes[0], curves.items(), strict=True):
        info = methods[method]
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
        ax.set_ylim(bottom, top)
        ax.legend(fontsize=7, loc="lower right")
    axes[0, 0].set_ylabel("smoothed MI estimate (nats)")
    task = summary["task"]
    params = ", ".join(f"{k}={v}" for k, v in task.items() if k != "name")
    fig.suptitle(f"{summary['figure']}: {task['name'].upper()}({params}), "
                 f"N={summary['settings']['n']}", fontsize=10)
    fig.tight_layout()
    names = []
    for ext in ("png", "pdf"):
        name = f"{os.fspath(path)}.{ext}"
        fig.savefig(name, dpi=110)
        names.append(name)
    return names
