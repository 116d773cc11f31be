"""Estimates you can trust: intervals, the permutation null, diagnostics, conditional MI and
preprocessing, against ground truth with stated tolerances."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

import minee
import minee.estimation.readout
from minee import tasks
from minee.diagnostics import MineeWarning, noise_checks
from minee.estimation.readout import (
    BIAS_SHARE,
    ENTROPY_BIAS_PER_COLUMN,
    OPTIMISM_SHARE,
    bias_allowance,
    interval,
)
from tests.conftest import quick

QUICK = quick(max_steps=60)


def gaussian_mi_plugin(x: np.ndarray, y: np.ndarray) -> float:
    """The Gaussian MI of a sample's covariance: exact for Gaussian data, nats."""
    cov = np.cov(np.hstack([x, y]), rowvar=False)
    dx = x.shape[1]
    return 0.5 * (np.linalg.slogdet(cov[:dx, :dx])[1] + np.linalg.slogdet(cov[dx:, dx:])[1]
                  - np.linalg.slogdet(cov)[1])


def test_conditional_mi_acceptance() -> None:
    # X = Z + e1, Y = X + Z + e2: I(X;Y|Z) = 0.5 ln 2 = 0.3466 nats
    rng = np.random.default_rng(0)
    z = rng.standard_normal((3000, 1))
    x = z + rng.standard_normal((3000, 1))
    y = x + z + rng.standard_normal((3000, 1))
    est = minee.conditional_mutual_information(x, y, z, seed=0)
    assert est.quantity == "conditional_mutual_information"
    assert abs(est.value - 0.5 * math.log(2)) < 0.1 * 0.3466
    # the four entropies add up to the value
    h = est.entropies
    assert est.value == pytest.approx(h["xz"] + h["yz"] - h["xyz"] - h["z"], abs=1e-9)


# The full call takes ~30 s of CPU here, so the default suite runs it with a
# shorter budget (on Gaussian data the Gaussian reference already carries the answer).
@pytest.mark.parametrize("options", [pytest.param({}, marks=pytest.mark.slow),
                                     {"max_steps": 200}])
def test_ensemble_interval_acceptance(options: dict) -> None:
    task = tasks.get("hg", rho=0.8, d=2)  # I = -ln(1 - 0.64) = 1.0217 nats
    x, y = task.sample(2000, seed=1)
    est = minee.mutual_information(x, y, ensemble=5, seed=0, **options)
    assert est.members.shape == (5,)
    assert est.ci[0] < task.mutual_information < est.ci[1]
    assert est.ci[1] - est.ci[0] < 0.3  # informative, not a blanket interval
    assert isinstance(est.diagnostics, dict)


def test_heldout_cross_entropy_uses_every_row() -> None:
    # Critics that start at f = 0 (init="zero-output") and take one step leave the estimate
    # its cross-entropy part: read on all rows through the control variate it matches the
    # full-sample Gaussian MI far closer than the held-out rows' noise (~0.05).
    x, y = tasks.get("hg", rho=0.6, d=1).sample(1000, seed=3)
    est = minee.mutual_information(x, y, seed=0, val_fraction=0.2, max_steps=1,
                                   advanced={"eval_every": 1, "init": "zero-output"})
    assert abs(est.value - gaussian_mi_plugin(x, y)) < 0.01
    assert 0.005 < est.stderr < 0.05


def test_permutation_null() -> None:
    x, y = tasks.get("hg", rho=0.8, d=1).sample(600, seed=0)
    est = minee.mutual_information(x, y, seed=0, null=True, **QUICK)
    assert abs(est.null) < 0.05 < est.value - 0.3  # truth 0.51; shuffled Y: 0
    assert est.null_stderr > 0 and "noise_level" not in est.diagnostics
    assert est.to_dict()["null"] == pytest.approx(est.null)
    rng = np.random.default_rng(1)
    with pytest.warns(MineeWarning, match="noise_level"):
        flat = minee.mutual_information(x, rng.standard_normal((600, 1)), seed=0, null=True,
                                        **QUICK)
    assert "permutation null" in flat.diagnostics["noise_level"]


