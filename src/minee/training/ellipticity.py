r"""Whether a sample is elliptical: what an estimate read off a Student-t reference assumes.

Where the fitted Student-t is kept as the reference and the critics add nothing on
held-out rows (in many columns they rarely do), an MI estimate is the t's own reading:
exact for elliptical dependence, blind to any other (a curved manifold in 10-20 columns a
side reads as the MI of its elliptical part, 17-27% low). An elliptical law whitened by its
scatter has a direction independent of its radius (Fang, Kotz and Ng 1990), so each row's
$\ln r$ is uncorrelated with every product $u_i u_j$ of its direction $u$ (about the
law's centre: the fitted t's location).
:func:`radius_direction` measures those correlations against their permutation null. The
scatter is Tyler's (1987) M-estimator, consistent up to scale for every elliptical law;
fitted on the same rows, it leaves a small dependence of its own in many columns (the
statistic reads 1.1-1.2 times its null mean on Gaussians in 20-40 columns), hence a least
ratio besides the p-value. A law that is not elliptical says nothing of the estimate where
the critics learned what the t missed (a parabola under noise: they add 0.6 nats, right):
only an MI to which they added nothing is tested (:func:`learned`).

numpy float64 on one member's rows (n, d).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..convergence import LEAST_MOVE

__all__ = ["RadiusDirection", "radius_direction", "can_test", "learned", "tyler_shape",
           "ALPHA", "LEAST_RATIO", "MAX_ROWS"]

#: the permutation p-value at or below which the direction depends on the radius
ALPHA = 0.01
#: the least ratio of the statistic to its permutation mean that counts (above what
#: fitting the scatter on the same rows leaves on elliptical laws in 20-40 columns)
LEAST_RATIO = 1.3
_PERMUTATIONS = 199
#: the most rows tested (a seeded subsample above it): the statistic's products take
#: rows x d (d + 1) / 2 floats, 51 MB at 25 + 25 columns
MAX_ROWS = 5000


class RadiusDirection(NamedTuple):
    """The outcome of :func:`radius_direction`.

    Attributes:
        ratio: the statistic over its mean under permutation (about 1 when elliptical).
        p: its permutation p-value.
    """

    ratio: float
    p: float

    @property
    def rejects(self) -> bool:
        """Whether the sample is clearly not elliptical (both thresholds passed)."""
        return self.p <= ALPHA and self.ratio >= LEAST_RATIO

    def reason(self, correction: float) -> str:
        """The test in words, for the ``shape_unresolved`` flag, with what the critics
        added to the reference's reading (``correction``, nats)."""
        return (f"the joint law is not elliptical (each row's direction depends on its "
                f"radius: {self.ratio:.2f} times the permutation mean, p = {self.p:.2g}) "
                f"while the Student-t reference is, and the critics added only "
                f"{correction:+.3g} nats to its reading: dependence beyond its elliptical "
                f"part is missing from the estimate")


def learned(correction: float) -> bool:
    """Whether critics that moved an MI reference's reading by ``correction`` nats learned
    something beyond it: at least :data:`~minee.convergence.LEAST_MOVE` either way. Then
    they may have learned all of the rest (a parabola under noise: +0.6 nats, right), and
    the test has nothing to say."""
    return abs(correction) >= LEAST_MOVE


def tyler_shape(z: np.ndarray, steps: int = 100, tol: float = 1e-7) -> np.ndarray:
    """Tyler's shape matrix (d, d), trace d, of centred rows ``z`` (n, d), none at 0."""
    n, d = z.shape
    shape = np.cov(z.T)
    for _ in range(steps):
        q = np.einsum("ni,ni->n", z @ np.linalg.inv(shape), z)
        new = d / n * (z / q[:, None]).T @ z
        new *= d / np.trace(new)
        done = np.abs(new - shape).max() < tol
        shape = new
        if done:
            break
    return shape


def can_test(rows: int, columns: int) -> bool:
    """Whether ``rows`` outnumber the direction products of ``columns`` columns."""
    return columns * (columns + 1) // 2 < rows


def radius_direction(z: np.ndarray, centre: np.ndarray, seed: int) -> RadiusDirection | None:
    """Test rows ``z`` (n, d) for a direction independent of the radius about ``centre``
    (d,) (a fitted elliptical law's location).

    Rows are whitened by :func:`tyler_shape`; the statistic is the squared norm of the
    covariances of the standardised ``ln r`` with the products ``u_i u_j`` (i <= j), and
    its null is ``ln r`` permuted (199 times, drawn with ``seed``). Above
    :data:`MAX_ROWS` rows a seeded subsample of that many is tested (the products take
    n d (d + 1) / 2 floats).

    Returns:
        the test, or ``None`` where it cannot be made: fewer rows than products
        (:func:`can_test`), or a shape matrix that is singular to working precision.
    """
    rng = np.random.default_rng(seed)
    if len(z) > MAX_ROWS:
        z = z[np.sort(rng.permutation(len(z))[:MAX_ROWS])]
    z = z - centre
    z = z[np.any(z != 0, axis=1)]  # a row at the centre has no direction
    n, d = z.shape
    if not can_test(n, d):
        return None
    try:
        w = np.linalg.solve(np.linalg.cholesky(tyler_shape(z)), z.T).T
    except np.linalg.LinAlgError:  # near-collinear columns: no ellipse to test against
        return None
    radius = np.linalg.norm(w, axis=1)
    i, j = np.triu_indices(d)
    products = (w[:, i] * w[:, j]) / radius[:, None] ** 2
    label = np.log(radius)
    label = (label - label.mean()) / label.std()  # mean 0: the products need no centring
    shuffled = rng.permuted(np.tile(label, (_PERMUTATIONS, 1)), axis=1)
    stat = ((np.vstack([label, shuffled]) @ products) ** 2).sum(1)
    if not np.all(np.isfinite(stat)):
        return None
    return RadiusDirection(float(stat[0] / stat[1:].mean()),
                           float((1 + (stat[1:] >= stat[0]).sum()) / (_PERMUTATIONS + 1)))
