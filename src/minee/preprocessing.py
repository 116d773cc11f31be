r"""Per-column transforms applied before estimation, and what they do to the answer.

* ``"standardize"``: $z_j = (x_j - \bar x_j) / s_j$. Affine, so every entropy shifts by a
  known constant, $H(X_S) = H(Z_S) + \sum_{j \in S} \ln s_j$; the estimators add it back,
  so entropies are reported for the data as given. Mutual information (and conditional MI)
  is unchanged: the constants cancel in $H(X) + H(Y) - H(X,Y)$.
* ``"rank"``: the Gaussian copula (normal scores) transform
  $z_j = \Phi^{-1}(\mathrm{rank}(x_j) / (n + 1))$, ties sharing their mean rank. Strictly
  increasing per column, so MI is unchanged in the population, while outliers and heavy
  tails no longer drive training. It is not affine: the entropies that come out are those of
  the transformed data (each column then is close to a standard normal), **not** of the
  data as given.
* ``"none"``: the data as given. Every affine transform, this one included, is applied
  in float64 before the float32 cast: each column is centred and scaled, and the entropies
  are corrected back exactly (as for ``"standardize"``), so an offset of 1e8 or a scale of
  1e30 gives the answer of the unshifted, unscaled data; a column whose values float32
  cannot tell apart is named in an error.

The minee default preset already standardises the critics' inputs inside the network
(``scale_inputs``), a reparametrisation that leaves every estimate's definition unchanged;
``"standardize"`` here also moves the references (useful with ``reference="uniform"`` on
columns of very different scales).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["TRANSFORMS", "transform"]

TRANSFORMS = ("none", "standardize", "rank")


def transform(data: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Transform each column of a sample.

    Arguments:
        data: samples, shape (n, D).
        method: one of :data:`TRANSFORMS`.

    Returns:
        ``(transformed, log_scale)``: the transformed sample (n, D) and, for an affine
        transform, ``ln`` of each column's scale factor (D,), which is added back to the
        entropy of every column set containing that column (nats); ``None`` when the
        transform is not affine (entropies then refer to the transformed data).

    Raises:
        ValueError: an unknown method.
    """
    if method in ("none", "standardize"):
        scale = data.std(axis=0, ddof=1)
        z = (data - data.mean(axis=0)) / scale
        _check_resolution(data, z)
        return z, np.log(scale)
    if method == "rank":
        ranks = np.stack([_mean_ranks(col) for col in data.T], axis=1)
        quantiles = torch.as_tensor(ranks / (data.shape[0] + 1), dtype=torch.float64)
        return torch.special.ndtri(quantiles).numpy(), None
    raise ValueError(f"unknown preprocess {method!r}; choose one of {', '.join(TRANSFORMS)}")


def _mean_ranks(col: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a column (n,), tied values sharing their mean rank."""
    _, inverse, counts = np.unique(col, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)
    return ((last - counts + 1 + last) / 2)[inverse]


def _check_resolution(data: np.ndarray, z: np.ndarray) -> None:
    """Raise ``ValueError`` naming a column whose distinct values float32 merges.

    Centring and scaling in float64 keeps any offset or scale exact; what can still be lost
    is a column whose values differ by less than float32's resolution relative to its
    spread (one extreme value dominating the scale).
    """
    for j in range(z.shape[1]):
        distinct = np.unique(data[:, j]).size
        if distinct > 1 and np.unique(z[:, j].astype(np.float32)).size < 0.5 * distinct:
            raise ValueError(
                f"column {j} loses its resolution in float32 (computations run in float32): "
                f"an extreme value ({np.abs(z[:, j]).max():.3g} standard deviations from "
                "the mean) dominates its scale; remove the outlier, use preprocess='rank', "
                "or dtype='float64'")