def test_noise_level_without_null() -> None:
    rng = np.random.default_rng(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MineeWarning)
        est = minee.mutual_information(rng.standard_normal((500, 2)),
                                       rng.standard_normal((500, 1)), seed=0, **QUICK)
    assert est.null is None
    assert "noise_level" in est.diagnostics


def test_noise_checks_rules() -> None:
    assert noise_checks(0.5, 0.02) == {}
    assert "noise_level" in noise_checks(0.03, 0.02)
    assert noise_checks(0.5, 0.02, null=0.01, null_stderr=0.02) == {}
    assert "noise_level" in noise_checks(0.06, 0.02, null=0.01, null_stderr=0.02)
    assert noise_checks(math.nan, 0.02) == {}


def test_noise_level_counts_the_bias_allowance() -> None:
    """Without a null, noise level means the whole interval (bias allowance included)
    reaches 0; with a null the comparison is of two estimates made the same way, without
    the allowance."""
    assert noise_checks(0.1, 0.01) == {}
    assert "allowance" in noise_checks(0.1, 0.01, bias=0.06)["noise_level"]
    assert "allowance" not in noise_checks(0.03, 0.02, bias=0.01)["noise_level"]
    assert noise_checks(0.1, 0.01, null=0.0, null_stderr=0.01, bias=0.06) == {}


def test_bias_allowance_grows_with_the_value_and_the_training_rows_optimism() -> None:
    assert bias_allowance(0.0, 0.0) == 0.0
    assert bias_allowance(1.0, 1.0) == pytest.approx(BIAS_SHARE)
    assert bias_allowance(-1.0, -1.0) == pytest.approx(BIAS_SHARE)
    assert bias_allowance(0.0, 0.2) == pytest.approx(OPTIMISM_SHARE * 0.2)
    assert bias_allowance(1.0, 1.3) == pytest.approx(math.hypot(BIAS_SHARE, 0.3 * OPTIMISM_SHARE))
    assert bias_allowance(1.0, 0.7) == pytest.approx(bias_allowance(1.0, 1.3))
    assert math.isnan(bias_allowance(math.nan, 0.3))
    assert bias_allowance(0.4, math.nan) == pytest.approx(BIAS_SHARE * 0.4)
    assert interval(1.0, 0.03, bias=0.04) == pytest.approx((1 - 1.96 * 0.05, 1 + 1.96 * 0.05),
                                                         abs=1e-4)


def _fit_quietly(fit: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MineeWarning)
        return fit()


