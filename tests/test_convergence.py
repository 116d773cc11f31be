"""Accuracy acceptance with default settings, over 5 seeds (slow: minutes).

Each seed draws its own sample of N = 400 rows and trains with that seed; the check is on
the median relative error of the final answers, the acceptance criterion. Wall time per call
is measured by ``benchmarks/time_to_accuracy.py``, never asserted here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minee
import minee.tasks

SEEDS = range(5)


def _median_relative_error(task: minee.tasks.Task, n: int) -> float:
    errors = []
    for seed in SEEDS:
        x, y = task.sample(n, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", minee.MineeWarning)
            value = minee.mutual_information(x, y, seed=seed).value
        errors.append(abs(value - task.mutual_information) / task.mutual_information)
    return float(np.median(errors))


@pytest.mark.slow
def test_default_mixed_gaussian_within_10_percent() -> None:
    # MG(0.9): I = 0.40844 nats; N = 400 alone makes even a perfect critic ~9% noisy (1 sd)
    assert _median_relative_error(minee.tasks.get("mg", rho=0.9), 400) <= 0.10


@pytest.mark.slow
def test_default_12d_gaussian_within_10_percent() -> None:
    # HG(0.9, 6): I = 4.98219 nats in 12 dimensions, where KSG says ~2.3
    assert _median_relative_error(minee.tasks.get("hg", rho=0.9, d=6), 400) <= 0.10
