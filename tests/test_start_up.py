"""What a process pays before its first estimate: no scipy.stats or scipy.optimize on the
estimate's path (each costs ~0.3 CPU-s to import), and the bounded search that replaces
scipy's takes scipy's steps exactly."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import optimize

from minee.data.t_density import argmax_bounded

FUNCTIONS = {
    "quadratic": lambda v: -(v - 1.3) ** 2,
    "kink": lambda v: -abs(v - 2.0),
    "sine": math.sin,
    "skewed": lambda v: -math.cosh(v - 0.1) + 0.01 * v**3,
    "flat bottom": lambda v: -(v - 4.9) ** 4,
    "rising": lambda v: v,
    "falling": lambda v: -v,
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize(("low", "high", "tol"), [(-1.0, 5.0, 1e-4), (0.0, 3.0, 1e-6),
                                                  (math.log(0.5), math.log(1000.0), 1e-4)])
def test_the_bounded_search_finds_scipys_point_exactly(name: str, low: float, high: float,
                                                        tol: float) -> None:
    f = FUNCTIONS[name]
    scipy_x = optimize.minimize_scalar(lambda v: -f(v), bounds=(low, high), method="bounded",
                                       options={"xatol": tol}).x
    assert argmax_bounded(f, low, high, tol) == float(scipy_x)


def test_the_t_likelihood_search_matches_scipy_on_data() -> None:
    rng = np.random.default_rng(3)
    z = rng.standard_t(3.0, size=2000)

    def likelihood(log_dof: float) -> float:
        dof = math.exp(log_dof)
        return float(np.mean(math.lgamma((dof + 1) / 2) - math.lgamma(dof / 2)
                             - 0.5 * math.log(dof * math.pi) - (dof + 1) / 2
                             * np.log1p(z**2 / dof)))

    low, high = math.log(0.5), math.log(1000.0)
    scipy_x = optimize.minimize_scalar(lambda v: -likelihood(v), bounds=(low, high),
                                       method="bounded", options={"xatol": 1e-4}).x
    assert argmax_bounded(likelihood, low, high) == float(scipy_x)
    assert 2.0 < math.exp(scipy_x) < 4.5


def test_an_estimate_imports_neither_scipy_stats_nor_scipy_optimize() -> None:
    code = ("import sys, numpy as np, minee\n"
            "rng = np.random.default_rng(0)\n"
            "x = rng.normal(size=(300, 2)); y = x + rng.normal(size=(300, 2))\n"
            "minee.mutual_information(x, y, seed=0, max_steps=20)\n"
            "minee.entropy(x, seed=0, max_steps=20)\n"
            "print(sorted(m for m in ('scipy.stats', 'scipy.optimize') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    assert out == "[]"
