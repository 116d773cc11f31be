"""Ground-truth tasks: MG(rho) and HG(rho, d) against Monte Carlo and numerical integration."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import integrate, stats

from minee import tasks

MC_ROWS = 400_000


def test_paper_truths() -> None:
    assert abs(tasks.get("mg", rho=0.9).mutual_information - 0.40844) < 1e-4
    assert abs(tasks.get("hg", rho=0.9, d=6).mutual_information - 4.98219) < 1e-4


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9, 0.99])
def test_mg_integral_matches_monte_carlo(rho: float) -> None:
    # I = E[ln p(x, y) - ln p(x) - ln p(y)] over the task's own samples; 5 standard errors.
    task = tasks.get("mg", rho=rho)
    x, y = task.sample(MC_ROWS, seed=1)
    x, y = x[:, 0], y[:, 0]
    pointwise = (np.log(task.density(x, y)) - stats.norm.logpdf(x) - stats.norm.logpdf(y))
    stderr = pointwise.std() / math.sqrt(MC_ROWS)
    assert abs(pointwise.mean() - task.mutual_information) < 5 * stderr + 1e-4
    if rho == 0.0:
        assert abs(task.mutual_information) < 1e-6


def test_mg_integral_matches_scipy_quadrature() -> None:
    # an independent integrator on the joint entropy (the marginals are standard normal)
    task = tasks.get("mg", rho=0.9)

    def integrand(y: float, x: float) -> float:
        p = task.density(x, y)
        return -p * math.log(p) if p > 0 else 0.0

    h_xy, _ = integrate.dblquad(integrand, -9, 9, -9, 9, epsabs=1e-9)
    assert abs(task.entropies["xy"] - h_xy) < 1e-5
    assert abs(task.mutual_information - (math.log(2 * math.pi * math.e) - h_xy)) < 1e-4


def test_mg_samples_have_the_stated_law() -> None:
    x, y = tasks.get("mg", rho=0.9).sample(100_000, seed=0)
    assert x.shape == y.shape == (100_000, 1)
    for v in (x, y):  # standard normal marginals
        assert abs(v.mean()) < 0.02 and abs(v.var() - 1) < 0.02
    assert abs(np.corrcoef(x[:, 0], y[:, 0])[0, 1]) < 0.02  # the mirror cancels correlation
    assert abs(np.mean(np.abs(x * y)) - 0.9 * np.mean(x**2)) < 0.05  # |E[xy | sign]| = rho


def test_hg_entropies_match_numerical_integration() -> None:
    rho, d = 0.9, 6
    task = tasks.get("hg", rho=rho, d=d)
    cov = np.array([[1.0, rho], [rho, 1.0]])
    pair = stats.multivariate_normal(mean=[0, 0], cov=cov)

    def neg_plogp(y: float, x: float) -> float:
        lp = pair.logpdf([x, y])
        return -math.exp(lp) * lp

    h_pair, _ = integrate.dblquad(neg_plogp, -10, 10, -10, 10, epsabs=1e-9)
    h_1, _ = integrate.quad(lambda t: -stats.norm.pdf(t) * stats.norm.logpdf(t), -12, 12)
    ent = task.entropies
    # the d pairs are independent, so entropies add over them
    assert abs(ent["xy"] - d * h_pair) < 1e-5
    assert abs(ent["x"] - d * h_1) < 1e-6 and abs(ent["y"] - d * h_1) < 1e-6
    assert abs(ent["x"] + ent["y"] - ent["xy"] - task.mutual_information) < 1e-9


def test_hg_monte_carlo_and_correlation() -> None:
    task = tasks.get("hg", rho=0.9, d=3)
    x, y = task.sample(MC_ROWS, seed=2)
    assert x.shape == y.shape == (MC_ROWS, 3)
    corr = np.corrcoef(np.hstack([x, y]).T)
    np.testing.assert_allclose(np.diag(corr[:3, 3:]), 0.9, atol=0.005)
    np.testing.assert_allclose(corr[:3, 3:] - np.diag(np.diag(corr[:3, 3:])), 0, atol=0.01)
    r2 = 1 - 0.9**2
    pointwise = (-0.5 * ((x**2 - 1.8 * x * y + y**2) / r2 - x**2 - y**2)
                 - 0.5 * math.log(r2)).sum(1)
    stderr = pointwise.std() / math.sqrt(MC_ROWS)
    assert abs(pointwise.mean() - task.mutual_information) < 5 * stderr


def test_seeds_are_explicit_and_reproducible() -> None:
    task = tasks.get("hg", rho=0.5, d=2)
    a, b = task.sample(50, seed=3), task.sample(50, seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], task.sample(50, seed=4)[0])


@pytest.mark.parametrize("name, params", [
    ("mg", {"rho": 1.0}), ("mg", {"rho": -0.1}), ("hg", {"d": 0}), ("hg", {"d": 2.5}),
    ("hg", {"rho": 1.0}), ("nope", {}), ("mg", {"d": 3}),
])
def test_bad_tasks_raise_clear_errors(name: str, params: dict) -> None:
    with pytest.raises(ValueError):
        tasks.get(name, **params)


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_bad_sample_sizes_raise(n: object) -> None:
    with pytest.raises(ValueError, match="n must be"):
        tasks.get("mg").sample(n, seed=0)


# every family: the Task contract -----------------------------------------------------------
FAMILIES = [
    ("mg", {}), ("hg", {"rho": 0.5, "d": 2}),
    ("student", {}), ("student", {"dof": 1, "dx": 2, "dy": 3, "rho": -0.5}),
    ("monotone", {}), ("monotone", {"transform": "normal_cdf", "d": 3}),
    ("monotone", {"transform": "asinh"}), ("monotone", {"transform": "half_cube"}),
    ("swirl", {}), ("swirl", {"d": 3, "strength": -2.0}),
    ("mixture", {}), ("mixture", {"weights": [0.5, 0.5], "means": [[0, 0], [1, 1]],
                                  "scales": [[1, 1], [1, 2]], "corrs": [0.5, -0.5]}),
    ("uniform_noise", {}), ("uniform_noise", {"d": 2, "noise": 3.0}),
    ("independent", {}), ("independent", {"dx": 2, "dy": 1, "kind": "cauchy"}),
    ("independent", {"kind": "student", "dx": 3}),
    ("gaussian", {}), ("gaussian", {"dx": 25, "dy": 25, "kind": "sparse", "seed": 4}),
    ("near_deterministic", {}), ("near_deterministic", {"d": 4, "noise": 1e-3}),
    ("sine", {}), ("sine", {"freq": 5.0, "noise": 0.05}),
]


def test_every_family_is_registered() -> None:
    assert set(tasks.TASKS) == {
        "mg", "hg", "student", "monotone", "swirl", "mixture", "uniform_noise", "independent",
        "gaussian", "near_deterministic", "narrow_mixture", "shells", "curved",
        "partly_independent", "sine"}
    for name, cls in tasks.TASKS.items():
        assert cls.name == name and isinstance(tasks.get(name), cls)


@pytest.mark.parametrize("name, params", FAMILIES)
def test_task_contract(name: str, params: dict) -> None:
    task = tasks.get(name, **params)
    x, y = task.sample(64, seed=5)
    again = task.sample(64, seed=5)
    other = task.sample(64, seed=6)
    assert x.ndim == y.ndim == 2 and len(x) == len(y) == 64
    assert x.dtype == y.dtype == np.float64 and np.isfinite(x).all() and np.isfinite(y).all()
    np.testing.assert_array_equal(x, again[0])
    np.testing.assert_array_equal(y, again[1])
    assert not np.array_equal(x, other[0]) and not np.array_equal(y, other[1])
    ent = task.entropies
    assert set(ent) == {"x", "y", "xy"} and all(math.isfinite(v) for v in ent.values())
    mi = task.mutual_information
    assert mi >= 0 and abs(ent["x"] + ent["y"] - ent["xy"] - mi) < 1e-9
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.name = "other"  # type: ignore[misc]
    assert hash(task) == hash(tasks.get(name, **params))  # lists were frozen into tuples


@pytest.mark.parametrize("name, params", [
    ("student", {"dof": 0}), ("student", {"dof": -1.0}), ("student", {"dof": math.inf}),
    ("student", {"rho": 1.0}), ("student", {"dx": 0}), ("student", {"dy": 1.5}),
    ("student", {"dof": True}), ("student", {"rho": "0.5"}),
    ("monotone", {"transform": "exp"}), ("monotone", {"rho": 1.0}), ("monotone", {"d": 0}),
    ("monotone", {"transform": 3}),
    ("swirl", {"d": 1}), ("swirl", {"strength": math.nan}), ("swirl", {"rho": -0.2}),
    ("mixture", {"weights": (0.5, 0.6), "means": ((0, 0), (1, 1)),
                 "scales": ((1, 1), (1, 1)), "corrs": (0, 0)}),
    ("mixture", {"weights": (1.0,)}), ("mixture", {"corrs": (1.0, 0.0, 0.0)}),
    ("mixture", {"scales": ((1, 1), (0, 1), (1, 1))}), ("mixture", {"means": "abc"}),
    ("mixture", {"means": ((0, 0, 0), (1, 1, 1), (2, 2, 2))}), ("mixture", {"weights": ()}),
    ("uniform_noise", {"noise": 0.0}), ("uniform_noise", {"d": -1}),
    ("independent", {"kind": "laplace"}), ("independent", {"dx": 0}),
    ("gaussian", {"kind": "banded"}), ("gaussian", {"strength": -1.0}),
    ("gaussian", {"seed": -3}), ("gaussian", {"dy": 0}),
    ("near_deterministic", {"noise": 0}), ("near_deterministic", {"d": 2.0}),
    ("student", {"nu": 3}), ("sine", {"freq": 0}), ("sine", {"noise": -0.1}),
    ("sine", {"noise": math.inf}), ("sine", {"freq": 100.0, "noise": 1e-3}),
])
def test_new_families_refuse_bad_parameters(name: str, params: dict) -> None:
    with pytest.raises(ValueError):
        tasks.get(name, **params)


def test_numpy_integers_and_floats_are_accepted() -> None:
    task = tasks.get("student", dof=np.float32(3.0), dx=np.int64(2), dy=np.int32(1))
    assert (task.dof, task.dx, task.dy) == (3.0, 2, 1)
    assert type(task.dx) is int and type(task.dof) is float
