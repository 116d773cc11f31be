"""Fits above ``max_rows`` rows read a seeded subsample (minee.settings.row_subsample):
the rows read are reported, repeat with the seed, and the option is validated."""

from __future__ import annotations

import numpy as np
import pytest

import minee
from minee.settings import Seeds, row_subsample
from tests.conftest import QUICK


def gaussian(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 1))
    return x, 0.8 * x + 0.6 * rng.normal(size=(n, 1))


def fit(x: np.ndarray, y: np.ndarray, seed: int = 0, **recipe: object) -> minee.Estimate:
    return minee.mutual_information(x, y, seed=seed, max_steps=QUICK["max_steps"],
                                    advanced={**QUICK["advanced"], **recipe})


def test_a_fit_above_max_rows_reads_a_seeded_subsample_of_that_many() -> None:
    x, y = gaussian(3000)
    capped = fit(x, y, max_rows=1000)
    assert capped.rows == 1000 and capped.to_dict()["rows"] == 1000
    assert fit(x, y, max_rows=1000).value == capped.value  # the same seed, the same rows
    assert fit(x, y, seed=1, max_rows=1000).value != capped.value
    # the subsample is what the fit reads: the same rows given directly, the same estimate
    read = row_subsample(3000, minee.MINEE(seed=0, advanced={"max_rows": 1000})
                         .settings(3000))
    assert read is not None and len(read) == 1000 and np.all(np.diff(read) > 0)
    assert fit(x[read], y[read], max_rows=1000).value == capped.value
    assert fit(x, y, max_rows=None).rows == 3000
    assert fit(x, y).rows == 3000  # below the default cap every row is read


@pytest.mark.parametrize("value", [50, 0, "all", 1.5])
def test_max_rows_is_validated(value: object) -> None:
    x, y = gaussian(200)
    with pytest.raises(ValueError, match="max_rows must be"):
        fit(x, y, max_rows=value)


def test_the_subsample_stream_leaves_the_other_streams_as_they_were() -> None:
    children = np.random.SeedSequence(7).spawn(5)
    seeds = Seeds.from_seed(7)
    assert seeds.split.integers(1 << 30) == np.random.default_rng(children[0]).integers(1 << 30)
    assert seeds.dequantize.random() == np.random.default_rng(children[4]).random()


def test_the_matrix_reads_the_same_subsample_for_every_pair() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=3000)
    table = np.c_[a, a + rng.normal(size=3000), rng.normal(size=3000)]
    matrix = minee.mi_matrix(table, seed=0, max_steps=QUICK["max_steps"],
                             advanced={**QUICK["advanced"], "max_rows": 500})
    values = matrix.to_numpy()
    assert matrix.shape == (3, 3) and np.isfinite(values[~np.eye(3, dtype=bool)]).all()
    assert values[0, 1] > 0.2 > abs(values[0, 2])
