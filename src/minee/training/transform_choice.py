r"""``preprocess="auto"``: per problem, rank-t scores or the data's own (standardised) scale,
whichever the held-out rows are likelier under.

Student-t scores of the ranks (:mod:`minee.data.copula`) undo heavy tails and monotone
distortions, so a Student-t reference fits the result; but they also spread each narrow
mode of a marginal over its share of quantiles, bending a mixture of narrow components
into shapes no reference carries (a ring of 10 components: a Gaussian mixture fitted
after rank-t scores reads MI 0.80 for a truth of 0.87, on the standardised data 0.87).
MI is the same on either scale, so the scale is chosen by which describes the rows better.

Both are scored as densities of the standardised rows z on a held-out fifth
(:func:`~minee.training.heldout.split_rows`):

* standardised: the better of the Student-t and the Gaussian mixture fitted to z;
* rank-t: the ranks' smooth counterpart, $T_j = t_\nu^{-1} \circ F_j$ with $F_j$ the CDF
  of a smooth model of column j (a 1-D Student-t or Gaussian mixture, the better on the
  held-out rows), then the better reference fitted to T(z);
  the density of z is that reference's at T(z) times $\prod_j T_j'(z_j)$, with
  $\ln T_j' = \ln f_j(z_j) - \ln t_\nu(T_j(z_j))$.

The standardised scale is chosen only where its held-out log-likelihood is higher by more
than twice the standard error of the paired per-row difference; where a mixture cannot be
fitted (too few rows per parameter) the rank-t scores are kept without a check. Above
:data:`CHOICE_ROWS` rows the choice reads a seeded subsample of that many.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import special

from ..data import copula
from ..data.t_density import log_density
from .heldout import clearly_better, split_rows
from .mixture_fit import can_fit, mixture_log_density, select_mixture
from .student_t import fit_member, fit_student_t, member_log_density

__all__ = ["choose_transform", "best_log_density"]

#: rows the choice is made on (a seeded subsample above it)
CHOICE_ROWS = 2500
_EDGE = 1e-12  # CDF values are kept this far inside (0, 1): finite t quantiles


def _t_log_pdf(u: np.ndarray, dof: float) -> np.ndarray:
    """ln of the standard 1-D Student-t density at ``u`` (nats): scipy.stats' formula,
    through scipy.special alone (importing scipy.stats costs a process ~0.3 CPU-s)."""
    return log_density(u[:, None], np.zeros(1), np.ones((1, 1)), dof)


def best_log_density(train: np.ndarray, heldout: np.ndarray, groups: list[np.ndarray],
                     seed: int) -> np.ndarray:
    """Per held-out row ``ln q`` (nats, (m,)) under the better, on those rows, of the
    Student-t (:func:`fit_member`) and the Gaussian mixture fitted to ``train``."""
    t_scores = member_log_density(heldout, fit_member(train, groups), groups)
    mix_scores = select_mixture(train, heldout, np.random.default_rng(seed)).scores
    return mix_scores if mix_scores.mean() > t_scores.mean() else t_scores


def _marginal(train: np.ndarray, heldout: np.ndarray, seed: int
              ) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A smooth model of one column, fitted on ``train`` (n,): the better on ``heldout``
    of a 1-D Student-t (heavy tails) and a 1-D Gaussian mixture (modes); returns its
    CDF-and-log-density function."""
    location, scale, dof = fit_student_t(train[:, None])
    sd = math.sqrt(float(scale[0, 0]))

    def student(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u = (z - location[0]) / sd
        return special.stdtr(dof, u), _t_log_pdf(u, dof) - math.log(sd)

    fit, scores = select_mixture(train[:, None], heldout[:, None],
                                 np.random.default_rng(seed))[:2]

    def mixture(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        standard = (z[:, None] - fit.means[None, :, 0]) / np.sqrt(fit.covs[:, 0, 0])
        return ((fit.weights * special.ndtr(standard)).sum(1),
                mixture_log_density(z[:, None], fit))

    return mixture if scores.mean() > student(heldout)[1].mean() else student


def _smooth_scores(train: np.ndarray, heldout: np.ndarray, dof: float, seed: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The smooth rank-t map fitted per column on ``train``: T(train), T(heldout) and
    per held-out row the log-Jacobian summed over columns, (m,)."""
    mapped, jacobian = [], np.zeros(len(heldout))
    for j in range(train.shape[1]):
        model = _marginal(train[:, j], heldout[:, j], seed)
        cols = []
        for part in (train[:, j], heldout[:, j]):
            cdf, log_f = model(part)
            t = special.stdtrit(dof, np.clip(cdf, _EDGE, 1 - _EDGE))
            cols.append((t, log_f - _t_log_pdf(t, dof)))
        mapped.append((cols[0][0], cols[1][0]))
        jacobian += cols[1][1]
    return (np.stack([m[0] for m in mapped], 1), np.stack([m[1] for m in mapped], 1),
            jacobian)


def choose_transform(sample: np.ndarray, groups: list[np.ndarray], seed: int) -> str:
    """``"standardize"`` or ``"rank-t"`` for one problem's rows ``sample`` (n, D), the
    variables' columns the boolean masks ``groups``; ``seed`` splits the rows."""
    n, dim = sample.shape
    z = (sample - sample.mean(0)) / sample.std(0, ddof=1)
    if n > CHOICE_ROWS:  # a clear preference shows on a subsample, at a fraction of the fits
        z = z[np.sort(np.random.default_rng(seed).choice(n, CHOICE_ROWS, replace=False))]
    train, heldout = split_rows(z, seed)
    if not can_fit(2, dim, len(train)):  # no mixture to try: nothing to choose by
        return "rank-t"
    scaled = best_log_density(train, heldout, groups, seed)
    dof = copula.copula_dof(copula.uniform_ranks(sample))
    t_train, t_heldout, jacobian = _smooth_scores(train, heldout, dof, seed)
    ranked = best_log_density(t_train, t_heldout, groups, seed) + jacobian
    return "standardize" if clearly_better(scaled, ranked) else "rank-t"
