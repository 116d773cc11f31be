"""Shaped dependence: narrow Gaussian mixtures along curves and noisy spherical shells (the
twisted and diluted Gaussians are in :mod:`minee.tasks.shaped_gaussians`). Truths without a
closed form are Monte Carlo means with standard errors (:class:`MonteCarloTask`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .base import Task, check_n, fix_choice, fix_int, fix_real

__all__ = ["MonteCarloTask", "NarrowMixture", "Shells", "LAYOUTS", "TRUTH_SEED", "TRUTH_DRAWS",
           "column_means"]

TRUTH_SEED = 20_251_107  # fixed, so a truth is the same number on every run and machine
TRUTH_DRAWS = 1 << 20  # 1 048 576 (>= 1e6) Monte Carlo draws per truth
_CHUNK = 1 << 14  # rows per chunk: the (K, chunk) intermediates stay at 8 MB for K = 64
_MAX_K = 64  # the mixtures' truths cost O(K) per draw; this keeps each under ~2 s
_LOG_2PI = math.log(2 * math.pi)
_Pointwise = Callable[[np.random.Generator, int], np.ndarray]
_KEYS = ("mi", "x", "y", "xy")

# (dx, dy) of each NarrowMixture layout
LAYOUTS: dict[str, tuple[int, int]] = {"ring": (1, 1), "waves": (2, 1), "letters": (1, 1)}

# "MI" in block capitals inside [-1, 1]^2: polylines of (x, y) vertices
_STROKES = (((-1.0, -1.0), (-1.0, 1.0), (-0.6, 0.0), (-0.2, 1.0), (-0.2, -1.0)),
            ((0.3, 1.0), (0.9, 1.0)), ((0.6, 1.0), (0.6, -1.0)), ((0.3, -1.0), (0.9, -1.0)))


def column_means(pointwise: _Pointwise, seed: int, draws: int) -> tuple[np.ndarray, np.ndarray]:
    """Means and standard errors of the columns of ``pointwise(rng, m)`` (shape (m, c)) over
    ``draws`` >= 2 rows drawn from ``default_rng(seed)``: two arrays (c,). Rows come
    ``_CHUNK`` at a time so that pointwise's (m, K) intermediates stay small."""
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 2:
        raise ValueError(f"draws must be an int >= 2, got {draws!r}")
    rng = np.random.default_rng(seed)
    values = np.concatenate([pointwise(rng, min(_CHUNK, draws - start))
                             for start in range(0, draws, _CHUNK)])
    return values.mean(axis=0), values.std(axis=0, ddof=1) / math.sqrt(draws)


def _logsumexp(terms: np.ndarray) -> np.ndarray:
    """ln sum exp over axis 0 (components first: the reductions run along contiguous rows),
    shifted by the maximum so nothing overflows; modifies terms."""
    top = terms.max(axis=0)
    terms -= top
    return top + np.log(np.exp(terms, out=terms).sum(axis=0))


def _isotropic_logpdf(z: np.ndarray, means: np.ndarray, width: float) -> np.ndarray:
    """ln of the equal mixture of N(means[k], width^2 I) at the rows of z: (m, D), (K, D) ->
    (m,). -|z - mu|^2 / (2 w^2) is split into mu.z / w^2 - |mu|^2 / (2 w^2) and -|z|^2 /
    (2 w^2), common to all k and so outside the sum: rounding costs ~1e-16 |z| |mu| / w^2 nats
    (< 1e-9 for width >= 1e-3 and |z|, |mu| ~ 1). Outer products, not a matrix product:
    BLAS threads only slow a product with D <= 3 terms down."""
    inv = 1.0 / (width * width)
    terms = -(0.5 * inv * np.sum(means * means, axis=1))[:, None]  # (K, 1), then (K, m)
    for j in range(z.shape[1]):
        terms = terms + np.multiply.outer(means[:, j] * inv, z[:, j])
    return (_logsumexp(terms) - 0.5 * inv * np.sum(z * z, axis=1) - math.log(len(means))
            - z.shape[1] * (0.5 * _LOG_2PI + math.log(width)))


