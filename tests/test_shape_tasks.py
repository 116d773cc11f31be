"""The shaped MI tasks (minee.tasks.shapes) and the entropy tasks (minee.tasks.bounded): their
contracts, and their truths against scipy, quadrature and Monte Carlo on their own samples."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from minee import tasks
from minee.tasks import shapes

MI_FAMILIES = [
    ("narrow_mixture", {}), ("narrow_mixture", {"layout": "waves", "k": 5, "width": 0.2}),
    ("narrow_mixture", {"layout": "letters", "k": 9}),
    ("shells", {}), ("shells", {"dx": 1, "k": 2, "radial_sd": 1.5, "noise": 0.5}),
    ("curved", {}), ("curved", {"d": 3, "active": 3, "mi": 2.0, "twist": -4.0}),
    ("partly_independent", {}), ("partly_independent", {"d": 1, "active": 1, "share": 1.0}),
]
ENTROPY_FAMILIES = [
    ("box", {}), ("box", {"sides": [0.1, 3, 7.5]}), ("exponential", {}),
    ("exponential", {"rates": (0.2,)}), ("beta", {}), ("beta", {"shapes": [(1, 1), (3, 0.7)]}),
    ("half_normal", {}),
    ("half_normal", {"scales": (1.0, 0.5), "mixing": ((2.0, 1.0), (0.5, 1.5))}),
    ("laplace", {}), ("laplace", {"scales": [3.0]}), ("triangular", {}),
    ("triangular", {"widths": (0.25, 1, 4)}),
]


def within(estimate: float, truth: float, stderr: float, slack: float = 0.0) -> bool:
    """|estimate - truth| inside 5 standard errors (plus a deterministic slack)."""
    return abs(estimate - truth) <= 5 * stderr + slack


# contracts -----------------------------------------------------------------------------
def test_families_are_registered() -> None:
    for name in ("narrow_mixture", "shells", "curved", "partly_independent"):
        assert tasks.TASKS[name].name == name and isinstance(tasks.get(name), tasks.TASKS[name])
    assert set(tasks.ENTROPY_TASKS) == {"box", "exponential", "beta", "half_normal", "laplace",
                                        "triangular"}
    for name, cls in tasks.ENTROPY_TASKS.items():
        assert cls.name == name and isinstance(tasks.get_entropy(name), cls)
        assert isinstance(tasks.get_entropy(name), tasks.EntropyTask)
    with pytest.raises(ValueError, match="unknown entropy task"):
        tasks.get_entropy("gamma")
    with pytest.raises(ValueError, match="bad parameters"):
        tasks.get_entropy("box", side=(1.0,))


@pytest.mark.parametrize("name, params", MI_FAMILIES)
def test_mi_task_contract(name: str, params: dict) -> None:
    task = tasks.get(name, **params)
    x, y = task.sample(50, seed=3)
    again, other = task.sample(50, seed=3), task.sample(50, seed=4)
    dims = {"narrow_mixture": shapes.LAYOUTS[task.layout] if name == "narrow_mixture" else None,
            "shells": (params.get("dx", 3), 1), "curved": (params.get("d", 4),) * 2,
            "partly_independent": (params.get("d", 3),) * 2}[name]
    assert x.shape == (50, dims[0]) and y.shape == (50, dims[1])
    assert x.dtype == y.dtype == np.float64 and np.isfinite(x).all() and np.isfinite(y).all()
    np.testing.assert_array_equal(x, again[0])
    np.testing.assert_array_equal(y, again[1])
    assert not np.array_equal(x, other[0]) and not np.array_equal(y, other[1])
    ent, mi = task.entropies, task.mutual_information
    assert set(ent) == {"x", "y", "xy"} and all(math.isfinite(v) for v in ent.values())
    assert mi >= 0 and abs(ent["x"] + ent["y"] - ent["xy"] - mi) < 1e-9
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.name = "other"  # type: ignore[misc]
    assert hash(task) == hash(tasks.get(name, **params)) and task == tasks.get(name, **params)


@pytest.mark.parametrize("name, params", ENTROPY_FAMILIES)
def test_entropy_task_contract(name: str, params: dict) -> None:
    task = tasks.get_entropy(name, **params)
    x = task.sample(40, seed=1)
    assert x.shape == (40, task.dim) and x.dtype == np.float64 and np.isfinite(x).all()
    np.testing.assert_array_equal(x, task.sample(40, seed=1))
    assert not np.array_equal(x, task.sample(40, seed=2))
    assert math.isfinite(task.entropy)
    assert hash(task) == hash(tasks.get_entropy(name, **params))  # lists frozen into tuples
    with pytest.raises(ValueError):
        task.sample(0, seed=1)


@pytest.mark.parametrize("name, params", [
    ("narrow_mixture", {"layout": "spiral"}), ("narrow_mixture", {"k": 0}),
    ("narrow_mixture", {"k": 65}), ("narrow_mixture", {"width": 0.0}),
    ("narrow_mixture", {"width": 1e-4}), ("narrow_mixture", {"k": 2.0}),
    ("shells", {"dx": 0}), ("shells", {"radial_sd": -1.0}), ("shells", {"noise": math.inf}),
    ("shells", {"k": True}), ("curved", {"d": 1}), ("curved", {"active": 5}),
    ("curved", {"active": 0}), ("curved", {"mi": -0.1}), ("curved", {"twist": math.nan}),
    ("partly_independent", {"rho": 1.0}), ("partly_independent", {"share": 1.5}),
    ("partly_independent", {"share": -0.1}), ("partly_independent", {"active": 4}),
    ("partly_independent", {"rho": "0.5"}), ("shells", {"width": 1.0}),
])
def test_mi_tasks_refuse_bad_parameters(name: str, params: dict) -> None:
    with pytest.raises(ValueError):
        tasks.get(name, **params)


@pytest.mark.parametrize("name, params", [
    ("box", {"sides": ()}), ("box", {"sides": (1.0, 0.0)}), ("box", {"sides": "12"}),
    ("box", {"sides": (True,)}), ("box", {"sides": 2.0}), ("box", {"sides": (math.nan,)}),
    ("exponential", {"rates": (-1.0,)}), ("exponential", {"rates": [[1.0]]}),
    ("beta", {"shapes": (2.0, 3.0)}), ("beta", {"shapes": ((1, 2, 3),)}),
    ("beta", {"shapes": ((1, 2), (3,))}), ("beta", {"shapes": ((0, 1),)}),
    ("half_normal", {"scales": (1.0, -2.0)}), ("half_normal", {"mixing": ((1, 2),)}),
    ("half_normal", {"mixing": ((1, 2), (2, 4))}), ("half_normal", {"mixing": "eye"}),
    ("laplace", {"scales": ("1",)}), ("triangular", {"widths": (1.0, math.inf)}),
])
def test_entropy_tasks_refuse_bad_parameters(name: str, params: dict) -> None:
    with pytest.raises(ValueError, match="must be"):
        tasks.get_entropy(name, **params)


# entropy tasks: closed forms against scipy, and against their own samples ---------------
def scipy_columns(task: tasks.EntropyTask) -> list:
    """The frozen scipy distribution of each column (before HalfNormal's mixing)."""
    if isinstance(task, tasks.UniformBox):
        return [stats.uniform(0, s) for s in task.sides]
    if isinstance(task, tasks.Exponential):
        return [stats.expon(scale=1 / r) for r in task.rates]
    if isinstance(task, tasks.Beta):
        return [stats.beta(a, b) for a, b in task.shapes]
    if isinstance(task, tasks.HalfNormal):
        return [stats.halfnorm(scale=s) for s in task.scales]
    if isinstance(task, tasks.Laplace):
        return [stats.laplace(scale=b) for b in task.scales]
    assert isinstance(task, tasks.Triangular)
    return [stats.triang(0.5, loc=-w, scale=2 * w) for w in task.widths]


@pytest.mark.parametrize("name, params", ENTROPY_FAMILIES)
def test_entropy_matches_scipy_and_own_samples(name: str, params: dict) -> None:
    task = tasks.get_entropy(name, **params)
    columns = scipy_columns(task)
    mixing = getattr(task, "mixing", None)
    log_det = 0.0 if mixing is None else math.log(abs(np.linalg.det(mixing)))
    assert abs(task.entropy - (sum(float(c.entropy()) for c in columns) + log_det)) < 1e-9
    # -ln p on the task's own samples: a sampler with the wrong law (a rate taken for a
    # scale, a mixing matrix transposed) misses by far more than 5 standard errors
    x = task.sample(100_000, seed=7)
    z = x if mixing is None else np.linalg.solve(np.array(mixing), x.T).T
    logp = sum(c.logpdf(z[:, i]) for i, c in enumerate(columns)) - log_det
    assert np.isfinite(logp).all()
    assert within(-logp.mean(), task.entropy, logp.std() / math.sqrt(len(x)), 1e-12)


def test_beta_uses_the_handwritten_digamma_accurately() -> None:
    for a, b in [(0.1, 0.2), (0.5, 0.5), (1, 1), (2, 5), (30, 0.8), (200, 300)]:
        assert abs(tasks.Beta(shapes=((a, b),)).entropy - stats.beta(a, b).entropy()) < 1e-9


# NarrowMixture ----------------------------------------------------------------------------
def mixture_logpdf(points: np.ndarray, means: np.ndarray, width: float) -> np.ndarray:
    """ln of the equal mixture of N(mean, width^2 I) via scipy, one component at a time."""
    logs = [stats.multivariate_normal(m, width**2 * np.eye(len(m))).logpdf(points)
            for m in means]
    return np.logaddexp.reduce(np.array(logs).reshape(len(means), -1), axis=0) - math.log(
        len(means))


@pytest.mark.parametrize("layout", sorted(shapes.LAYOUTS))
def test_narrow_mixture_log_densities_match_scipy(layout: str) -> None:
    task = tasks.NarrowMixture(layout=layout, k=12, width=0.07)
    x, y = task.sample(300, seed=2)
    x = x + np.linspace(-0.3, 0.3, 300)[:, None]  # off the components too
    lxy, lx, ly = task.log_densities(x, y)
    dx, mu = x.shape[1], task.means
    np.testing.assert_allclose(lxy, mixture_logpdf(np.hstack([x, y]), mu, 0.07), atol=1e-9)
    np.testing.assert_allclose(lx, mixture_logpdf(x, mu[:, :dx], 0.07), atol=1e-9)
    np.testing.assert_allclose(ly, mixture_logpdf(y, mu[:, dx:], 0.07), atol=1e-9)


def test_narrow_ring_matches_grid_quadrature() -> None:
    # H(X), H(Y) and H(X, Y) by the midpoint rule (exponentially accurate for these smooth,
    # Gaussian-tailed integrands), independent of the sampler and of the Monte Carlo code
    task = tasks.NarrowMixture()  # ring, k = 16, width = 0.05
    grid, h = np.linspace(-1.4, 1.4, 1121, retstep=True)
    mu, w = task.means, task.width
    px = stats.norm.pdf(grid[:, None], mu[:, 0], w).mean(axis=1)
    py = stats.norm.pdf(grid[:, None], mu[:, 1], w).mean(axis=1)
    pxy = (stats.norm.pdf(grid[:, None], mu[:, 0], w) / len(mu)) @ stats.norm.pdf(
        grid[:, None], mu[:, 1], w).T
    ent = [-h * np.sum(p * np.log(p)) for p in (px, py)]
    ent.append(-h * h * np.sum(pxy * np.log(np.maximum(pxy, 1e-300))))
    errs = task.truths
    for key, value in zip(("x", "y", "xy"), ent, strict=True):
        assert within(task.entropies[key], value, errs[key][1], 1e-6), key
    assert within(task.mutual_information, ent[0] + ent[1] - ent[2], task.truth_stderr, 1e-6)
    assert 0 < task.truth_stderr < 2e-3


@pytest.mark.parametrize("layout, k", [("ring", 8), ("waves", 16), ("letters", 16)])
def test_narrow_mixture_tends_to_the_discrete_mi_of_its_means(layout: str, k: int) -> None:
    means = tasks.NarrowMixture(layout=layout, k=k).means
    dx = shapes.LAYOUTS[layout][0]
    keys_x = [tuple(r) for r in np.round(means[:, :dx], 9)]
    keys_y = [tuple(r) for r in np.round(means[:, dx:], 9)]

    def entropy(keys: list) -> float:
        counts = np.unique(np.array(keys), axis=0, return_counts=True)[1] / len(keys)
        return float(-np.sum(counts * np.log(counts)))

    discrete = entropy(keys_x) + entropy(keys_y) - math.log(k)
    gaps = [np.diff(np.unique(np.round(means[:, j], 9))).min() for j in range(means.shape[1])]
    task = tasks.NarrowMixture(layout=layout, k=k, width=max(1e-3, min(gaps) / 24))
    mi, err = task.monte_carlo(seed=5, draws=1 << 17)["mi"]
    assert within(mi, discrete, err, 1e-6)
    if layout == "ring":
        assert abs(discrete - 1.5 * math.log(2)) < 1e-12


def test_one_component_is_independent() -> None:
    task = tasks.NarrowMixture(layout="waves", k=1, width=0.3)
    mi, err = task.monte_carlo(seed=0, draws=1 << 14)["mi"]
    assert abs(mi) < 1e-9 and err < 1e-9


# Shells ---------------------------------------------------------------------------------
def test_shells_match_scipy_on_own_samples() -> None:
    # radial_sd large enough that the fold at 0 matters; scipy's foldnorm is the density
    task = tasks.Shells(dx=2, k=3, radial_sd=0.8, noise=0.5)
    x, y = task.sample(200_000, seed=11)
    radius, y = np.linalg.norm(x, axis=1), y[:, 0]
    r = np.arange(1, 4)
    f = stats.foldnorm.pdf(radius[:, None], r / 0.8, scale=0.8)
    g = stats.norm.pdf(y[:, None], r, 0.5)
    log_px = np.log(f.mean(axis=1)) - np.log(2 * math.pi * radius)  # circle, dx = 2
    log_pxy = np.log((f * g).mean(axis=1)) - math.log(2 * math.pi) - np.log(radius)
    log_py = np.log(g.mean(axis=1))
    pointwise = {"mi": log_pxy - log_px - log_py, "x": -log_px, "y": -log_py, "xy": -log_pxy}
    truths = task.truths
    for key, values in pointwise.items():
        err = math.hypot(values.std() / math.sqrt(len(values)), truths[key][1])
        assert within(values.mean(), truths[key][0], err), key
    lry, lr, ly = task.radial_log_densities(radius[:500], y[:500])
    np.testing.assert_allclose(lr, np.log(f[:500].mean(axis=1)), atol=1e-9)
    np.testing.assert_allclose(lry, np.log((f * g)[:500].mean(axis=1)), atol=1e-9)


def test_shells_mi_matches_quadrature_and_direction_is_uniform() -> None:
    task = tasks.Shells()  # dx = 3, k = 4, radial_sd = 0.1, noise = 0.3
    rho, hr = np.linspace(1e-6, 6.0, 2401, retstep=True)
    y, hy = np.linspace(-2.0, 7.0, 1801, retstep=True)
    r = np.arange(1, 5)
    f = stats.foldnorm.pdf(rho[:, None], r / 0.1, scale=0.1) / 4
    g = stats.norm.pdf(y[:, None], r, 0.3)
    joint = f @ g.T
    ratio = joint / np.outer(f.sum(axis=1), g.mean(axis=1))
    mi = hr * hy * np.sum(joint * np.log(np.where(joint > 0, ratio, 1.0)))
    assert within(task.mutual_information, mi, task.truth_stderr, 1e-6)
    assert mi < math.log(4)  # below H(shell), as I(R; Y) <= I(s; Y) must be
    x, _ = task.sample(100_000, seed=4)
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    assert np.abs(u.mean(axis=0)).max() < 0.01
    np.testing.assert_allclose(u.T @ u / len(u), np.eye(3) / 3, atol=0.01)


# CurvedGaussian -------------------------------------------------------------------------
def test_curved_gaussian_is_an_invertible_twist_of_the_stated_gaussian() -> None:
    task = tasks.CurvedGaussian(d=5, active=3, mi=1.2, twist=2.0)
    assert abs(-1.5 * math.log(1 - task.rho**2) - 1.2) < 1e-12
    x, y = task.sample(200_000, seed=9)
    gx, gy = task.gaussian_sample(200_000, seed=9)
    np.testing.assert_allclose(task.curve(x, inverse=True), gx, atol=1e-10)
    np.testing.assert_allclose(task.curve(y, inverse=True), gy, atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), np.linalg.norm(gx, axis=1))
    np.testing.assert_array_equal(x[:, 4], gx[:, 4])  # the odd coordinate is not rotated
    corr = np.corrcoef(gx.T, gy.T)[:5, 5:]
    np.testing.assert_allclose(corr, np.diag([task.rho] * 3 + [0.0] * 2), atol=0.01)
    np.testing.assert_allclose(np.cov(x.T), np.eye(5), atol=0.02)  # X still N(0, I)
    assert np.abs(np.corrcoef(x.T, y.T)[:5, 5:]).max() < task.rho - 0.2  # twisted away
    cov = np.block([[np.eye(5), corr * 0], [corr * 0, np.eye(5)]])
    cov[:3, 5:8] = cov[5:8, :3] = task.rho * np.eye(3)
    assert abs(task.entropies["xy"] - stats.multivariate_normal(cov=cov).entropy()) < 1e-9
    assert abs(task.entropies["x"] - stats.multivariate_normal(cov=np.eye(5)).entropy()) < 1e-9


