"""A non-monotone map: Y = sin(f X) + s Z with X and Z independent standard normals."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from .base import LOG_2PIE, Task, check_n, fix_real

__all__ = ["SineNoise"]


@dataclass(frozen=True)
class SineNoise(Task):
    r"""X ~ N(0, 1) and Y = sin(f X) + s Z, Z ~ N(0, 1) independent of X; f = ``freq``,
    s = ``noise``; one column each.

    Each y is reached from several x (the map folds the line), so no monotone transform
    of the columns makes the dependence linear. Given X, Y is N(sin(fX), s^2), so
    h(Y | X) = ln(2 pi e s^2) / 2 and

        I = h(Y) - ln(2 pi e s^2) / 2   nats,

    with Y's density p(y) = E[phi_s(y - sin(f X))], an expectation of an entire function
    under the normal law: the trapezoid rule on an equispaced grid of x (spacing at most
    s / (4 f) and 0.05, |x| <= 10) is exponentially accurate for it, and h(Y) = -\int p ln p is
    integrated by the same rule on y in [-1 - 12 s, 1 + 12 s] (spacing s / 20), beyond
    which p is below 1e-31.

    Entropies: H(X) = ln(2 pi e) / 2, H(X, Y) = H(X) + h(Y | X), H(Y) = h(Y).
    """

    freq: float = 2.0
    noise: float = 0.3
    name = "sine"

    def __post_init__(self) -> None:
        fix_real(self, "freq", 0.0)
        fix_real(self, "noise", 0.0)
        if math.prod(_grid_sizes(self.freq, self.noise)) > _WORK:
            raise ValueError(f"freq / noise = {self.freq / self.noise:.3g} and noise "
                             f"{self.noise:g} need too fine a grid for the true MI; raise "
                             "noise or lower freq")

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        check_n(n)
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n, 1))
        return x, np.sin(self.freq * x) + self.noise * rng.standard_normal((n, 1))

    @property
    def entropies(self) -> dict[str, float]:
        h_x = LOG_2PIE / 2
        return {"x": h_x, "y": output_entropy(self.freq, self.noise),
                "xy": h_x + LOG_2PIE / 2 + math.log(self.noise)}

    @property
    def mutual_information(self) -> float:
        return output_entropy(self.freq, self.noise) - LOG_2PIE / 2 - math.log(self.noise)


#: the most grid points (x times y) a truth is integrated on: ~20 s
_WORK = 2e9


def _grid_sizes(freq: float, noise: float) -> tuple[int, int]:
    """Intervals of the x grid (spacing <= noise / (4 freq) and <= 0.05 over |x| <= 10:
    the normal weights need the second where the map is slow) and of the y grid (spacing
    noise / 20 over [-1 - 12 noise, 1 + 12 noise])."""
    return max(math.ceil(80 * freq / noise), 400), math.ceil(40 * (1 + 12 * noise) / noise)


@functools.lru_cache(maxsize=64)
def output_entropy(freq: float, noise: float, refine: int = 1) -> float:
    """h(Y) in nats for Y = sin(freq X) + noise Z (see :class:`SineNoise`); ``refine``
    divides both grids' spacing (a check of their convergence)."""
    nx, ny = _grid_sizes(freq, noise)
    x, dx = np.linspace(-10.0, 10.0, refine * nx + 1, retstep=True)
    weights = dx * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    reach = 1 + 12 * noise
    y, dy = np.linspace(-reach, reach, refine * ny + 1, retstep=True)
    means = np.sin(freq * x)
    density = np.empty_like(y)
    block = max(1, 2**22 // x.size)  # (block, len(x)) at a time: ~32 MB
    for start in range(0, y.size, block):
        part = (y[start:start + block, None] - means) / noise
        density[start:start + block] = np.exp(-0.5 * part * part) @ weights
    density /= noise * math.sqrt(2 * math.pi)
    safe = np.where(density > 0, density, 1.0)
    return float(-dy * np.sum(density * np.log(safe)))