class MonteCarloTask(Task):
    """A task whose truths are Monte Carlo means over :data:`TRUTH_DRAWS` draws from the fixed
    :data:`TRUTH_SEED` (the same numbers on every run), with standard errors (nats)."""

    def monte_carlo(self, seed: int, draws: int = TRUTH_DRAWS) -> dict[str, tuple[float, float]]:
        """``{"mi", "x", "y", "xy"}`` -> (estimate, standard error) in nats, from ``draws``
        draws of ``default_rng(seed)``: by default the means of ``_pointwise``'s columns
        ln p(x, y) - ln p(x) - ln p(y), -ln p(x), -ln p(y) and -ln p(x, y)."""
        mean, err = column_means(self._pointwise, seed, draws)
        return {key: (float(mean[i]), float(err[i])) for i, key in enumerate(_KEYS)}

    def _pointwise(self, rng: np.random.Generator, m: int) -> np.ndarray:
        raise NotImplementedError

    @cached_property
    def truths(self) -> dict[str, tuple[float, float]]:
        """``monte_carlo(TRUTH_SEED)``, computed once: {"mi", "x", "y", "xy"} -> (estimate,
        standard error), nats (standard error 0 where exact)."""
        return self.monte_carlo(TRUTH_SEED)

    @property
    def mutual_information(self) -> float:
        return self.truths["mi"][0]

    @property
    def truth_stderr(self) -> float:
        """The Monte Carlo standard error of :attr:`mutual_information`, nats."""
        return self.truths["mi"][1]

    @property
    def entropies(self) -> dict[str, float]:
        return {key: self.truths[key][0] for key in _KEYS[1:]}


def _stroke_points(k: int) -> np.ndarray:
    """k points evenly spaced by arc length along _STROKES (midpoints of k equal pieces of the
    total length), shape (k, 2)."""
    starts = np.array([a for stroke in _STROKES for a in stroke[:-1]])
    ends = np.array([b for stroke in _STROKES for b in stroke[1:]])
    lengths = np.linalg.norm(ends - starts, axis=1)
    cum = np.concatenate([[0.0], np.cumsum(lengths)])
    at = (np.arange(k) + 0.5) * cum[-1] / k
    seg = np.searchsorted(cum, at, side="right") - 1
    return starts[seg] + ((at - cum[seg]) / lengths[seg])[:, None] * (ends[seg] - starts[seg])


