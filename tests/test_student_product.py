"""The fitted Student-t reference as one t per variable where the rows do not show the
variables dependent (minee.training.student_t.fit_member): the test, the densities, the draws and
the corrections."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import torch
from scipy import stats

import minee
import minee.tasks
from minee.training.references import location_scale_fit_gap
from minee.training.student_t import StudentT, fit_member, independence_test

GROUPS = torch.tensor([[1, 1, 0, 0], [0, 0, 1, 1]], dtype=torch.bool)  # X: 2, Y: 2 columns
MASKS = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0]],
                     dtype=torch.bool)


def _independent_and_dependent(n: int = 4000) -> torch.Tensor:
    """(2, n, 4): two independent 2-column t blocks (dof 3 and 6); one 4-column t."""
    x = stats.multivariate_t(shape=np.eye(2), df=3).rvs(n, random_state=0)
    y = stats.multivariate_t(shape=np.eye(2) * 2, df=6).rvs(n, random_state=1)
    joint = stats.multivariate_t(shape=np.eye(4) * 0.5 + 0.5, df=3).rvs(n, random_state=2)
    return torch.tensor(np.stack([np.hstack([x, y]), joint]))


def _gaussian_ratio(z: np.ndarray, dx: int) -> float:
    """The Gaussian log-likelihood gain of the joint fit over the two blocks' (nats)."""
    c = np.cov(z, rowvar=False, bias=True)
    logdet = [np.linalg.slogdet(m)[1] for m in (c, c[:dx, :dx], c[dx:, dx:])]
    return -len(z) / 2 * (logdet[0] - logdet[1] - logdet[2])


def test_the_test_holds_its_level_on_independent_wide_blocks() -> None:
    # 10+10 Gaussian columns, 100 rows: without Box's factor the statistic's null mean is
    # 113 where the chi-squared's is 100, and the test rejects ~1 time in 4
    rng = np.random.default_rng(0)
    tests = [independence_test(_gaussian_ratio(rng.normal(size=(100, 20)), 10), 0.0,
                               [10, 10], 100) for _ in range(400)]
    assert 0.02 < np.mean([statistic > threshold for statistic, threshold in tests]) < 0.09


def test_box_factor_and_count() -> None:
    # two sets: Bartlett's n - (p + 3) / 2; three, by hand: sizes 1, 2, 3 have p = 6,
    # p^2 - sum = 22 (11 cross-scale parameters), p^3 - sum = 180
    statistic, threshold = independence_test(10.0, 0.0, [3, 4], 200)
    assert statistic == pytest.approx(20 * (1 - 10 / 400))
    assert threshold == pytest.approx(stats.chi2.ppf(0.95, 12))
    statistic, threshold = independence_test(10.0, 0.0, [1, 2, 3], 100)
    assert statistic == pytest.approx(20 * (1 - (2 * 180 + 9 * 22) / (6 * 100 * 22)))
    assert threshold == pytest.approx(stats.chi2.ppf(0.95, 11))


def test_weak_dependence_over_wide_blocks_keeps_the_joint_t() -> None:
    # 25+25 dense Gaussian columns with MI 0.12 nats in 500 rows: the critics read it
    # 0.1 nats low from a product reference; the test sees it
    task = minee.tasks.get("gaussian", dx=25, dy=25, kind="dense", strength=0.1)
    x, y = task.sample(500, seed=0)
    groups = [np.arange(50) < 25, np.arange(50) >= 25]
    assert not fit_member(np.hstack([x, y]), groups)[3]
    x, y = minee.tasks.get("independent", dx=25, dy=25, kind="gaussian").sample(500, seed=0)
    assert fit_member(np.hstack([x, y]), groups)[3]


