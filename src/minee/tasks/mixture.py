"""A mixture of bivariate Gaussians for (X, Y) in R x R, with MI integrated on a grid."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .base import Task, check_n

__all__ = ["GaussianMixturePair"]


def _logsumexp(terms: np.ndarray) -> np.ndarray:
    """ln sum_k exp(terms[k]) over axis 0, without overflow or underflow."""
    return np.logaddexp.reduce(terms, axis=0)


def _as_floats(name: str, value: object, width: int | None) -> tuple:
    """``value`` as a tuple of floats (width None) or of float pairs (width 2)."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers, got {value!r}") from None
    shape_ok = arr.ndim == 1 if width is None else (arr.ndim == 2 and arr.shape[1] == width)
    if not shape_ok or len(arr) == 0 or not np.all(np.isfinite(arr)):
        form = "a non-empty sequence of finite numbers" if width is None else (
            f"a non-empty sequence of finite {width}-tuples")
        raise ValueError(f"{name} must be {form}, got {value!r}")
    if width is None:
        return tuple(float(v) for v in arr)
    return tuple(tuple(float(v) for v in row) for row in arr)


@dataclass(frozen=True)
class GaussianMixturePair(Task):
    r"""(X, Y) in R x R from a mixture of K bivariate normals.

    Component k has weight ``weights[k]``, mean ``means[k]`` = (mu_x, mu_y), standard
    deviations ``scales[k]`` = (s_x, s_y) and correlation ``corrs[k]``. The default has three
    well-separated components with correlations 0.8, -0.6 and 0: the dependence is partly
    the choice of component (which moves both means) and partly within-component correlation.

    Truth: p(x, y) = sum_k w_k N2(x, y; k) and the marginals are 1-D mixtures
    p(x) = sum_k w_k N(x; mu_x,k, s_x,k^2). H(X, Y) = -integral p ln p is integrated by the
    trapezoid rule on a grid (as MG's joint entropy): the integrand is smooth and decays like
    a Gaussian, so the equispaced rule is exponentially accurate; the grid spans 10 standard
    deviations beyond every component and its step is a tenth of the narrowest component's
    smallest principal standard deviation (2-D) or 1/50 of its smallest s (1-D).
    I = H(X) + H(Y) - H(X, Y) nats.
    """

    weights: tuple[float, ...] = (0.5, 0.3, 0.2)
    means: tuple[tuple[float, float], ...] = ((-2.5, -2.5), (0.0, 2.5), (2.5, -1.0))
    scales: tuple[tuple[float, float], ...] = ((1.0, 1.0), (0.7, 1.2), (1.0, 0.6))
    corrs: tuple[float, ...] = (0.8, -0.6, 0.0)
    name = "mixture"

    def __post_init__(self) -> None:
        fields = {"weights": _as_floats("weights", self.weights, None),
                  "means": _as_floats("means", self.means, 2),
                  "scales": _as_floats("scales", self.scales, 2),
                  "corrs": _as_floats("corrs", self.corrs, None)}
        if len({len(v) for v in fields.values()}) != 1:
            raise ValueError("weights, means, scales and corrs must have one entry per "
                             f"component, got lengths {[len(v) for v in fields.values()]}")
        w = np.array(fields["weights"])
        if np.any(w <= 0) or abs(w.sum() - 1) > 1e-9:
            raise ValueError(f"weights must be positive and sum to 1, got {self.weights!r}")
        if np.any(np.array(fields["scales"]) <= 0):
            raise ValueError(f"scales must be positive, got {self.scales!r}")
        if np.any(np.abs(fields["corrs"]) >= 1):
            raise ValueError(f"corrs must be in (-1, 1), got {self.corrs!r}")
        for key, value in fields.items():  # lists -> tuples: frozen and hashable
            object.__setattr__(self, key, value)

    def _params(self, ndim: int) -> tuple[np.ndarray, ...]:
        """Per-component (ln w, mu_x, mu_y, s_x, s_y, corr), each shape (K,) + (1,) * ndim to
        broadcast against ndim-dimensional points."""
        m, s = np.array(self.means), np.array(self.scales)
        cols = (np.log(self.weights), m[:, 0], m[:, 1], s[:, 0], s[:, 1], np.array(self.corrs))
        return tuple(np.asarray(c, dtype=float).reshape((-1,) + (1,) * ndim) for c in cols)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        check_n(n)
        rng = np.random.default_rng(seed)
        k = rng.choice(len(self.weights), size=n, p=np.array(self.weights))
        z1, z2 = rng.standard_normal(n), rng.standard_normal(n)
        _, mx, my, sx, sy, c = (p[k] for p in self._params(0))
        x = mx + sx * z1
        y = my + sy * (c * z1 + np.sqrt(1 - c**2) * z2)
        return x[:, None], y[:, None]

    def log_density(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """ln p(x, y) for broadcastable arrays x and y; the broadcast shape (nats)."""
        x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        logw, mx, my, sx, sy, c = self._params(x.ndim)
        u, v = (x - mx) / sx, (y - my) / sy
        r2 = 1 - c**2
        terms = (logw - np.log(2 * math.pi * sx * sy * np.sqrt(r2))
                 - (u * u - 2 * c * u * v + v * v) / (2 * r2))
        return _logsumexp(terms)

    def log_marginal(self, t: np.ndarray, axis: int) -> np.ndarray:
        """ln p(x) (axis 0) or ln p(y) (axis 1) at the points t; shape of t (nats)."""
        t = np.asarray(t, dtype=float)
        params = self._params(t.ndim)
        logw, mu, s = params[0], params[1 + axis], params[3 + axis]
        z = (t - mu) / s
        return _logsumexp(logw - np.log(s) - 0.5 * math.log(2 * math.pi) - 0.5 * z * z)

    def _grid(self, axis: int, step: float) -> tuple[np.ndarray, float]:
        mu, s = np.array(self.means)[:, axis], np.array(self.scales)[:, axis]
        lo, hi = float(np.min(mu - 10 * s)), float(np.max(mu + 10 * s))
        points = int(math.ceil((hi - lo) / step)) + 1
        grid, h = np.linspace(lo, hi, points, retstep=True)
        return grid, float(h)

    @cached_property
    def marginal_entropies(self) -> tuple[float, float]:
        """(H(X), H(Y)) in nats, by the trapezoid rule on 1-D grids."""
        out = []
        for axis in (0, 1):
            grid, h = self._grid(axis, float(np.min(np.array(self.scales)[:, axis])) / 50)
            logp = self.log_marginal(grid, axis)
            out.append(-h * float(np.sum(np.exp(logp) * logp)))
        return out[0], out[1]

    @cached_property
    def joint_entropy(self) -> float:
        """H(X, Y) in nats, by the trapezoid rule on a 2-D grid, summed in row blocks so the
        (K, rows, columns) intermediate stays small."""
        narrowest = min(
            float(np.sqrt(np.linalg.eigvalsh(
                [[sx * sx, c * sx * sy], [c * sx * sy, sy * sy]])[0]))
            for (sx, sy), c in zip(self.scales, self.corrs, strict=True))
        gx, hx = self._grid(0, narrowest / 10)
        gy, hy = self._grid(1, narrowest / 10)
        total = 0.0
        for start in range(0, len(gx), 128):
            logp = self.log_density(gx[start:start + 128, None], gy[None, :])
            total -= float(np.sum(np.exp(logp) * logp))
        return total * hx * hy

    @property
    def entropies(self) -> dict[str, float]:
        hx, hy = self.marginal_entropies
        return {"x": hx, "y": hy, "xy": self.joint_entropy}

    @property
    def mutual_information(self) -> float:
        hx, hy = self.marginal_entropies
        return hx + hy - self.joint_entropy