def _fix_components(task: Task) -> None:
    if fix_int(task, "k") > _MAX_K:
        raise ValueError(f"k must be an int in [1, {_MAX_K}] (the truth costs O(k)), "
                         f"got {task.k}")  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NarrowMixture(MonteCarloTask):
    r"""An equal mixture of ``k`` isotropic normals N(mu_j, width^2 I) in R^(dx+dy), the means
    laid along a curve; X is the first dx columns, Y the rest. ``layout``:

    - "ring" (1+1): mu_j = (cos t_j, sin t_j), t_j = 2 pi j / k (the unit circle);
    - "waves" (2+1): mu_j = (t_j, cos(pi t_j), sin(2 pi t_j)), t_j evenly spaced on [-1, 1];
    - "letters" (1+1): k points evenly spaced by arc length along the strokes of "MI".

    Truth: each marginal is the mixture of the components' marginals, so ln p(x, y), ln p(x)
    and ln p(y) are exact, and I = E[ln p(x, y) - ln p(x) - ln p(y)] and H = -E ln p are Monte
    Carlo means. As width -> 0, I tends to the discrete MI of the x and y parts of the means.
    """

    layout: str = "ring"
    k: int = 16
    width: float = 0.05
    name = "narrow_mixture"

    def __post_init__(self) -> None:
        fix_choice(self, "layout", LAYOUTS)
        _fix_components(self)
        fix_real(self, "width", 1e-3, low_closed=True)  # see _isotropic_logpdf

    @cached_property
    def means(self) -> np.ndarray:
        """The component means, shape (k, dx + dy) (do not modify)."""
        if self.layout == "letters":
            return _stroke_points(self.k)
        if self.layout == "ring":
            t = 2 * np.pi * np.arange(self.k) / self.k
            return np.stack([np.cos(t), np.sin(t)], axis=1)
        t = np.linspace(-1.0, 1.0, self.k)
        return np.stack([t, np.cos(np.pi * t), np.sin(2 * np.pi * t)], axis=1)

    def _draw(self, rng: np.random.Generator, n: int) -> list[np.ndarray]:
        pick = rng.integers(self.k, size=n)
        z = self.means[pick] + self.width * rng.standard_normal((n, self.means.shape[1]))
        return np.split(z, [LAYOUTS[self.layout][0]], axis=1)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        check_n(n)
        x, y = self._draw(np.random.default_rng(seed), n)
        return x.copy(), y.copy()

    def log_densities(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        """(ln p(x, y), ln p(x), ln p(y)) at rows x (n, dx), y (n, dy): three (n,), nats."""
        dx, mu = x.shape[1], self.means
        return (_isotropic_logpdf(np.hstack([x, y]), mu, self.width),
                _isotropic_logpdf(x, mu[:, :dx], self.width),
                _isotropic_logpdf(y, mu[:, dx:], self.width))

    def _pointwise(self, rng: np.random.Generator, m: int) -> np.ndarray:
        lxy, lx, ly = self.log_densities(*self._draw(rng, m))
        return np.stack([lxy - lx - ly, -lx, -ly, -lxy], axis=1)


@dataclass(frozen=True)
class Shells(MonteCarloTask):
    r"""Noisy spherical shells: shell s uniform on {0, ..., k-1}, radius r_s = s + 1,
    R = |r_s + radial_sd Z|, X = R U with U uniform on the unit sphere of R^dx, and
    Y = r_s + noise Z' (dy = 1); Z, Z' ~ N(0, 1) and U independent.

    The fold |.| changes nothing: U is symmetric, so (r_s + sd Z) U has the law of
    |r_s + sd Z| U, and R has the folded-normal mixture density on rho > 0
    p(rho) = (1/k) sum_s f_s(rho), f_s(rho) = [phi((rho - r_s)/sd) + phi((rho + r_s)/sd)] / sd.

    Truth: p(x | s) = f_s(|x|) / (S |x|^(dx-1)), S = 2 pi^(dx/2) / Gamma(dx/2) the sphere's
    area, depends on x through R = |x| alone, so R is sufficient and I(X; Y) = I(R; Y), where
    p(rho, y) = (1/k) sum_s f_s(rho) N(y; r_s, noise^2): a Monte Carlo mean of
    ln p(R, Y) - ln p(R) - ln p(Y). With the sphere's Jacobian, H(X) = H(R) + ln S +
    (dx - 1) E ln R and H(X, Y) = H(R, Y) + ln S + (dx - 1) E ln R, also Monte Carlo means.
    """

    dx: int = 3
    k: int = 4
    radial_sd: float = 0.1
    noise: float = 0.3
    name = "shells"

    def __post_init__(self) -> None:
        fix_int(self, "dx")
        _fix_components(self)
        fix_real(self, "radial_sd", 0.0)
        fix_real(self, "noise", 0.0)

    def _draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(R, Y), each (n,)."""
        centre = rng.integers(self.k, size=n) + 1.0
        radius = np.abs(centre + self.radial_sd * rng.standard_normal(n))
        return radius, centre + self.noise * rng.standard_normal(n)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        check_n(n)
        rng = np.random.default_rng(seed)
        radius, y = self._draw(rng, n)
        u = rng.standard_normal((n, self.dx))  # isotropic, so u / |u| is uniform on the sphere
        return radius[:, None] * u / np.linalg.norm(u, axis=1, keepdims=True), y[:, None]

    def radial_log_densities(self, radius: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        """(ln p(R, Y), ln p(R), ln p(Y)) at R = radius (n,) > 0 and y (n,): three (n,), nats.
        (ln p(x) = ln p(R) - ln S - (dx - 1) ln R, R = |x|, likewise ln p(x, y).)"""
        r, sd, tau = np.arange(1.0, self.k + 1.0)[:, None], self.radial_sd, self.noise
        # ln f_s(R) + ln(sd sqrt(2 pi)) = -(R - r)^2 / (2 sd^2) + ln(1 + e^(-2 R r / sd^2)),
        # the fold's mirror term a factor <= 1 (R, r > 0): no overflow, no cancellation
        fold = -((radius - r) / sd) ** 2 / 2
        near = radius < 20 * sd**2  # elsewhere e^(-2 R r / sd^2) < e^-40 is below rounding
        fold[:, near] += np.log1p(np.exp(-2 * radius[near] * r / sd**2))
        gy = -((y - r) / tau) ** 2 / 2  # (k, n), like fold
        lr, ly = (math.log(self.k) + 0.5 * _LOG_2PI + math.log(s) for s in (sd, tau))
        joint = _logsumexp(fold + gy) - lr - ly + math.log(self.k)
        return joint, _logsumexp(fold) - lr, _logsumexp(gy) - ly

    def _pointwise(self, rng: np.random.Generator, m: int) -> np.ndarray:
        radius, y = self._draw(rng, m)
        lry, lr, ly = self.radial_log_densities(radius, y)
        log_area = math.log(2) + 0.5 * self.dx * math.log(math.pi) - math.lgamma(self.dx / 2)
        jac = log_area + (self.dx - 1) * np.log(radius)  # -ln p(x) = -ln p(R) + jac
        return np.stack([lry - lr - ly, jac - lr, -ly, jac - lry], axis=1)