def test_each_member_takes_the_product_only_where_the_variables_look_independent() -> None:
    ref = StudentT(_independent_and_dependent(), GROUPS)
    assert ref.product.tolist() == [True, False]
    dof = ref.variable_dof
    assert 2 < float(dof[0, 0]) < 4.5 and 4 < float(dof[0, 1]) < 10  # each block its own
    assert float(dof[1, 0]) == float(dof[1, 1]) and 2 < float(dof[1, 0]) < 4.5  # joint t
    assert float(ref.scale[0, :2, 2:].abs().max()) == 0.0  # block-diagonal
    column = ref.tails()[2]  # each column its variable's dof
    assert column[0].tolist() == [float(dof[0, 0])] * 2 + [float(dof[0, 1])] * 2
    # without the variables' masks (entropies) there is only the joint t
    assert not bool(StudentT(_independent_and_dependent()).product.any())


def test_a_products_density_is_the_sum_of_its_variables_t_densities() -> None:
    data = _independent_and_dependent()
    ref = StudentT(data, GROUPS)
    value = ref.neg_log_density(data, MASKS)  # (2, H, n)
    parts = [StudentT(data[:1][..., g]) for g in GROUPS]
    for h, mask in enumerate(MASKS):
        expected = sum(part.neg_log_density(data[:1][..., g], mask[g][None])[:, 0]
                       for part, g in zip(parts, GROUPS, strict=True) if bool(mask[g].any()))
        torch.testing.assert_close(value[0, h], expected[0])
    joint = StudentT(data[1:])  # the dependent member reads as the joint t alone
    torch.testing.assert_close(value[1], joint.neg_log_density(data[1:], MASKS)[0])
    correction = ref.fit_correction(MASKS)  # per member: each block's own parameters
    torch.testing.assert_close(correction[1], location_scale_fit_gap(MASKS, 4000))
    torch.testing.assert_close(correction[0], sum(
        location_scale_fit_gap(MASKS & g, 4000) for g in GROUPS))


def _three_variables(n: int = 6000) -> tuple[torch.Tensor, torch.Tensor, list[float]]:
    """(1, n, 5) with variables in columns {1, 3} (dof 2.5), {0} (dof 8) and {2, 4}
    (a Gaussian), independent; their masks (3, 5) and dofs."""
    rng = np.random.default_rng(4)
    z = np.empty((n, 5))
    z[:, [1, 3]] = stats.multivariate_t(shape=[[1, 0.5], [0.5, 1]], df=2.5).rvs(
        n, random_state=rng)
    z[:, 0] = stats.t(df=8).rvs(n, random_state=rng) * 3 + 1
    z[:, [2, 4]] = rng.normal(size=(n, 2)) @ [[1, 0.3], [0, 1]]
    groups = torch.tensor([[0, 1, 0, 1, 0], [1, 0, 0, 0, 0], [0, 0, 1, 0, 1]],
                          dtype=torch.bool)
    return torch.tensor(z[None]), groups, [2.5, 8.0, 1000.0]


def test_three_variables_in_any_columns_each_fit_and_draw_their_own_t() -> None:
    data, groups, dofs = _three_variables()
    ref = StudentT(data, groups)
    assert bool(ref.product[0])
    fitted = ref.variable_dof[0].tolist()
    assert abs(fitted[0] - 2.5) < 0.5 and 5 < fitted[1] < 14 and fitted[2] > 50
    rows = ref.sample(torch.empty(1, 1, 40_000, 5, dtype=torch.float64),
                      torch.Generator().manual_seed(0))[0, 0].numpy()
    for k, column in enumerate((1, 0, 2)):  # one column of each variable: t(its dof)
        law = stats.t(df=fitted[k], loc=float(ref.mean[0, column]),
                      scale=float(ref.scale[0, column, column]) ** 0.5)
        assert stats.kstest(rows[:, column], law.cdf).pvalue > 1e-3
    # each variable draws its own scale variable: the sizes of two are unrelated
    assert abs(stats.spearmanr(np.abs(rows[:, 1]), np.abs(rows[:, 0]))[0]) < 0.03
    assert abs(stats.spearmanr(np.abs(rows[:, 3]), np.abs(rows[:, 1]))[0]) > 0.1  # within
    masks = torch.tensor([[1, 1, 1, 1, 1], [0, 1, 1, 0, 0]], dtype=torch.bool)
    got = ref.neg_log_density(data, masks)[0]
    for h, mask in enumerate(masks):
        expected = sum(StudentT(data[..., g]).neg_log_density(data[..., g], mask[g][None])[0, 0]
                       for g in groups if bool((mask & g).any()))
        torch.testing.assert_close(got[h], expected)