@pytest.mark.parametrize("d", [2, 3, 4])
def test_curve_has_unit_jacobian(d: int) -> None:
    # central differences: the volume preservation the entropies rely on
    task = tasks.CurvedGaussian(d=d, active=1, twist=1.7)
    for v in np.random.default_rng(d).standard_normal((5, d)) * 1.5:
        jac = np.empty((d, d))
        for j in range(d):
            step = np.zeros(d)
            step[j] = 1e-6
            jac[:, j] = (task.curve((v + step)[None])[0] - task.curve((v - step)[None])[0]) / 2e-6
        assert abs(np.linalg.det(jac) - 1) < 1e-6
        assert not np.allclose(jac, np.eye(d), atol=0.1)  # the map does move things
    with pytest.raises(ValueError, match="shape"):
        task.curve(np.zeros((3, d + 1)))


# PartlyIndependent ----------------------------------------------------------------------
def test_partly_independent_limits() -> None:
    task = tasks.PartlyIndependent(d=4, active=3, rho=0.8, share=0.0)
    gauss = -1.5 * math.log(1 - 0.8**2)
    assert within(task.mutual_information, gauss, task.truth_stderr)
    assert abs(task.truth_stderr) < 0.01 * gauss
    assert tasks.PartlyIndependent(share=1.0).mutual_information == 0.0
    assert tasks.PartlyIndependent(rho=0.0, share=0.4).mutual_information == 0.0
    mid = tasks.PartlyIndependent(d=4, active=3, rho=0.8, share=0.5).mutual_information
    assert 0 < mid < 0.5 * gauss  # I is convex in the mixing weight, 0 at share = 1


