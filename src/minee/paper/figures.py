"""The paper's experiments as data: each figure's task and settings, the methods it compares.

Shared by :mod:`minee.paper.experiments` (which trains) and :mod:`minee.paper.report` (which
summarises); it imports neither, so both read it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Figure", "FIGURES", "METHODS", "SMOOTHING"]

SMOOTHING = 0.01  # the authors' EMA rate per iteration

#: Method keys in run order, and their labels.
METHODS = {"minee": "MI-NEE", "mine": "MINE", "cross": "MI-NEE then MINE"}


@dataclass(frozen=True)
class Figure:
    """One of the paper's experiments (Section 4, REFERENCE-NOTES).

    Attributes:
        name: ``"fig1"`` or ``"fig2"``.
        task: task name and parameters for :func:`minee.tasks.get`.
        lr: Adam learning rate of every network.
        ref_factor: MI-NEE reference rows as a multiple of the batch (and of N at evaluation).
        steps: the paper's horizon in iterations.
        paper: per method, when the paper's smoothed estimate comes within 10% of the
            truth, as text; ``"note"``: what the paper reports.
    """

    name: str
    task: tuple[str, dict[str, Any]]
    lr: float
    ref_factor: float
    steps: int
    paper: dict[str, Any]
    n: int = 400
    batch_size: int = 100


FIGURES = {
    "fig1": Figure("fig1", ("mg", {"rho": 0.9}), lr=1e-4, ref_factor=10.0, steps=100_000,
                   paper={"minee": "~20,000", "mine": "~70,000",
                          "note": "MI-NEE within 10% near 2e4 iterations; MINE near 7e4"}),
    "fig2": Figure("fig2", ("hg", {"rho": 0.9, "d": 6}), lr=5e-5, ref_factor=300.0,
                   steps=30_000,
                   paper={"minee": "~6,000", "mine": "> 25,000",
                          "note": "MI-NEE within 10% near 6e3; MINE not within 10% by 2.5e4"}),
}
