"""Cross-fitting (``folds=F``): every row held out by its own critics and read once."""

from __future__ import annotations

import numpy as np
import pytest

import minee
from minee.estimation.readout import pointwise, row_values, stderr
from minee.settings import AUTO_FOLDS, CROSS_FIT_ROWS
from tests.conftest import quick

QUICK = quick()


def row_keys(rows: np.ndarray) -> set[bytes]:
    return {r.tobytes() for r in rows}


def test_each_fold_is_held_out_by_its_own_members_and_trains_the_others() -> None:
    z = np.random.default_rng(0).normal(size=(301, 2)).astype(np.float32)
    est = minee.NEE(folds=3, ensemble=2, seed=0, **quick(preprocess="none")).fit(z)
    engine = est.run_.engine
    held = engine.heldout_rows.numpy()  # (6, 100, 2): member = k * 3 + fold
    train = engine.train_rows.numpy()  # (6, 201, 2)
    assert held.shape == (6, 100, 2) and train.shape == (6, 201, 2)
    folds = [row_keys(held[f]) for f in range(3)]
    assert all(len(f) == 100 for f in folds)
    assert not (folds[0] & folds[1] or folds[0] & folds[2] or folds[1] & folds[2])
    everything = row_keys(est.run_.data[0].astype(np.float32))  # centred: what it read
    for m in range(6):
        assert row_keys(held[m]) == folds[m % 3]  # the ensemble's two members share a fold
        assert row_keys(train[m]) == everything - folds[m % 3]
    assert len(everything - set().union(*folds)) == 1  # 301 mod 3 rows train every member


def test_pointwise_values_run_through_the_folds_in_turn() -> None:
    x, y = np.random.default_rng(1).normal(size=(2, 300, 1))
    est = minee.MINEE(folds=3, ensemble=2, seed=0, **QUICK).fit(x, y)
    values = pointwise(est.run_)
    assert values.shape == (1, 3, 300)
    # the per-row values of fold f are the mean of its two members' (k * 3 + f), on the
    # rows they held out
    c, f = row_values(est.run_)
    per_member = (c - f).numpy()  # (6 members, 3 heads, 100 rows)
    for fold in range(3):
        np.testing.assert_allclose(values[0, :, 100 * fold: 100 * (fold + 1)],
                                   (per_member[fold] + per_member[3 + fold]) / 2, rtol=1e-12)
    assert est.estimate_.members.shape == (6,)


def test_the_sampling_variance_of_a_cross_fitted_mean_reads_every_fold() -> None:
    members, variance = np.array([0.1, 0.1, 0.1]), np.array([0.03, 0.03, 0.03])
    assert stderr(members, variance, folds=3) == pytest.approx(0.1)
    assert stderr(members, variance) == pytest.approx(np.sqrt(0.03))


@pytest.mark.parametrize(("options", "match"), [
    ({"folds": 0}, "folds"),
    ({"folds": 2.5}, "folds"),
    ({"folds": 30}, "fewer folds"),
])
def test_impossible_folds_are_refused(options: dict, match: str) -> None:
    x, y = np.random.default_rng(2).normal(size=(2, 100, 1))
    with pytest.raises((ValueError, TypeError), match=match):
        minee.MINEE(seed=0, **options, **QUICK).fit(x, y)


def test_cross_fitting_reads_independent_blocks_near_zero() -> None:
    # 5 + 5 independent columns, 500 rows: one 70/30 split reads 150 rows with critics
    # overfit to 350 and scatters by +-0.05 nats; two folds read all 500
    for seed in (100, 101):
        gen = np.random.default_rng([seed, 7])
        x, y = gen.normal(size=(500, 5)), gen.normal(size=(500, 5))
        est = minee.mutual_information(x, y, seed=seed, folds=2)
        assert abs(est.value) < 0.03
        assert est.ci[0] <= 0 <= est.ci[1]


def test_auto_folds_cross_fit_small_samples_only() -> None:
    gen = np.random.default_rng(3)
    for n, folds in ((CROSS_FIT_ROWS - 1, AUTO_FOLDS), (CROSS_FIT_ROWS, 1)):
        x, y = gen.normal(size=(2, n, 1))
        est = minee.MINEE(folds="auto", seed=0, **QUICK).fit(x, y)
        assert est.settings_.folds == folds
        assert est.estimate_.members.shape == (folds,)


def test_a_given_val_fraction_asks_for_one_split() -> None:
    assert minee.MINEE().settings(500).folds == AUTO_FOLDS
    assert minee.MINEE(val_fraction=0.2).settings(500).folds == 1
    assert minee.MINEE(val_fraction=0.2, folds=4).settings(500).folds == 4
    assert minee.NEE().settings(500).folds == 1
