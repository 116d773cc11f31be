"""Discrete and mixed columns: integer codes plus uniform noise leave the MI exact."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import minee
from minee.data.discrete import dequantize, discrete_columns


def _sign_bits(rho: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Sign bits of two standard normals with correlation rho, and their MI (nats):
    P(both positive) = 1/4 + arcsin(rho) / (2 pi) (Sheppard)."""
    z = np.random.default_rng(seed).multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    same = 0.25 + math.asin(rho) / (2 * math.pi)
    p = np.array([same, 0.5 - same, 0.5 - same, same])
    return (z[:, 0] > 0).astype(int), (z[:, 1] > 0).astype(int), float((p * np.log(4 * p)).sum())


def test_dequantising_keeps_each_value_recoverable() -> None:
    values = np.array([[3.5, 0.1], [-1.0, 0.2], [3.5, 0.3], [7.0, 0.4]])
    out = dequantize(values, (0,), np.random.default_rng(0))
    assert np.floor(out[:, 0]).tolist() == [1, 0, 1, 2]  # codes in sorted order
    assert np.all((out[:, 0] % 1 >= 0) & (out[:, 0] % 1 < 1))
    assert np.array_equal(out[:, 1], values[:, 1])  # other columns untouched
    again = dequantize(values, (0,), np.random.default_rng(0))
    assert np.array_equal(out, again)


def test_which_columns_are_discrete() -> None:
    rng = np.random.default_rng(0)
    sample = np.column_stack([rng.integers(3, size=100), rng.normal(size=100),
                              rng.integers(60, size=100)])
    widths = {"x": 1, "y": 2}
    assert discrete_columns(sample, widths, "auto") == (0,)  # 60 values in 100 rows: not
    assert discrete_columns(sample, widths, True) == (0, 1, 2)
    assert discrete_columns(sample, widths, False) == ()
    assert discrete_columns(sample, widths, ("y",)) == (1, 2)
    with pytest.raises(ValueError, match="not a variable"):
        discrete_columns(sample, widths, ("z",))
    with pytest.raises(TypeError, match="list of variable names"):
        minee.mutual_information(sample[:, :1], sample[:, 1:], discrete="yes", seed=0)


def test_the_mi_of_sign_bits_is_right() -> None:
    x, y, truth = _sign_bits(0.95, 5000, seed=0)  # truth 0.366 nats
    est = minee.mutual_information(x, y, seed=0)
    assert est.discrete == (0, 1)
    assert abs(est.value - truth) < 0.02  # seen: 0.355
    assert est.ci[0] <= truth <= est.ci[1]


def test_independent_binary_pairs_contain_zero() -> None:
    rng = np.random.default_rng(3)
    est = minee.mutual_information(rng.integers(2, size=3000), rng.integers(2, size=3000),
                                   seed=0)
    assert est.ci[0] <= 0.0 <= est.ci[1]


def test_an_entropy_reads_discrete_columns_only_when_named(tmp_path: Path) -> None:
    bits = np.random.default_rng(0).integers(2, size=(3000, 2))
    shannon = minee.entropy(bits, seed=0, discrete=True)
    assert shannon.discrete == (0, 1)
    assert abs(shannon.value - math.log(4)) < 0.01  # two fair bits
    raw = minee.entropy(bits, seed=0, max_steps=50)  # "auto": no column read as discrete
    assert raw.discrete == () and "discrete" in raw.diagnostics
    model = minee.NEE(seed=0, discrete=True, max_steps=50).fit(bits)
    minee.save(model, tmp_path / "h.pt")
    assert minee.load(tmp_path / "h.pt").estimate_.discrete == (0, 1)


def test_the_matrix_reads_discrete_columns_as_a_single_mi_does() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, 1500)
    df = pd.DataFrame({"a": a.astype(float), "b": a + rng.normal(size=1500),
                       "c": rng.normal(size=1500)})
    m = minee.mi_matrix(df, seed=0, max_steps=300)
    single = minee.mutual_information(df[["a"]], df[["b"]], seed=0, max_steps=300)
    assert single.discrete == (0,) and single.ci is not None
    assert single.ci[0] <= m.loc["a", "b"] <= single.ci[1]
    assert abs(m.loc["a", "c"]) < 0.05
    assert "a" not in m.attrs["diagnostics"]  # read as discrete, not flagged as such
    off = minee.mi_matrix(df, seed=0, max_steps=300, discrete=False)
    assert "discrete" in off.attrs["diagnostics"]["a"]
