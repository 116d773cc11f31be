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
* ``"none"``: the data as given.

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
    if method == "none":
        return data, np.zeros(data.shape[1])
    if method == "standardize":
        scale = data.std(axis=0, ddof=1)
        return (data - data.mean(axis=0)) / scale, np.log(scale)
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
