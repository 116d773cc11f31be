"""Classic mutual-information estimators, for comparison with the neural ones (torch only).

* :func:`ksg`: the Kraskov-Stögbauer-Grassberger estimator 1 (k nearest neighbours,
  max-norm), model-free but biased towards 0 in many dimensions;
* :func:`gaussian_mi`: the mutual information of a Gaussian with the sample's correlation,
  exact for Gaussian data and a lower bound in general only when the dependence is linear.

Both return a float in nats, run on the CPU in float64, and need no scipy: pairwise
distances are computed with torch in row chunks, so memory stays bounded (about
:data:`CHUNK_ELEMENTS` distances at a time) while time grows as N^2.

Example:
    >>> import numpy as np
    >>> from minee.baselines import gaussian_mi, ksg
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(2000, 1)); y = x + rng.normal(size=(2000, 1))  # I = 0.347 nats
    >>> print(f"{gaussian_mi(x, y):.2f} {ksg(x, y):.2f}")
    0.34 0.34
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

__all__ = ["ksg", "gaussian_mi", "CHUNK_ELEMENTS"]

_SINGULAR = ("the sample correlation matrix is singular: gaussian_mi needs more rows than "
             "columns and no column that is a linear combination of others")

#: pairwise distances held at once by :func:`ksg` (float64: 8 bytes each, a few arrays)
CHUNK_ELEMENTS = 2**22


def ksg(x: Any, y: Any, k: int = 3, *, standardize: bool = True) -> float:
    r"""Kraskov-Stögbauer-Grassberger estimator 1 of I(X;Y), in nats (max-norm).

    $\psi(k) + \psi(N) - \langle \psi(n_x + 1) + \psi(n_y + 1) \rangle$, where
    $\epsilon_i$ is the max-norm distance from row i to its k-th nearest neighbour in the
    joint space (X, Y) and $n_x$ counts the other rows strictly closer than $\epsilon_i$
    to row i in X alone ($n_y$ likewise in Y).

    Arguments:
        x: samples, shape (N, dx) or (N,): an array, list, DataFrame or tensor.
        y: paired samples, shape (N, dy) or (N,).
        k: the neighbour order, 1 <= k < N (3 is the usual choice).
        standardize: scale every column to mean 0 and standard deviation 1 first. The
            max-norm compares coordinates directly, so without it a column in larger units
            dominates the neighbourhoods (and the estimate changes with the units).

    Returns:
        The estimate in nats. Repeated rows make the distances 0 and the estimate
        meaningless (as for any nearest-neighbour estimator): add a little noise first.

    Raises:
        ValueError: mismatched rows, non-finite values, k out of range, more than two
            dimensions, or a constant column with ``standardize=True``.
        TypeError: k is not an int.
    """
    xs, ys = _pair(x, y, "ksg")
    n = xs.shape[0]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an int, got {k!r}")
    if not 1 <= k < n:
        raise ValueError(f"k must be from 1 to N - 1 = {n - 1}, got {k}")
    if standardize:
        xs, ys = _standardized(xs, "x"), _standardized(ys, "y")
    nx, ny = _neighbour_counts(xs, ys, int(k))
    psi = torch.special.digamma
    constant = psi(torch.tensor([float(k), float(n)], dtype=torch.float64)).sum()
    return float(constant - (psi(nx + 1.0) + psi(ny + 1.0)).mean())


def gaussian_mi(x: Any, y: Any) -> float:
    r"""The mutual information of a Gaussian with the sample's correlation, in nats.

    $-\tfrac12 \ln \frac{\det R}{\det R_x \det R_y}$ with R the sample correlation
    matrix of (X, Y) and $R_x$, $R_y$ its diagonal blocks: exact (up to sampling error) for
    jointly Gaussian data, blind to any dependence that is not linear.

    Arguments:
        x: samples, shape (N, dx) or (N,).
        y: paired samples, shape (N, dy) or (N,).

    Returns:
        The estimate in nats (>= 0).

    Raises:
        ValueError: mismatched rows, non-finite values, a constant column, or a singular
            correlation matrix (fewer than dx + dy + 1 rows, or a column that is an exact
            linear combination of others).
    """
    xs, ys = _pair(x, y, "gaussian_mi")
    data = torch.cat([_standardized(xs, "x"), _standardized(ys, "y")], dim=1)
    corr = data.T @ data / (data.shape[0] - 1)  # (dx + dy, dx + dy)
    dx = xs.shape[1]
    # a singular matrix's determinant can come out as a small positive number, so the
    # rank is judged by the smallest eigenvalue against the largest
    eigenvalues = torch.linalg.eigvalsh(corr)
    if bool(eigenvalues[0] <= 1e-10 * eigenvalues[-1]):
        raise ValueError(_SINGULAR)
    logdets = []
    for block in (corr, corr[:dx, :dx], corr[dx:, dx:]):
        sign, logdet = torch.linalg.slogdet(block)
        if sign <= 0 or not torch.isfinite(logdet):
            raise ValueError(_SINGULAR)
        logdets.append(logdet)
    return max(0.0, float(-0.5 * (logdets[0] - logdets[1] - logdets[2])))


def _pair(x: Any, y: Any, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Both inputs as float64 CPU tensors (N, d), checked: same rows, finite, 2-D."""
    xs, ys = _matrix(x, "x", name), _matrix(y, "y", name)
    if xs.shape[0] != ys.shape[0]:
        raise ValueError(f"{name}: x and y must have the same number of rows, got "
                         f"{xs.shape[0]} and {ys.shape[0]}")
    if xs.shape[0] < 2:
        raise ValueError(f"{name} needs at least 2 rows, got {xs.shape[0]}")
    return xs, ys