def test_an_mi_interval_carries_the_bias_allowance_and_an_entropy_its_own(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each share enters the estimate's allowance: the value's share alone, then the
    training rows' optimism alone, on small independent samples whose critics overfit."""
    x, y = tasks.get("hg", rho=0.8, d=1).sample(1000, seed=2)
    monkeypatch.setattr(minee.estimation.readout, "OPTIMISM_SHARE", 0.0)
    est = _fit_quietly(lambda: minee.mutual_information(x, y, seed=0, **QUICK))
    assert est.bias == pytest.approx(BIAS_SHARE * abs(est.value), rel=1e-9)
    half = (est.ci[1] - est.ci[0]) / 2
    assert half == pytest.approx(1.959964 * math.hypot(est.stderr, est.bias), rel=1e-6)
    assert est.to_dict()["bias"] == est.bias
    h = _fit_quietly(lambda: minee.entropy(x, seed=0, **QUICK))
    assert h.bias == pytest.approx(ENTROPY_BIAS_PER_COLUMN * 1)  # one column
    assert (h.ci[1] - h.ci[0]) / 2 == pytest.approx(1.959964 * math.hypot(h.stderr, h.bias))

    monkeypatch.setattr(minee.estimation.readout, "BIAS_SHARE", 0.0)
    monkeypatch.setattr(minee.estimation.readout, "OPTIMISM_SHARE", 1.0)
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((300, 6)), rng.standard_normal((300, 6))
    fit = _fit_quietly(lambda: minee.MINEE(seed=0, max_steps=300, folds=1,
                                           advanced={"eval_every": 20, "min_steps": 300}).fit(a, b))
    est = fit.estimate_

    def smoothed(curve: np.ndarray) -> np.ndarray:
        out = [curve[0]]
        for v in curve[1:]:
            out.append(out[-1] + fit.settings_.smoothing * (v - out[-1]))
        return np.array(out)

    # the smoothed training-row reading at the evaluation the estimate is read at (the
    # first where the smoothed held-out one peaked), not at the end
    held = smoothed(est.history.heldout[:, 0])
    assert est.value == pytest.approx(held.max(), rel=1e-5)
    at = int(np.argmax(held))
    train = smoothed(est.history.train[:, 0])
    assert est.bias > 0.01 and est.bias == pytest.approx(abs(train[at] - est.value), rel=1e-5)
    assert at < len(held) - 1 and train[-1] - est.value > est.bias  # the end's was larger
    cmi = _fit_quietly(lambda: minee.conditional_mutual_information(
        a[:, :2], b[:, :2], a[:, 2:4], seed=0, **QUICK))
    assert cmi.bias > 0.0  # the optimism alone, as shares go


def test_an_mi_interval_wholly_below_zero_reaches_zero() -> None:
    """MI cannot be negative: an interval below 0 is stretched to 0, an entropy's is not."""
    assert interval(-0.01, 0.002, least=0.0) == pytest.approx((-0.01392, 0.0), abs=1e-6)
    assert interval(-0.01, 0.01, least=0.0) == pytest.approx((-0.0296, 0.0096), abs=1e-4)
    assert interval(-0.01, 0.002) == pytest.approx((-0.01392, -0.00608), abs=1e-6)
    assert interval(0.3, None, least=0.0) is None
    rng = np.random.default_rng(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MineeWarning)
        for seed in range(3):
            est = minee.mutual_information(rng.standard_normal((400, 2)),
                                           rng.standard_normal((400, 2)), seed=seed, **QUICK)
            assert est.ci is not None and est.ci[1] >= 0.0


def test_null_is_for_mi_only() -> None:
    with pytest.raises(TypeError):
        minee.NEE(null=True)


def test_entropy_estimators_have_no_noise_flag() -> None:
    x = np.random.default_rng(0).standard_normal((400, 1)) * 1e-3  # H < 0 is fine
    est = minee.entropy(x, seed=0, **QUICK)
    assert est.value < 0 and "noise_level" not in est.diagnostics


@pytest.mark.parametrize("method", ["standardize", "rank"])
def test_preprocess_keeps_mi(method: str) -> None:
    x, y = tasks.get("hg", rho=0.8, d=1).sample(800, seed=4)
    raw = minee.mutual_information(x, y, seed=0, **QUICK)
    # a strictly increasing per-column map: MI is unchanged
    est = minee.mutual_information(np.exp(x) * 1e3, y ** 3, seed=0, **quick(max_steps=60,
                                                                            preprocess=method))
    assert est.preprocess == method
    if method == "rank":
        assert abs(est.value - raw.value) < 0.1  # back to (nearly) Gaussian margins
        assert est.entropies["x"] == pytest.approx(0.5 * math.log(2 * math.pi * math.e),
                                                   abs=0.05)
    h = est.entropies
    assert est.value == pytest.approx(h["x"] + h["y"] - h["xy"], abs=1e-9)


def test_standardize_corrects_entropies() -> None:
    x = np.random.default_rng(5).standard_normal((800, 2)) * [10.0, 0.01] + 7
    truth = math.log(2 * math.pi * math.e) + math.log(10.0 * 0.01)
    plain = minee.entropy(x, seed=0, **QUICK)
    scaled = minee.entropy(x, seed=0, **quick(max_steps=60, preprocess="standardize"))
    assert scaled.value == pytest.approx(plain.value, abs=0.02)
    assert abs(scaled.value - truth) < 0.1
    assert scaled.entropies["x"] == pytest.approx(scaled.value)
    with pytest.raises(ValueError, match="unknown preprocess"):
        minee.entropy(x, **quick(max_steps=60, preprocess="log"))


def test_diagnostics_are_data_and_warnings() -> None:
    rng = np.random.default_rng(6)
    x = rng.integers(0, 3, size=(300, 1)).astype(float)
    y = x + rng.standard_normal((300, 1))
    with pytest.warns(MineeWarning, match="discrete"):
        est = minee.mutual_information(x, y, seed=0, discrete=False, **QUICK)
    assert "discrete=" in est.diagnostics["discrete"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MineeWarning)
        read = minee.mutual_information(x, y, seed=0, **QUICK)  # "auto": x is discrete
    assert read.discrete == (0,) and "discrete" not in read.diagnostics
    with pytest.warns(MineeWarning, match="too_few_rows"):
        minee.mutual_information(rng.standard_normal((60, 4)), rng.standard_normal((60, 4)),
                                 seed=0, **QUICK)


def test_still_increasing_is_flagged() -> None:
    # MG has no correlation, so against the Gaussian reference the critics must learn all of
    # its 0.8 nats; 150 steps at a low learning rate leave the curve climbing steadily
    x, y = tasks.get("mg", rho=0.95).sample(600, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MineeWarning)
        # normal scores (Student-t ones fit MG's copula and leave less to learn)
        slow = {"eval_every": 10, "patience": None, "lr": 1e-3, "preprocess": "rank"}
        est = minee.mutual_information(x, y, seed=0, reference="gaussian", max_steps=150,
                                       advanced={**slow, "extend": 1.0})
        assert est.value < 0.5 and "still_increasing" in est.diagnostics
        assert est.budget == 150 and est.history.steps[-1] == 150
        # with a budget of three times max_steps the rising run trains on, 150 at a time
        longer = minee.mutual_information(x, y, seed=0, reference="gaussian", max_steps=150,
                                          advanced={**slow, "extend": 3.0})
    assert longer.budget == 450 and longer.to_dict()["budget"] == 450
    assert longer.history.steps[-1] > 150 and longer.value > est.value


def test_a_fit_too_short_to_judge_is_flagged() -> None:
    # y = x^2 + noise against the Student-t on rank scores: the critics must learn ~0.9
    # nats; one step reads 0.18 and cannot show that it is still rising
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 1))
    y = x**2 + 0.3 * rng.normal(size=(2000, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MineeWarning)
        short = minee.mutual_information(x, y, seed=0, max_steps=1, reference="student",
                                         advanced={"preprocess": "rank-t"})
        assert short.value < 0.3 and "too_short" in short.diagnostics
        assert "raise max_steps" in short.diagnostics["too_short"]
        enough = minee.mutual_information(x, y, seed=0, max_steps=200, reference="student",
                                          advanced={"preprocess": "rank-t", "eval_every": 10})
    assert "too_short" not in enough.diagnostics


@pytest.mark.slow
def test_interval_coverage() -> None:
    """95% intervals of independent default fits over 20 seeds on HG(rho=0.8, d=1), 1,000 rows.

    Measured (2026-11-30, 2-core CPU, estimator seeds 0-19, samples seeded 100-119, the
    default: held-out rows, early stopping, the bias allowance): 18/20 covered; mean
    stderr 0.025 and mean bias allowance 0.019 nats against a spread of the 20 estimates
    of 0.032; the sampling error alone would cover 17/20. On the same 20 samples the
    exact-variance interval of the efficient Gaussian estimator (sd = rho / sqrt(n) =
    0.0253) also covers 17/20: these samples spread more than usual. The assertion allows
    for the binomial spread of 20 trials (a 95% interval misses 4 or more of 20 with
    probability 0.016); an interval half as wide would cover about 2/3 and fail.
    """
    task = tasks.get("hg", rho=0.8, d=1)
    hits = []
    for seed in range(20):
        x, y = task.sample(1000, seed=100 + seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MineeWarning)
            est = minee.mutual_information(x, y, seed=seed)
        hits.append(est.ci[0] <= task.mutual_information <= est.ci[1])
    assert np.mean(hits) >= 0.8


def test_warnings_point_at_the_callers_line() -> None:
    x, y = tasks.get("hg", rho=0.8, d=1).sample(300, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MineeWarning)
        minee.mutual_information(x, y, seed=0, max_steps=1)  # too_short
        minee.MINEE(seed=0, max_steps=1).fit(x, y)
    assert len(caught) >= 2
    assert {w.filename for w in caught} == {__file__}
