"""The rows check: whether a mixture reference's reading still moves when its fitting rows
double (minee.training.mixture_fit.RowsCheck), how the references report it, and the
``shape_unresolved`` flag it raises where the critics do not make up the move
(minee.diagnostics.shape_checks)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import minee
from minee import diagnostics
from minee.convergence import RowsMove
from minee.estimation.readout import interval
from minee.training.adaptive import Adaptive
from minee.training.edges import Mapped
from minee.training.heldout import split_rows
from minee.training.mixture_fit import (
    RowsCheck,
    fit_mixture,
    mixture_log_density,
    rows_check,
    select_mixture,
)
from tests.conftest import QUICK
from tests.test_shape_references import (
    THREE,
    TWO,
    X_THEN_Y,
    many_modes,
    scipy_mixture_log_density,
    true_mixture_rows,
)

ALL_X_Y = np.array([[True, True], [True, False], [False, True]])


def mi_moves(z: np.ndarray, seed: int) -> np.ndarray:
    """Per held-out row, how much the reference's MI of column 0 and column 1 rose from
    the half-rows fit to the full one, (m,) nats."""
    train, heldout = split_rows(z, seed)
    full = select_mixture(train, heldout, np.random.default_rng(seed)).fit
    gains = rows_check(train, heldout, full, seed).gains(ALL_X_Y)
    return gains[:, 0] - gains[:, 1] - gains[:, 2]


def test_gains_are_the_two_fits_log_density_differences_on_each_column_set() -> None:
    rows = np.random.default_rng(0).normal(size=(50, 2)) * 3
    gains = RowsCheck(rows, TWO, THREE, share=0.8).gains(ALL_X_Y)
    assert gains.shape == (50, 3)
    for h, cols in enumerate(([0, 1], [0], [1])):
        expected = (scipy_mixture_log_density(rows, TWO, cols)
                    - scipy_mixture_log_density(rows, THREE, cols))
        np.testing.assert_allclose(gains[:, h], expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_law_the_mixture_holds_does_not_move_and_one_with_more_modes_does(seed: int
                                                                            ) -> None:
    # three separated modes: 800 rows fit them as well as 1,600 do
    settled = mi_moves(true_mixture_rows(2000, seed), seed)
    assert abs(settled.mean()) < 2 * settled.std() / np.sqrt(len(settled)) + 0.01
    # sixty modes on a circle: 600 rows hold 8 components, 1,200 rows 16
    moving = mi_moves(many_modes(1500, seed), seed)
    assert moving.mean() > 0.1 and moving.mean() > 2 * moving.std() / np.sqrt(len(moving))


def test_without_patience_every_size_is_tried_and_the_best_kept() -> None:
    z = many_modes(1500, 0)
    train, heldout = z[:1200], z[1200:]
    chosen = select_mixture(train, heldout, np.random.default_rng(3), sizes=(1, 2, 4, 8),
                            patience=None)
    rng = np.random.default_rng(3)
    means = [mixture_log_density(heldout, fit_mixture(train, k, rng, tol=1e-3)).mean()
             for k in (1, 2, 4, 8)]
    assert chosen.scores.mean() == pytest.approx(max(means), abs=1e-12)
    assert len(chosen.fit.weights) == (1, 2, 4, 8)[int(np.argmax(means))]


def test_the_half_search_goes_up_to_the_full_fits_size_and_no_further() -> None:
    z = many_modes(1500, 1)
    train, heldout = split_rows(z, 1)
    full = select_mixture(train, heldout, np.random.default_rng(1)).fit
    check = rows_check(train, heldout, full, 1)
    assert len(check.half.weights) <= len(full.weights)
    # a parabola under noise at the default settings: a half search stopping after two
    # sizes without a gain ended at 2 components where the full one reached 16, and the
    # check read +0.73 nats of move that the rows did not make
    rng = np.random.default_rng(1000)
    x = rng.standard_normal(5000)
    y = x**2 + 0.5 * rng.standard_normal(5000)
    est = minee.mutual_information(x, y, seed=0)
    assert est.reach < 0.1 and est.ci[1] < 1.0


def test_a_move_counts_where_it_is_clear_and_the_critics_did_not_make_it_up() -> None:
    assert RowsMove(0.05, 0.01).unsettled and RowsMove(0.05, 0.01).reach == 0.05
    # under a 1/rows bias a fit on 80% of the rows has 0.8 of its move left on all rows
    assert RowsMove(0.05, 0.01, share=0.8).reach == pytest.approx(0.04)
    assert RowsMove(0.05, 0.01, correction=0.02).reach == pytest.approx(0.03)
    # a correction the other way does not shorten the reach
    assert RowsMove(0.05, 0.01, correction=-0.02).reach == 0.05
    # made up by the critics; within noise; too small to matter; no check at all
    for settled in (RowsMove(0.05, 0.01, 0.06), RowsMove(0.05, 0.01, 0.041, share=0.8),
                    RowsMove(0.05, 0.03), RowsMove(0.008, 0.001), RowsMove()):
        assert not settled.unsettled and settled.reach == 0.0
    # an entropy reading that fell: the critics' correction (-D) must fall as far
    assert RowsMove(-0.05, 0.01, correction=-0.02).reach == pytest.approx(-0.03)
    assert not RowsMove(-0.05, 0.01, correction=-0.07).unsettled


def test_shape_checks_name_each_reason_and_the_reach() -> None:
    assert diagnostics.shape_checks(False) == {}
    assert diagnostics.shape_checks(False, RowsMove(0.05, 0.03)) == {}
    message = diagnostics.shape_checks(False, RowsMove(0.05, 0.01))["shape_unresolved"]
    assert "doubled" in message and "+0.05 nats" in message and "reaches +0.05" in message
    both = diagnostics.shape_checks(True, RowsMove(0.05, 0.01))["shape_unresolved"]
    assert "most components" in both and "doubled" in both


def test_a_downward_reach_to_0_is_noise_level() -> None:
    assert diagnostics.noise_checks(0.3, 0.05) == {}
    assert "noise_level" in diagnostics.noise_checks(0.3, 0.05, reach=-0.25)
    assert diagnostics.noise_checks(0.3, 0.05, reach=0.25) == {}


def test_the_interval_reaches_further_on_the_side_of_the_move() -> None:
    low, high = interval(1.0, 0.05, least=0.0)
    assert interval(1.0, 0.05, least=0.0, reach=0.2) == (low, pytest.approx(high + 0.2))
    assert interval(1.0, 0.05, reach=-0.2) == (pytest.approx(low - 0.2), high)
    # an MI interval below 0 still reaches 0; a reach downwards only lowers its low end
    assert interval(-0.3, 0.05, least=0.0, reach=-0.1)[1] == 0.0
    assert interval(-0.3, 0.05, least=0.0, reach=-0.1)[0] == pytest.approx(
        interval(-0.3, 0.05, least=0.0)[0] - 0.1)


def test_only_members_using_a_mixture_carry_a_rows_check() -> None:
    settings = minee.MINEE(seed=0).settings(2000)
    gaussian = np.random.default_rng(0).multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]],
                                                            2000)
    data = torch.tensor(np.stack([gaussian, many_modes(2000, 0), many_modes(2000, 0)]))
    ref = Adaptive.build(data, X_THEN_Y, settings)
    assert ref.chosen.tolist() == [False, True, True]
    assert ref.rows_check(0) is None
    check = ref.rows_check(1)
    assert check is not None and check.gains(ALL_X_Y).shape == (400, 3)
    assert check.share == pytest.approx(0.8)
    # members with the same rows share one check, made once
    assert ref.rows_check(2) is check
    # an edge-mapped reference reports its inner reference's (the maps cancel in the gains)
    assert Mapped(ref, torch.zeros(3, 2, 3, dtype=torch.float64)).rows_check(1) is check
    # the Student-t alone has no such check
    assert Adaptive.build(data[:1], X_THEN_Y, settings).rows_check(0) is None


def test_a_curved_mi_still_moving_with_the_rows_is_flagged_and_a_settled_one_is_not(
        ) -> None:
    x, y = minee.tasks.get("curved", d=3, active=3, mi=1.5, twist=1.0).sample(4000, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        est = minee.mutual_information(x, y, seed=0, **QUICK)
    assert "doubled" in est.diagnostics["shape_unresolved"]
    # its interval reaches up by what is left of the move: longer above the value
    assert est.ci[1] - est.value > est.value - est.ci[0] + 0.01
    assert est.ci[1] - est.value == pytest.approx(est.value - est.ci[0] + est.reach)
    assert est.to_dict()["reach"] == est.reach > 0
    z = true_mixture_rows(1000, 0)
    settled = minee.mutual_information(z[:, :1], z[:, 1:], seed=0, **QUICK)
    assert "shape_unresolved" not in settled.diagnostics and settled.reach == 0.0


def test_an_entropy_still_falling_with_the_rows_reaches_down() -> None:
    est = minee.entropy(many_modes(1500, 0), seed=0, **QUICK)
    assert "doubled" in est.diagnostics["shape_unresolved"]
    assert est.value - est.ci[0] > est.ci[1] - est.value + 0.01


def test_ensembles_nulls_and_conditional_mi_carry_the_check() -> None:
    z = many_modes(1500, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        est = minee.mutual_information(z[:, :1], z[:, 1:], seed=0, ensemble=2, null=True,
                                       **QUICK)
        cmi = minee.conditional_mutual_information(
            z[:, :1], z[:, 1:], np.random.default_rng(1).normal(size=(1500, 1)), seed=0,
            **QUICK)
    assert "doubled" in est.diagnostics["shape_unresolved"] and est.null is not None
    assert est.ci[1] - est.value > est.value - est.ci[0]
    # a conditional MI combines four heads with their signs: it too reads low, reaches up
    assert "doubled" in cmi.diagnostics["shape_unresolved"]
    assert cmi.ci[1] - cmi.value > cmi.value - cmi.ci[0]