def _matrix(data: Any, label: str, name: str) -> torch.Tensor:
    """One input as a float64 CPU tensor of shape (N, d); a 1-D input is one column."""
    if isinstance(data, torch.Tensor):
        out = data.detach().to("cpu", torch.float64)
    else:
        try:
            out = torch.from_numpy(np.asarray(data, dtype=np.float64).copy())
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {label} must be numeric ({exc})") from None
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2 or out.shape[1] == 0:
        raise ValueError(f"{name}: {label} must have shape (N, d) or (N,), got "
                         f"{tuple(out.shape)}")
    if not torch.isfinite(out).all():
        raise ValueError(f"{name}: {label} contains NaN or infinite values")
    return out


def _standardized(data: torch.Tensor, label: str) -> torch.Tensor:
    """Columns shifted to mean 0 and scaled to standard deviation 1."""
    sd = data.std(dim=0)
    if (sd == 0).any():
        column = int(torch.nonzero(sd == 0)[0])
        raise ValueError(f"column {column} of {label} is constant: it carries no "
                         "information and cannot be standardised")
    return (data - data.mean(dim=0)) / sd


def _neighbour_counts(x: torch.Tensor, y: torch.Tensor, k: int
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per row, n_x and n_y of KSG estimator 1 (float64 tensors, shape (N,)).

    Distances are taken for a chunk of rows against all rows at a time, so at most about
    :data:`CHUNK_ELEMENTS` of them are held per array.
    """
    n = x.shape[0]
    chunk = max(1, CHUNK_ELEMENTS // n)
    nx, ny = torch.empty(n, dtype=torch.float64), torch.empty(n, dtype=torch.float64)
    for start in range(0, n, chunk):
        rows = slice(start, min(start + chunk, n))
        # max-norm distances: cdist with p = inf is |a - b| maximised, no matmul shortcut,
        # so the values are the exact ones a k-d tree compares
        dist_x = torch.cdist(x[rows], x, p=math.inf)  # (chunk, N)
        dist_y = torch.cdist(y[rows], y, p=math.inf)
        joint = torch.maximum(dist_x, dist_y)
        # the (k+1)-th smallest counts the row itself (distance 0) as neighbour 0
        eps = torch.kthvalue(joint, k + 1, dim=1).values[:, None]
        # "strictly closer" as a radius one ulp below eps, so that eps = 0 (repeated rows)
        # still counts the row itself, which the "- 1" then removes
        radius = torch.nextafter(eps, torch.zeros_like(eps))
        nx[rows] = (dist_x <= radius).sum(dim=1) - 1
        ny[rows] = (dist_y <= radius).sum(dim=1) - 1
    return nx, ny
