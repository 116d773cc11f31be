"""Choices made on held-out rows: the seeded split, and when one model is clearly better.

The default reference, the MI default's preprocessing and the entropies' per-column maps
are each chosen by how likely held-out rows are under the candidates. One split and one
margin serve them all: a candidate replaces the plain choice only where its mean per-row
log-likelihood is higher by more than :data:`MARGIN_SE` standard errors of the paired
per-row difference (a one-sided test at about 2%), so an estimate changes only where the
rows show a reason.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["SELECTION_SHARE", "MARGIN_SE", "split_rows", "clearly_better"]

#: share of a sample's rows held out to choose between models
SELECTION_SHARE = 0.2
#: how many standard errors of the paired per-row difference a candidate must win by
MARGIN_SE = 2.0


def split_rows(z: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded split of the rows ``z`` (n, d) into fitting and scoring rows, 80/20."""
    order = np.random.default_rng(seed).permutation(len(z))
    cut = len(z) - max(1, int(round(SELECTION_SHARE * len(z))))
    return z[np.sort(order[:cut])], z[np.sort(order[cut:])]


def clearly_better(candidate: np.ndarray, baseline: np.ndarray) -> bool:
    """Whether the per-row held-out log-likelihoods ``candidate`` (m,) beat ``baseline``
    (m,), same rows, by more than :data:`MARGIN_SE` standard errors of their difference."""
    diff = candidate - baseline
    if len(diff) < 2:
        return False
    return float(diff.mean()) > MARGIN_SE * float(diff.std(ddof=1)) / math.sqrt(len(diff))
