"""The classic estimators of ``minee.baselines``: KSG against the scipy k-d tree version in
benchmarks/common.py, the Gaussian estimate against closed forms, input checks."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

import minee.tasks
from minee import baselines
from minee.baselines import gaussian_mi, ksg

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def scipy_ksg() -> Callable[..., float]:
    """``ksg`` of benchmarks/common.py (cKDTree and scipy's digamma)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import common
    finally:
        sys.path.remove(str(BENCHMARKS))
    return common.ksg


def sample(n: int, dx: int, dy: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Continuous (hence tie-free) dependent data: Y = the first columns of X + noise,
    with columns on different scales."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dx)) * np.arange(1, dx + 1)
    y = x[:, :dy].copy() if dy <= dx else rng.normal(size=(n, dy))
    y += rng.standard_t(4, size=(n, dy))
    return x, y


CASES = [(400, 1, 1, 3, 0), (500, 3, 2, 3, 1), (300, 3, 2, 1, 2), (600, 1, 1, 5, 3),
         (250, 2, 3, 4, 4)]


@pytest.mark.parametrize(("n", "dx", "dy", "k", "seed"), CASES)
def test_ksg_equals_the_kd_tree_version(scipy_ksg: Callable[..., float], n: int, dx: int,
                                        dy: int, k: int, seed: int) -> None:
    x, y = sample(n, dx, dy, seed)
    assert ksg(x, y, k, standardize=False) == pytest.approx(scipy_ksg(x, y, k), abs=1e-9)
    # standardize=True is the same estimator on columns scaled to mean 0, sd 1 (ddof 1)
    xs = (x - x.mean(0)) / x.std(0, ddof=1)
    ys = (y - y.mean(0)) / y.std(0, ddof=1)
    assert ksg(x, y, k) == pytest.approx(scipy_ksg(xs, ys, k), abs=1e-9)


def test_chunks_do_not_change_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = sample(300, 2, 2, 5)
    whole = ksg(x, y)
    monkeypatch.setattr(baselines, "CHUNK_ELEMENTS", 7 * 300 + 5)  # 7 rows a chunk
    assert ksg(x, y) == whole


def test_ksg_inputs_and_units() -> None:
    x, y = sample(300, 1, 1, 6)
    value = ksg(x, y)
    # 1-D arrays, lists and tensors are one column each
    assert ksg(x[:, 0], y[:, 0]) == value
    assert ksg(x[:, 0].tolist(), y[:, 0].tolist()) == value
    assert ksg(torch.from_numpy(x).float(), y) == pytest.approx(value, abs=0.02)
    # standardised columns: the answer does not depend on the units
    assert ksg(1000.0 * x, y - 5.0) == pytest.approx(value, abs=1e-9)
    assert ksg(1000.0 * x, y, standardize=False) != pytest.approx(value, abs=1e-3)


def test_ksg_is_near_zero_for_independent_data_and_near_the_truth_in_1d() -> None:
    rng = np.random.default_rng(7)
    assert abs(ksg(rng.normal(size=1000), rng.normal(size=1000))) < 0.03
    task = minee.tasks.get("hg", rho=0.9, d=1)  # I = -ln(1 - 0.81) / 2 = 0.830 nats
    x, y = task.sample(2000, seed=0)
    assert ksg(x, y) == pytest.approx(task.mutual_information, abs=0.05)


def test_gaussian_mi_is_the_closed_form() -> None:
    x, y = sample(400, 1, 1, 8)
    r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
    assert gaussian_mi(x, y) == pytest.approx(-0.5 * math.log(1 - r**2), abs=1e-12)
    assert gaussian_mi(x, y) == pytest.approx(gaussian_mi(y, 3 * x + 1), abs=1e-12)


def test_gaussian_mi_is_close_to_the_truth_on_hg() -> None:
    task = minee.tasks.get("hg", rho=0.9, d=6)
    truth = task.mutual_information  # 4.98 nats
    values = [gaussian_mi(*task.sample(4000, seed=seed)) for seed in range(3)]
    # the sampling sd of this estimate at N = 4000 is about 0.04 nats
    assert abs(np.mean(values) - truth) < 0.1
    assert all(abs(v - truth) < 0.15 for v in values)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: ksg(np.ones((10, 1)), np.ones((9, 1))), ValueError, "same number of rows"),
    (lambda: ksg([[1.0], [math.nan], [2.0]], [1.0, 2.0, 3.0]), ValueError, "NaN"),
    (lambda: ksg(np.zeros((5, 2, 2)), np.zeros(5)), ValueError, r"shape \(N, d\)"),
    (lambda: ksg(np.zeros((5, 0)), np.zeros(5)), ValueError, r"shape \(N, d\)"),
    (lambda: ksg(["a", "b", "c"], [1.0, 2.0, 3.0]), ValueError, "numeric"),
    (lambda: ksg(np.arange(5.0), np.arange(5.0), k=5), ValueError, "k must be from 1"),
    (lambda: ksg(np.arange(5.0), np.arange(5.0), k=0), ValueError, "k must be from 1"),
    (lambda: ksg(np.arange(5.0), np.arange(5.0), k=1.5), TypeError, "k must be an int"),
    (lambda: ksg(np.arange(5.0), np.arange(5.0), k=True), TypeError, "k must be an int"),
    (lambda: ksg(np.ones(5), np.arange(5.0)), ValueError, "column 0 of x is constant"),
    (lambda: ksg([1.0], [1.0]), ValueError, "at least 2 rows"),
    (lambda: gaussian_mi(np.arange(5.0), np.ones(5)), ValueError, "y is constant"),
    (lambda: gaussian_mi(np.arange(5.0), 2 * np.arange(5.0)), ValueError, "singular"),
    (lambda: gaussian_mi(np.random.default_rng(0).normal(size=(3, 3)), np.arange(3.0)),
     ValueError, "singular"),
    # a column equal to another up to rounding: slogdet can still report a positive
    # determinant, the eigenvalues cannot hide it
    (lambda: gaussian_mi(np.column_stack([np.arange(50.0), np.arange(50.0) * (1 + 1e-15)]),
                         np.random.default_rng(1).normal(size=50)), ValueError, "singular"),
])
def test_bad_input_is_refused(call: Callable[[], float], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()
