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
* ``"rank-t"``: Student-t scores $z_j = t_\nu^{-1}(\mathrm{rank}(x_j) / (n + 1))$, one
  $\nu$ for every column, that of the t copula fitted to the ranks
  (:mod:`minee.data.copula`). Strictly increasing per column like ``"rank"``, so MI is
  unchanged; on data whose dependence has heavy tails the scores are then close to a
  multivariate Student-t, which the fitted Student-t reference matches, and the critics
  train in a fraction of the steps. On Gaussian-copula data $\nu$ is large: normal scores.
* ``"none"``: the data as given. Every affine transform, this one included, is applied
  in float64 before the float32 cast: each column is centred and scaled, and the entropies
  are corrected back exactly (as for ``"standardize"``), so an offset of 1e8 or a scale of
  1e30 gives the answer of the unshifted, unscaled data; a column whose values float32
  cannot tell apart is named in an error.
* ``"auto"`` (the MI default): per problem ``"rank-t"`` or ``"standardize"``, whichever
  the held-out rows are likelier under (:mod:`minee.training.transform_choice`): rank
  scores bend a mixture of narrow components into shapes no reference carries.

The minee default preset already standardises the critics' inputs inside the network
(``scale_inputs``), a reparametrisation that leaves every estimate's definition unchanged;
``"standardize"`` here also moves the references (useful with ``reference="uniform"`` on
columns of very different scales).
"""

from __future__ import annotations

import numpy as np

from . import copula

__all__ = ["RANK_TRANSFORMS", "TRANSFORMS", "CHOICES", "transform"]

TRANSFORMS = ("none", "standardize", "rank", "rank-t")
#: what ``preprocess`` may name: a transform, ``"auto"``, which the MI estimators resolve
#: per problem to ``"rank-t"`` or ``"standardize"``, or ``"edges"`` (the entropies'
#: default: ``"none"`` with edged columns mapped onto the real line); both are applied by
#: :mod:`minee.estimation.preparation`
CHOICES = (*TRANSFORMS, "auto", "edges")
#: the transforms that replace each value by a quantile of its rank: not affine, so the
#: entropies that come out are of the transformed columns, and no value is an outlier
RANK_TRANSFORMS = ("rank", "rank-t")


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
        return copula.normal_scores(copula.uniform_ranks(data)), None
    if method == "rank-t":
        u = copula.uniform_ranks(data)
        return copula.student_scores(u, copula.copula_dof(u)), None
    raise ValueError(f"unknown preprocess {method!r}; choose one of {', '.join(TRANSFORMS)}")


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