def test_partly_independent_matches_scipy_and_quadrature() -> None:
    task = tasks.PartlyIndependent(d=2, active=1, rho=-0.7, share=0.35)
    x, y = task.sample(200_000, seed=13)
    dep = stats.multivariate_normal(cov=[[1, -0.7], [-0.7, 1]]).pdf(np.c_[x[:, 0], y[:, 0]])
    ind = stats.norm.pdf(x[:, 0]) * stats.norm.pdf(y[:, 0])
    pointwise = np.log(0.65 * dep + 0.35 * ind) - np.log(ind)
    np.testing.assert_allclose(task.log_ratio(x[:1000], y[:1000]), pointwise[:1000], atol=1e-9)
    err = math.hypot(pointwise.std() / math.sqrt(len(x)), task.truth_stderr)
    assert within(pointwise.mean(), task.mutual_information, err)  # the sampler's law
    grid, h = np.linspace(-9, 9, 1201, retstep=True)
    gx, gy = np.meshgrid(grid, grid, indexing="ij")
    ind = stats.norm.pdf(gx) * stats.norm.pdf(gy)
    joint = 0.65 * stats.multivariate_normal(cov=[[1, -0.7], [-0.7, 1]]).pdf(
        np.stack([gx, gy], axis=-1)) + 0.35 * ind
    quad = h * h * np.sum(joint * np.log(joint / ind))
    assert within(task.mutual_information, quad, task.truth_stderr, 1e-6)
    assert task.entropies["x"] == task.entropies["y"] == 0.5 * 2 * math.log(2 * math.pi * math.e)
    assert task.truths["x"][1] == 0.0 and task.truths["xy"][1] == task.truth_stderr


# Monte Carlo truths ---------------------------------------------------------------------
@pytest.mark.parametrize("task", [tasks.NarrowMixture(layout="letters"), tasks.Shells(),
                                  tasks.PartlyIndependent()], ids=lambda t: t.name)
def test_monte_carlo_truths_reproduce_with_another_seed(task: shapes.MonteCarloTask) -> None:
    other = task.monte_carlo(seed=123, draws=1 << 18)
    for key, (value, err) in task.truths.items():
        assert within(other[key][0], value, math.hypot(err, other[key][1])), key
    assert task.truths is task.truths  # cached: computed once per instance
    assert task.monte_carlo(shapes.TRUTH_SEED, draws=1 << 10) == task.monte_carlo(
        shapes.TRUTH_SEED, draws=1 << 10)
    assert shapes.TRUTH_DRAWS >= 1_000_000
    with pytest.raises(ValueError, match="draws"):
        task.monte_carlo(seed=0, draws=1)