def test_groups_must_cover_each_column_once() -> None:
    data = _independent_and_dependent(200)
    with pytest.raises(ValueError, match="each column in exactly one"):
        StudentT(data, torch.tensor([[1, 1, 0, 0], [0, 1, 1, 1]], dtype=torch.bool))


def test_a_products_variables_draw_their_own_scale() -> None:
    ref = StudentT(_independent_and_dependent(), GROUPS)  # a product and a joint member
    rows = ref.sample(torch.empty(2, 1, 40_000, 4, dtype=torch.float64),
                      torch.Generator().manual_seed(0))[:, 0]
    # a shared scale variable makes the blocks' sizes dependent (rank correlation > 0)
    sizes = [stats.spearmanr(r[:, :2].norm(dim=1), r[:, 2:].norm(dim=1))[0] for r in rows]
    assert abs(sizes[0]) < 0.03 and sizes[1] > 0.2


def test_a_joint_t_draws_as_before() -> None:
    # members that all keep the joint t draw exactly what a reference without the
    # variables' masks draws: the same random stream
    data = _independent_and_dependent()[1:]
    draws = [ref.sample(torch.empty(1, 1, 500, 4, dtype=torch.float64),
                        torch.Generator().manual_seed(3))
             for ref in (StudentT(data, GROUPS), StudentT(data))]
    assert torch.equal(draws[0], draws[1])


@pytest.mark.parametrize("kind", ["student", "gaussian"])
def test_independent_blocks_read_near_zero(kind: str) -> None:
    task = minee.tasks.get("independent", dx=3, dy=3, kind=kind)
    x, y = task.sample(3000, seed=5)
    est = minee.MINEE(seed=5).fit(x, y)
    # the default reference keeps the Student-t here (no mixture describes the rows
    # better), one t per variable
    reference = est.run_.reference
    assert not bool(reference.chosen.any())
    assert bool(reference.student.product.all())
    assert abs(est.mutual_information_) < 0.015


def test_the_critics_read_each_column_with_its_variables_dof() -> None:
    # X heavy-tailed, Y Gaussian, independent (standardised, not rank scores, which would
    # share one dof): the tail map is logarithmic on X's columns only
    x = stats.t(df=2).rvs(size=(2000, 2), random_state=0)
    y = np.random.default_rng(1).normal(size=(2000, 2))
    est = minee.MINEE(max_steps=20, seed=0, advanced={"preprocess": "standardize",
                                                      "min_steps": 0}).fit(x, y)
    root = est.run_.engine.critic.tail_root[0, 0, 0] ** 2  # (D,): each column's dof
    dof = est.run_.reference.student.variable_dof[0]
    torch.testing.assert_close(root, dof[[0, 0, 1, 1]].to(root.dtype))
    assert float(dof[0]) < 5 < 20 < float(dof[1])


def test_identical_members_are_fitted_once() -> None:
    # an ensemble's members share their problem's rows: one fit, the same reference
    data = _independent_and_dependent(1000)
    repeated = data[[0, 0, 1, 0]]
    with mock.patch("minee.training.student_t.fit_member", wraps=fit_member) as fit:
        ref = StudentT(repeated, GROUPS)
    assert fit.call_count == 2
    single = StudentT(data, GROUPS)
    torch.testing.assert_close(ref.scale, single.scale[[0, 0, 1, 0]])
    assert ref.product.tolist() == [True, True, False, True]
