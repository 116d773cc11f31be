"""Rank scores (minee.data.copula): the t copula's degrees of freedom recovered from ranks alone,
the scores' law, and the cases no copula density fits."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import minee
import minee.tasks
from minee.data import copula
from minee.data.preprocessing import transform


def _student(dof: float, seed: int, n: int = 3000) -> np.ndarray:
    x, y = minee.tasks.get("student", dof=dof, dx=2, dy=2, rho=0.4).sample(n, seed=seed)
    return np.hstack([x, y])


@pytest.mark.parametrize(("dof", "seed"), [(1.5, 0), (3.0, 1), (6.0, 2)])
def test_the_copula_dof_of_a_student_t_sample_is_recovered(dof: float, seed: int) -> None:
    fitted = copula.copula_dof(copula.uniform_ranks(_student(dof, seed)))
    assert fitted == pytest.approx(dof, rel=0.3)


def test_gaussian_ranks_fit_a_large_dof() -> None:
    z = np.random.default_rng(0).multivariate_normal(np.zeros(3), np.eye(3) + 0.5, size=3000)
    assert copula.copula_dof(copula.uniform_ranks(z)) > 50


def test_rank_t_depends_on_the_ranks_alone() -> None:
    z = _student(3.0, seed=3, n=800)
    bent = np.column_stack([np.exp(z[:, 0]), z[:, 1] ** 3, np.arcsinh(z[:, 2]), 5 * z[:, 3]])
    scores, log_scale = transform(z, "rank-t")
    np.testing.assert_array_equal(scores, transform(bent, "rank-t")[0])
    assert log_scale is None  # not affine: no entropy is corrected back


def test_student_scores_are_t_quantiles_and_ties_share_one() -> None:
    col = np.array([[3.0], [1.0], [2.0], [2.0], [10.0]])
    u = copula.uniform_ranks(col)
    np.testing.assert_allclose(u.ravel(), [4 / 6, 1 / 6, 2.5 / 6, 2.5 / 6, 5 / 6])
    np.testing.assert_allclose(copula.student_scores(u, 2.5), stats.t.ppf(u, 2.5))
    np.testing.assert_allclose(copula.normal_scores(u), stats.norm.ppf(u))


def test_one_column_or_collinear_columns_get_normal_like_scores() -> None:
    one = np.random.default_rng(1).standard_t(2, size=(500, 1))
    assert copula.copula_dof(copula.uniform_ranks(one)) == copula.DOF_RANGE[1]
    z = np.random.default_rng(2).normal(size=(500, 2))
    twin = np.column_stack([z, 2 * z[:, 0]])
    assert copula.copula_dof(copula.uniform_ranks(twin)) == copula.DOF_RANGE[1]
    with pytest.raises(ValueError, match="linearly related"):  # named by the estimators
        minee.mutual_information(twin[:, :2], twin[:, 2:], seed=0,
                                 advanced={"preprocess": "rank-t"})


def test_rank_t_scores_are_never_flagged_as_outliers() -> None:
    z = _student(1.0, seed=4, n=1000)
    est = minee.mutual_information(z[:, :2], z[:, 2:], seed=0, max_steps=40,
                                   advanced={"preprocess": "rank-t", "min_steps": 0,
                                             "eval_every": 10})
    assert "outliers" not in est.diagnostics
    assert est.preprocess == "rank-t"
