"""The ellipticity test (minee.training.ellipticity) and the ``shape_unresolved`` flag it
raises where an MI is read off a Student-t reference on rows that are not elliptical."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import minee
import minee.tasks
from minee import diagnostics
from minee.data.preprocessing import transform
from minee.training.adaptive import Adaptive
from minee.training.edges import Mapped
from minee.training.ellipticity import (
    ALPHA,
    LEAST_RATIO,
    RadiusDirection,
    can_test,
    learned,
    radius_direction,
    tyler_shape,
)
from minee.training.student_fit import fit_student_t
from minee.training.student_t import StudentT
from tests.conftest import QUICK
from tests.test_shape_references import X_THEN_Y, many_modes


def curved(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian in 15 + 15 columns, each side turned by an angle growing with its norm:
    MI 3 nats, which an elliptical reference reads 0.8 low."""
    return minee.tasks.get("curved", d=15, active=3, mi=3.0, twist=0.4).sample(n, seed=seed)


def scores(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return transform(np.column_stack([x, y]), "rank-t")[0]


def made_on(rows: np.ndarray, seed: int) -> RadiusDirection:
    """The test about the fitted t's centre, as the estimators make it."""
    made = radius_direction(rows, fit_student_t(rows)[0], seed)
    assert made is not None
    return made


def test_tyler_shape_is_the_scatter_up_to_scale_even_under_heavy_tails() -> None:
    rng = np.random.default_rng(0)
    cov = np.array([[2.0, 0.8, 0.0], [0.8, 1.0, -0.3], [0.0, -0.3, 0.5]])
    rows = rng.multivariate_normal(np.zeros(3), cov, 20000)
    rows /= np.sqrt(rng.chisquare(1.5, 20000) / 1.5)[:, None]  # a t with 1.5 dof
    shape = tyler_shape(rows)
    assert np.trace(shape) == pytest.approx(3.0)
    np.testing.assert_allclose(shape, cov * 3 / np.trace(cov), atol=0.05)


@pytest.mark.parametrize("seed", [0, 1])
def test_elliptical_rows_pass_and_curved_ones_do_not(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3000, 6))
    y = 0.6 * x + 0.8 * rng.standard_normal((3000, 6))
    heavy = np.sqrt(rng.chisquare(3, 3000) / 3)[:, None]  # one scale for both: a joint t
    # nearly collinear: a centre off the thin direction would read as a dependence
    close = np.c_[x[:, 0], x[:, 0] + 1e-3 * rng.standard_normal(3000)]
    for rows in (scores(x, y), scores(x / heavy, y / heavy), close):
        made = made_on(rows, seed)
        assert not made.rejects and 0 < made.p <= 1
    made = made_on(scores(*curved(3000, seed)), seed)
    assert made.rejects and made.ratio > 2 * LEAST_RATIO and made.p <= ALPHA
    # the same seed, the same permutations
    assert made_on(scores(x, y), seed) == made_on(scores(x, y), seed)


def test_both_thresholds_must_pass_and_what_cannot_be_tested_is_not() -> None:
    assert RadiusDirection(LEAST_RATIO, ALPHA).rejects
    assert not RadiusDirection(1.2, 0.005).rejects  # what fitting the scatter leaves
    assert not RadiusDirection(3.0, 0.05).rejects  # a large ratio on a few columns
    # critics that moved the reading, either way, learned some of the rest: no flag
    assert RadiusDirection(60.0, 0.005).rejects and not learned(-0.003)
    for moved in (0.6, -0.5):
        assert learned(moved)
    assert not learned(0.0) and not RadiusDirection(1.0, 0.5).rejects
    assert can_test(56, 10) and not can_test(55, 10)
    rng = np.random.default_rng(0)
    assert radius_direction(rng.standard_normal((55, 10)), np.zeros(10), 0) is None
    collinear = np.repeat(rng.standard_normal((500, 1)), 2, axis=1)
    assert radius_direction(collinear, np.zeros(2), 0) is None
    # rows at the centre have no direction and are left out
    rows = np.r_[np.zeros((5, 2)), rng.standard_normal((500, 2))]
    assert radius_direction(rows, np.zeros(2), 0) == radius_direction(rows[5:],
                                                                      np.zeros(2), 0)


def test_only_members_keeping_a_joint_t_have_an_elliptical_centre() -> None:
    settings = minee.MINEE(seed=0).settings(2000)
    rng = np.random.default_rng(0)
    gaussian = rng.multivariate_normal([1, -1], [[1, 0.6], [0.6, 1]], 2000)
    independent = rng.standard_t(2, (2000, 2))
    data = torch.tensor(np.stack([gaussian, many_modes(2000, 0), independent]))
    ref = Adaptive.build(data, X_THEN_Y, settings)
    assert ref.chosen.tolist() == [False, True, False]
    assert bool(ref.student.product[2])
    centre = ref.elliptical_centre(0)
    assert centre is not None and np.allclose(centre, [1, -1], atol=0.1)
    assert ref.elliptical_centre(1) is None and ref.elliptical_centre(2) is None
    # an edge-mapped reference's centre would be on other rows than the data's
    assert Mapped(ref, torch.zeros(3, 2, 3, dtype=torch.float64)).elliptical_centre(0) is None
    # one variable (an entropy's reference) has no dependence to test
    assert StudentT(data[:1]).elliptical_centre(0) is None


def test_the_flag_names_the_test_and_what_the_critics_added() -> None:
    reason = RadiusDirection(2.5, 0.005).reason(-0.002)
    assert "not elliptical" in reason and "2.50 times" in reason and "-0.002" in reason
    flags = diagnostics.shape_checks(False, None, reason)
    assert flags["shape_unresolved"].startswith(reason)


def test_an_mi_off_a_t_on_curved_rows_is_flagged_and_an_elliptical_one_is_not() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        est = minee.mutual_information(*curved(3000, 0), seed=0, **QUICK)
    assert "not elliptical" in est.diagnostics["shape_unresolved"]
    assert est.reach == 0.0  # a flag, no longer interval: nothing sizes the miss
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3000, 10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        fine = minee.mutual_information(x, 0.6 * x + 0.8 * rng.standard_normal((3000, 10)),
                                        seed=0, **QUICK)
    assert "shape_unresolved" not in fine.diagnostics
