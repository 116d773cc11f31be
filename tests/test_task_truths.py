"""The new tasks' true MI and entropies against independent computations: scipy's special
functions, densities and quadrature, Monte Carlo of the log-density ratio, and exact maps."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from minee import tasks
from minee.tasks.base import digamma, normal_cdf, normal_expectation


def assert_mc(pointwise: np.ndarray, truth: float, sigmas: float) -> None:
    """The mean of ``pointwise`` is ``truth`` within ``sigmas`` standard errors."""
    stderr = pointwise.std() / math.sqrt(len(pointwise))
    assert abs(pointwise.mean() - truth) < sigmas * stderr, (pointwise.mean(), truth, stderr)


# special functions --------------------------------------------------------------------------
def test_digamma_matches_scipy() -> None:
    points = np.concatenate([np.geomspace(1e-3, 1e5, 300), np.linspace(0.05, 40, 400)])
    ours = np.array([digamma(float(p)) for p in points])
    np.testing.assert_allclose(ours, special.digamma(points), rtol=1e-10, atol=1e-10)
    for bad in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError):
            digamma(bad)


def test_normal_helpers_match_scipy() -> None:
    z = np.linspace(-30, 8, 2001)
    np.testing.assert_allclose(normal_cdf(z), stats.norm.cdf(z), rtol=1e-12, atol=0)
    e_log1p, _ = integrate.quad(lambda t: stats.norm.pdf(t) * math.log1p(t * t),
                                -np.inf, np.inf, epsabs=1e-13)
    assert abs(normal_expectation(lambda t: np.log1p(t * t)) - e_log1p) < 1e-11


# Student-t ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dof", [1, 2, 3, 5, 0.7, 40])
@pytest.mark.parametrize("dx, dy, rho", [(1, 1, 0.0), (2, 3, 0.6), (3, 3, -0.9)])
def test_student_entropies_match_scipy(dof: float, dx: int, dy: int, rho: float) -> None:
    task = tasks.StudentT(dof=dof, dx=dx, dy=dy, rho=rho)
    ent = task.entropies
    joint = stats.multivariate_t(np.zeros(dx + dy), task.scale_matrix, df=dof)
    assert abs(ent["xy"] - joint.entropy()) < 1e-10
    assert abs(ent["x"] - stats.multivariate_t(np.zeros(dx), np.eye(dx), df=dof).entropy()) < 1e-10
    assert abs(ent["y"] - stats.multivariate_t(np.zeros(dy), np.eye(dy), df=dof).entropy()) < 1e-10
    gauss = -0.5 * min(dx, dy) * math.log(1 - rho**2)
    assert task.mutual_information > gauss  # the shared chi-square scale adds information


@pytest.mark.parametrize("dof, dx, dy, rho", [(1, 1, 1, 0.0), (3, 2, 2, 0.5), (5, 1, 2, 0.8)])
def test_student_mi_matches_monte_carlo(dof: float, dx: int, dy: int, rho: float) -> None:
    # I = E[ln p(x, y) - ln p(x) - ln p(y)] over the task's own samples, 4 standard errors
    task = tasks.StudentT(dof=dof, dx=dx, dy=dy, rho=rho)
    n = 200_000
    x, y = task.sample(n, seed=11)
    joint = stats.multivariate_t(np.zeros(dx + dy), task.scale_matrix, df=dof)
    px = stats.multivariate_t(np.zeros(dx), np.eye(dx), df=dof)
    py = stats.multivariate_t(np.zeros(dy), np.eye(dy), df=dof)
    pointwise = (joint.logpdf(np.hstack([x, y])) - np.atleast_1d(px.logpdf(x))
                 - np.atleast_1d(py.logpdf(y)))
    assert_mc(pointwise, task.mutual_information, 4)
    # each coordinate is a univariate t_dof
    assert stats.kstest(x[:, 0], stats.t(dof).cdf).pvalue > 1e-3
    assert stats.kstest(y[:, -1], stats.t(dof).cdf).pvalue > 1e-3


def test_student_tends_to_the_gaussian() -> None:
    gauss = tasks.HighDimGaussian(rho=0.7, d=2).mutual_information
    gaps = [tasks.StudentT(dof=v, dx=2, dy=2, rho=0.7).mutual_information - gauss
            for v in (1, 3, 30, 3000)]
    assert all(a > b > 0 for a, b in zip(gaps, gaps[1:], strict=False))
    assert gaps[-1] < 1e-5


# monotone transforms ------------------------------------------------------------------------
@pytest.mark.parametrize("transform", sorted(tasks.MONOTONE_TRANSFORMS))
def test_monotone_is_hg_through_g(transform: str) -> None:
    task = tasks.MonotoneGaussian(rho=0.9, d=2, transform=transform)
    hg = tasks.HighDimGaussian(rho=0.9, d=2)
    g = tasks.MONOTONE_TRANSFORMS[transform][0]
    x, y = task.sample(100_000, seed=3)
    x0, y0 = hg.sample(100_000, seed=3)
    np.testing.assert_array_equal(x, g(x0))
    np.testing.assert_array_equal(y, g(y0))
    assert np.all(np.diff(g(np.linspace(-6, 6, 1001))) > 0)  # strictly increasing
    # Gaussian-copula MI: rank -> normal scores -> Gaussian MI, invariant to g
    scores = stats.norm.ppf(stats.rankdata(np.hstack([x, y]), axis=0) / (len(x) + 1))
    corr = np.corrcoef(scores.T)
    copula_mi = 0.5 * (np.linalg.slogdet(corr[:2, :2])[1] + np.linalg.slogdet(corr[2:, 2:])[1]
                       - np.linalg.slogdet(corr)[1])
    assert abs(copula_mi - task.mutual_information) < 0.02
    assert task.mutual_information == hg.mutual_information


@pytest.mark.parametrize("transform, log_slope", [
    ("normal_cdf", lambda z: stats.norm.logpdf(z)),
    ("asinh", lambda z: -0.5 * math.log1p(z * z)),
    ("cube", lambda z: math.log(3 * z * z)),
    ("half_cube", lambda z: math.log(1.5 * math.sqrt(abs(z)))),
])
def test_monotone_entropy_shift_matches_quadrature(transform: str, log_slope: object) -> None:
    # E ln g'(Z) by scipy quadrature, split at the (integrable) singularity at 0
    def integrand(z: float) -> float:
        return stats.norm.pdf(z) * log_slope(z)  # type: ignore[operator]

    shift = sum(integrate.quad(integrand, a, b, epsabs=1e-13, limit=200)[0]
                for a, b in ((-np.inf, 0), (0, np.inf)))
    task = tasks.MonotoneGaussian(rho=0.6, d=3, transform=transform)
    hg = tasks.HighDimGaussian(rho=0.6, d=3).entropies
    ent = task.entropies
    assert abs(ent["x"] - (hg["x"] + 3 * shift)) < 1e-9
    assert abs(ent["xy"] - (hg["xy"] + 6 * shift)) < 1e-9
    if transform == "cube":  # the closed form ln 3 - (gamma + ln 2)
        assert abs(shift - (math.log(3) - np.euler_gamma - math.log(2))) < 1e-9


def test_normal_cdf_transform_has_uniform_marginals() -> None:
    x, _ = tasks.MonotoneGaussian(transform="normal_cdf", d=1).sample(50_000, seed=0)
    assert x.min() > 0 and x.max() < 1
    assert stats.kstest(x[:, 0], "uniform").pvalue > 1e-3
    assert abs(tasks.MonotoneGaussian(transform="normal_cdf", d=4).entropies["x"]) < 1e-12


# swirl ----------------------------------------------------------------------------------------
def test_swirl_preserves_volume_and_inverts() -> None:
    task = tasks.SwirlGaussian(rho=0.8, d=3, strength=1.7)
    points = np.random.default_rng(0).normal(scale=2.0, size=(20, 3))
    eps = 1e-6
    for p in points:  # central-difference Jacobian, one column per coordinate
        steps = [task.swirl((p + eps * e)[None]) - task.swirl((p - eps * e)[None])
                 for e in np.eye(3)]
        jac = np.column_stack([step[0] / (2 * eps) for step in steps])
        assert abs(np.linalg.det(jac) - 1) < 1e-7
    np.testing.assert_allclose(task.unswirl(task.swirl(points)), points, atol=1e-12)
    np.testing.assert_allclose(task.swirl(task.unswirl(points)), points, atol=1e-12)
    np.testing.assert_array_equal(task.swirl(points)[:, 2], points[:, 2])  # odd d: last kept
    np.testing.assert_allclose(np.hypot(*task.swirl(points)[:, :2].T), np.hypot(*points[:, :2].T))
    with pytest.raises(ValueError, match="shape"):
        task.swirl(points[:, :2])


def test_swirl_samples_are_swirled_hg() -> None:
    task = tasks.SwirlGaussian(rho=0.9, d=2, strength=1.0)
    x, y = task.sample(200_000, seed=8)
    x0, y0 = tasks.HighDimGaussian(rho=0.9, d=2).sample(200_000, seed=8)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_allclose(task.unswirl(x), x0, atol=1e-12)
    # X is still N(0, I) (rotation invariance), but the dependence is no longer linear: a
    # Gaussian fitted to (X, Y) sees well under half of the true MI
    np.testing.assert_allclose(np.cov(x.T), np.eye(2), atol=0.01)
    cov = np.cov(np.hstack([x, y]).T)
    linear = 0.5 * (np.linalg.slogdet(cov[:2, :2])[1] + np.linalg.slogdet(cov[2:, 2:])[1]
                    - np.linalg.slogdet(cov)[1])
    assert linear < 0.5 * task.mutual_information
    assert task.entropies == tasks.HighDimGaussian(rho=0.9, d=2).entropies


# Gaussian mixture -----------------------------------------------------------------------------
def mixture_mc(task: tasks.GaussianMixturePair, n: int, seed: int) -> None:
    x, y = task.sample(n, seed=seed)
    joint = task.log_density(x[:, 0], y[:, 0])
    px, py = task.log_marginal(x[:, 0], 0), task.log_marginal(y[:, 0], 1)
    assert_mc(joint - px - py, task.mutual_information, 3)
    assert_mc(-joint, task.entropies["xy"], 3)


def test_mixture_matches_monte_carlo() -> None:
    mixture_mc(tasks.GaussianMixturePair(), 1_000_000, seed=0)


def test_mixture_other_parameters_match_monte_carlo() -> None:
    task = tasks.get("mixture", weights=[0.7, 0.3], means=[[0, 0], [4, -3]],
                     scales=[[1, 0.5], [2, 1]], corrs=[0.95, 0.3])
    mixture_mc(task, 300_000, seed=1)


def test_mixture_densities_and_marginal_entropies() -> None:
    task = tasks.GaussianMixturePair()
    comps = [stats.multivariate_normal([mx, my], [[sx * sx, c * sx * sy], [c * sx * sy, sy * sy]])
             for (mx, my), (sx, sy), c in zip(task.means, task.scales, task.corrs, strict=True)]
    pts = np.random.default_rng(0).normal(scale=3, size=(50, 2))
    ref = np.log(sum(w * c.pdf(pts) for w, c in zip(task.weights, comps, strict=True)))
    np.testing.assert_allclose(task.log_density(pts[:, 0], pts[:, 1]), ref, rtol=1e-12)
    for axis, key in ((0, "x"), (1, "y")):
        def neg_plogp(t: float, axis: int = axis) -> float:
            lp = float(task.log_marginal(np.array(t), axis))
            return -math.exp(lp) * lp

        h, _ = integrate.quad(neg_plogp, -20, 20, epsabs=1e-12, limit=400)
        assert abs(task.entropies[key] - h) < 1e-9


# uniform noise --------------------------------------------------------------------------------
@pytest.mark.parametrize("a", [0.05, 0.5, 1.0, 2.5])
def test_uniform_noise_matches_quadrature_and_monte_carlo(a: float) -> None:
    def density(t: float) -> float:  # the convolution of U(0, 1) and U(0, a), directly
        return max(0.0, min(t, 1.0) - max(t - a, 0.0)) / a

    h_y, _ = integrate.quad(lambda t: -density(t) * math.log(density(t)) if density(t) > 0
                            else 0.0, 0, 1 + a, points=sorted({min(1, a), max(1, a)}),
                            epsabs=1e-13)
    task = tasks.UniformNoise(d=2, noise=a)
    assert abs(task.entropies["y"] - 2 * h_y) < 1e-9
    assert abs(task.mutual_information - 2 * (h_y - math.log(a))) < 1e-9
    x, y = task.sample(100_000, seed=2)
    assert np.all((y - x >= 0) & (y - x <= a)) and np.all((x >= 0) & (x <= 1))
    log_py = np.log(np.vectorize(density)(y)).sum(1)
    assert_mc(-2 * math.log(a) - log_py, task.mutual_information, 4)


# independent ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, dof", [("gaussian", math.inf), ("student", 3), ("cauchy", 1)])
def test_independent_entropies_and_law(kind: str, dof: float) -> None:
    task = tasks.Independent(dx=2, dy=3, kind=kind)
    assert task.mutual_information == 0.0
    for key, d in (("x", 2), ("y", 3)):
        law = stats.multivariate_t(np.zeros(d), np.eye(d), df=dof)
        assert abs(task.entropies[key] - law.entropy()) < 1e-9
    x, y = task.sample(100_000, seed=4)
    assert stats.kstest(x[:, 1], stats.t(dof).cdf).pvalue > 1e-3
    # separate scale draws: even the magnitudes of X and Y are unrelated
    assert abs(stats.spearmanr(np.abs(x[:, 0]), np.abs(y[:, 0]))[0]) < 0.015


# correlated and near-deterministic Gaussians ---------------------------------------------------
@pytest.mark.parametrize("params, n", [
    ({}, 200_000), ({"dx": 25, "dy": 25, "strength": 0.3, "seed": 7}, 40_000),
    ({"dx": 4, "dy": 6, "kind": "sparse", "strength": 2.0}, 200_000)])
def test_correlated_gaussian(params: dict, n: int) -> None:
    task = tasks.CorrelatedGaussian(**params)
    a = task.loadings
    direct = 0.5 * np.linalg.slogdet(np.eye(task.dy) + a @ a.T)[1]  # D cancels
    assert abs(task.mutual_information - direct) < 1e-9
    if task.kind == "sparse":
        k = min(3, task.dx, task.dy)
        assert np.count_nonzero(a) == k
        assert abs(task.mutual_information - 0.5 * k * math.log1p(task.strength**2)) < 1e-12
    x, y = task.sample(n, seed=9)
    xy = np.hstack([x, y])
    np.testing.assert_allclose(np.cov(xy.T), task.covariance, atol=5 / math.sqrt(n))
    joint = stats.multivariate_normal(cov=task.covariance).logpdf(xy)
    py = stats.multivariate_normal(cov=task.covariance[task.dx:, task.dx:]).logpdf(y)
    assert_mc(joint - stats.norm.logpdf(x).sum(1) - py, task.mutual_information, 4)
    assert not np.array_equal(a, tasks.CorrelatedGaussian(**{**params, "seed": 99}).loadings)


def test_near_deterministic() -> None:
    s, d = 0.05, 3
    task = tasks.NearDeterministic(d=d, noise=s)
    cov = np.block([[np.eye(d), np.eye(d)], [np.eye(d), (1 + s * s) * np.eye(d)]])
    logdet = np.linalg.slogdet(cov)[1]
    assert abs(task.mutual_information - 0.5 * (d * math.log1p(s * s) - logdet)) < 1e-9
    h_xy = 0.5 * (2 * d * math.log(2 * math.pi * math.e) + logdet)
    assert abs(task.entropies["xy"] - h_xy) < 1e-9
    x, y = task.sample(100_000, seed=1)
    pointwise = (stats.norm.logpdf(y - x, scale=s).sum(1)
                 - stats.norm.logpdf(y, scale=math.sqrt(1 + s * s)).sum(1))
    assert_mc(pointwise, task.mutual_information, 4)


# a map that folds the line ------------------------------------------------------------------
@pytest.mark.parametrize("freq, noise", [(2.0, 0.3), (3.0, 0.2), (1.0, 1.0)])
def test_sine_mi_matches_monte_carlo_and_scipy_quadrature(freq: float, noise: float) -> None:
    """I = E[ln p(Y | X) - ln p(Y)] over samples, p(y) by scipy's adaptive quadrature."""
    task = tasks.get("sine", freq=freq, noise=noise)
    x, y = (v[:, 0] for v in task.sample(400, seed=3))
    density = integrate.quad_vec(lambda t: stats.norm.pdf(t) * stats.norm.pdf(
        y, math.sin(freq * t), noise), -10, 10, limit=400, epsabs=1e-13)[0]
    log_p = np.log(density)
    log_cond = stats.norm.logpdf(y, np.sin(freq * x), noise)
    assert_mc(log_cond - log_p, task.mutual_information, 4)


def test_sine_tends_to_the_linear_channel_and_its_grid_has_converged() -> None:
    from minee.tasks.periodic import output_entropy

    # sin(f x) ~ f x for small f: Y ~ N(0, f^2 + s^2), I ~ ln(1 + f^2 / s^2) / 2
    assert abs(tasks.get("sine", freq=1e-3, noise=1e-3).mutual_information
               - 0.5 * math.log(2)) < 1e-5
    # a slow map under much noise: Y nearly Gaussian, I ~ ln(1 + var(sin fX) / s^2) / 2
    assert abs(tasks.get("sine", freq=0.01, noise=0.3).mutual_information
               - 0.5 * math.log1p(1e-4 / 0.09)) < 1e-6
    var = (1 - math.exp(-2)) / 2
    assert abs(tasks.get("sine", freq=1.0, noise=30.0).mutual_information
               - 0.5 * math.log1p(var / 900)) < 1e-6
    for freq, noise in ((2.0, 0.3), (6.0, 0.05)):
        assert abs(output_entropy(freq, noise) - output_entropy(freq, noise, 2)) < 1e-10
