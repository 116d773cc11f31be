"""Bounded support: Y = X + uniform noise with X uniform on the unit cube."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import Task, check_n, fix_int, fix_real

__all__ = ["UniformNoise"]


@dataclass(frozen=True)
class UniformNoise(Task):
    r"""X ~ Uniform[0, 1]^d and Y = X + a U, U ~ Uniform[0, 1]^d independent of X, a = noise.

    Per coordinate Y has the trapezoidal density (the convolution of U(0, 1) and U(0, a)):
    with s = min(1, a) and L = max(1, a), p(y) rises linearly on [0, s], is flat at 1/L on
    [s, L] and falls linearly on [L, 1 + a]. Integrating -p ln p over the two ramps
    (together a c^2 (1/2 - ln c), c = 1/L) and the plateau ((L - s) c (-ln c)) gives
    h(Y) = ln L + s / (2L): a/2 for a <= 1, ln a + 1/(2a) for a >= 1 (1/2, the triangular
    law's entropy, at a = 1). Since h(Y | X) = h(aU) = ln a,

        I = d [h(Y) - ln a] = d (a/2 - ln a)   (a <= 1),   d / (2a)   (a >= 1)   nats.

    Entropies: H(X) = 0 (unit cube), H(Y) = d h(Y), H(X, Y) = H(X) + H(Y | X) = d ln a.
    """

    d: int = 1
    noise: float = 0.5
    name = "uniform_noise"

    def __post_init__(self) -> None:
        fix_int(self, "d")
        fix_real(self, "noise", 0.0)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        check_n(n)
        rng = np.random.default_rng(seed)
        x = rng.random((n, self.d))
        return x, x + self.noise * rng.random((n, self.d))

    @property
    def entropies(self) -> dict[str, float]:
        a = self.noise
        h_y = a / 2 if a <= 1 else math.log(a) + 1 / (2 * a)
        return {"x": 0.0, "y": self.d * h_y, "xy": self.d * math.log(a)}

    @property
    def mutual_information(self) -> float:
        a = self.noise
        return self.d * (a / 2 - math.log(a) if a <= 1 else 1 / (2 * a))
