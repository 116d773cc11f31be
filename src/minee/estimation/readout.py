r"""Reading an estimate off a trained model: the rows it is read on, per-row values, error bars.

An entropy is a mean over *evaluation rows* (the held-out rows when there are any, else the
training rows) of the per-row value $c_h(z) - f_h(z)$: the reference's negative log-density
minus the critic (plus the reference's log-mean-exp, a constant per head). Everything that
needs those rows or values (the estimators' summaries, their standard errors, the MI matrix)
reads them here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch
from torch import Tensor

from ..convergence import Z95

if TYPE_CHECKING:
    from ..training.engine import Engine
    from .model import Run

__all__ = ["evaluation_rows", "row_values", "pointwise", "evaluation_terms", "EvaluationTerms",
           "stderr", "bias_allowance", "entropy_allowance", "interval"]

#: The critic's bias allowance for an MI, as a share of the value and of the training rows'
#: optimism (training-row reading minus held-out reading, both at the state the estimate
#: is read at). Sized on the MI default's runs on the tuning problems of
#: ``benchmarks/suite.py`` (16 problems, N = 500, 2,000 and 5,000, seeds 100-101, 96 runs;
#: ``benchmarks/allowance.py``): the grid's shares with the narrowest intervals covering the
#: truth in >= 95% of them (92 of 96; the earlier 0.035 and 0.5: 86). The optimism was
#: read at the last evaluation before, up to 4 nats at N = 500 in 10 + 10 columns where it
#: is ~0 at the state read, which made those intervals 2 nats wide. On the reported
#: problems: see benchmarks/README.md ("The MI interval's allowance").
BIAS_SHARE, OPTIMISM_SHARE = 0.05, 0.75
#: The entropy's bias allowance per column, nats: the reference's fit and the critic's
#: correction err by a few thousandths per column even where the per-row values hardly
#: vary (a uniform box, whose rows all have one density: a standard error of 0.001). Sized
#: on the entropy tuning problems of ``benchmarks/shapes.py`` (box, exponential, beta,
#: half-normal, triangular; N = 5,000, seeds 100-101): the smallest, in steps of 0.0002,
#: that covered all ten (without it 8 of 10).
ENTROPY_BIAS_PER_COLUMN = 0.003


def evaluation_rows(engine: Engine) -> Tensor:
    """The rows an estimate is read on, (M, n_eval, D): held-out rows if any, else training."""
    return engine.train_rows if engine.heldout_rows is None else engine.heldout_rows


@torch.no_grad()
def row_values(run: Run, rows: Tensor | None = None) -> tuple[Tensor | None, Tensor]:
    """Per row, the reference's $c_h = -\\ln p_{ref,h}$ and the critic $f_h$, float64.

    Arguments:
        run: the model.
        rows: (M, n, D); default: the evaluation rows.

    Returns:
        ``(c, f)``, each (M, H, n), nats; ``c`` is ``None`` when the reference has no
        known density.
    """
    rows = evaluation_rows(run.engine) if rows is None else rows
    f = run.engine.reader(rows).double()
    if not run.reference.has_density:
        return None, f
    return run.reference.neg_log_density(rows, run.masks).double(), f


def pointwise(run: Run) -> np.ndarray:
    """Per problem, head and evaluation row, the member-mean of $c_h - f_h$, (P, H, n_eval);
    with F folds, each fold's rows read by its own members, one fold after another
    (n_eval = F x the rows of a fold).

    Its mean over rows is each head's entropy up to a constant per head (the reference's
    log-mean-exp), so per-row differences of entropies give standard errors of MI.

    Raises:
        ValueError: the reference has no density (no per-row entropy exists).
    """
    c, f = row_values(run)
    if c is None:
        raise ValueError("per-row entropies need a reference with a known density")
    s, p = run.settings, len(run.data)
    per_member = (c - f)[: p * s.members]  # the null problems, if any, come after
    # member index = (problem * ensemble + k) * folds + fold; each fold averages its members
    per_fold = per_member.reshape(p, s.ensemble, s.folds, *per_member.shape[1:]).nanmean(1)
    return per_fold.transpose(1, 2).flatten(2).cpu().numpy()


class EvaluationTerms(NamedTuple):
    """What an estimate is read from, besides the divergences.

    Attributes:
        cross_entropy: per member and head the cross-entropy term (M, H) to subtract the
            divergences from, nats (``None`` without a reference density).
        train_cross_entropy: the same on the training rows (M, H), for the training
            curves (``None`` without a reference density).
        variance: per member the variance of its estimate over the evaluation rows (M,),
            nats^2: what a bootstrap over those rows would give, in closed form. Bias from
            an imperfect critic is not in it.
    """

    cross_entropy: Tensor | None
    train_cross_entropy: Tensor | None
    variance: np.ndarray


@torch.no_grad()
def evaluation_terms(run: Run) -> EvaluationTerms:
    r"""The cross-entropy terms an estimate uses, and its sampling variance.

    Each entropy is $H_h = \overline{c_h - f_h}$ over evaluation rows. Reading it on the
    held-out rows alone keeps it honest but noisy: for data close to the reference, nearly
    all its variance is the cross-entropy's. The reference's density does not depend on
    the training, so $\bar c_h$ over *all* rows is an unbiased, less noisy estimate of the
    same cross-entropy; it enters as a control variate,
    $H_h = \overline{c_h - f_h}^{\,val} + \beta_h(\bar c_h^{\,all} - \bar c_h^{\,val})$,
    with $\beta_h$ the regression coefficient of $c_h - f_h$ on $c_h$ over held-out rows
    (the variance-minimising choice; 0 for the uniform box, whose $c_h$ is constant).

    Returns:
        :class:`EvaluationTerms`.
    """
    engine, heads = run.engine, run.heads
    c, f = row_values(run)
    n_eval = f.shape[-1]
    if c is None:
        return EvaluationTerms(None, None, (f[:, 0].var(dim=1) / n_eval).cpu().numpy())
    signs = f.new_tensor(heads.signs)[:, None]
    g = c - f
    if engine.heldout_rows is None:  # the evaluation rows are the training rows
        ce = c.mean(-1).cpu()
        return EvaluationTerms(ce, ce, ((g * signs).sum(1).var(dim=1) / n_eval).cpu().numpy())
    n_all = n_eval + engine.train_rows.shape[1]
    c_train = run.reference.neg_log_density(engine.train_rows, run.masks).double()
    c_all = (c.sum(-1) + c_train.sum(-1)) / n_all
    dc, dg = c - c.mean(-1, keepdim=True), g - g.mean(-1, keepdim=True)
    var_c = (dc**2).mean(-1)
    beta = torch.where(var_c > 0, (dc * dg).mean(-1) / var_c.clamp_min(1e-300), 0.0)
    cross_entropy = c.mean(-1) + beta * (c_all - c.mean(-1))
    # the estimate is mean_val(G - C) + mean_all(C) for the signed sums G and C below
    big_g, big_c = (g * signs).sum(1), (beta[..., None] * c * signs).sum(1)  # (M, n)
    resid = big_g - big_c
    cov = ((resid - resid.mean(-1, keepdim=True))
           * (big_c - big_c.mean(-1, keepdim=True))).sum(-1) / (n_eval - 1)
    variance = resid.var(dim=1) / n_eval + big_c.var(dim=1) / n_all + 2 * cov / n_all
    return EvaluationTerms(cross_entropy.cpu(), c_train.mean(-1).cpu(),
                           variance.clamp_min(0).cpu().numpy())


def stderr(members: np.ndarray, variance: np.ndarray, folds: int = 1) -> float | None:
    """Standard error of the member mean, nats (``None`` when it cannot be assessed).

    Arguments:
        members: the finite members' estimates, (K,).
        variance: the sampling variance of each over the evaluation rows, (K,), nats^2.
            Members of one fold share those rows, so their mean has (about) the mean
            variance; their spread adds what differs between trainings (initialisation,
            batches).
        folds: F disjoint folds, each read by its own members: the mean reads F times
            the rows, so the sampling variance is divided by F (the members' spread then
            also holds sampling error, counted twice: the error errs on the large side).
    """
    if not members.size or not np.isfinite(variance).all():
        return None
    spread = float(np.var(members, ddof=1)) / members.size if members.size > 1 else 0.0
    return math.sqrt(float(variance.mean()) / folds + spread)


def bias_allowance(value: float, train_value: float) -> float:
    r"""An allowance for the critic's bias in an MI estimate, nats (a standard deviation).

    The sampling error misses what dominates a neural estimate's error: critics that do
    not reach the optimum (a DV bound read on unseen rows falls short of the truth) or
    overfit their training rows. The allowance is
    $\sqrt{(s_1 \hat I)^2 + (s_2 (\hat I_{train} - \hat I))^2}$ with the shares
    :data:`BIAS_SHARE` and :data:`OPTIMISM_SHARE`, combined in quadrature: an error model
    calibrated on problems with known answers, not derived; an interval with it is only
    as good as that calibration. It was sized for the MI default (held-out rows, early
    stopping): without held-out rows the optimism cannot be seen (the estimate *is* the
    training-row reading) and the allowance is the value's share alone; MINE, InfoNCE and
    conditional MI take the same shares, calibrated on MI-NEE's MI only.

    Arguments:
        value: the estimate, nats.
        train_value: the smoothed training-row reading at the state ``value`` is read at
            (the best held-out one; :meth:`minee.training.engine.Engine.train_at_best`),
            nats: what the critic gained on rows it trained on, beyond rows it did not.

    Returns:
        The allowance, nats; NaN for a non-finite ``value``; the value's share alone when
        ``train_value`` is not finite.
    """
    if not math.isfinite(value):
        return math.nan
    optimism = train_value - value if math.isfinite(train_value) else 0.0
    return math.hypot(BIAS_SHARE * value, OPTIMISM_SHARE * optimism)


def entropy_allowance(columns: int) -> float:
    """An allowance for the systematic error of an entropy of ``columns`` columns, nats
    (a standard deviation): :data:`ENTROPY_BIAS_PER_COLUMN` per column, an error model
    sized on problems with known answers, like :func:`bias_allowance`."""
    return ENTROPY_BIAS_PER_COLUMN * columns


def interval(value: float, error: float | None, *, least: float | None = None,
             bias: float = 0.0, reach: float = 0.0) -> tuple[float, float] | None:
    """The 95% normal interval ``value +- 1.96 sqrt(error^2 + bias^2)``, or ``None``
    without an error.

    ``bias``: an allowance for systematic error (:func:`bias_allowance`), nats.
    ``least``: the smallest value the quantity can take (0 for an MI). An interval lying
    wholly below it is stretched up to reach it: as it stood it would miss every possible
    value (held-out readings of an MI near 0 scatter below 0 with a small error).
    ``reach``: how much further the interval extends on one side (up where positive),
    nats: where the reading has not converged in the rows
    (:attr:`minee.convergence.RowsMove.reach`).
    """
    if error is None:
        return None
    half = Z95 * math.hypot(error, bias)
    low, high = value - half + min(reach, 0.0), value + half + max(reach, 0.0)
    return low, high if least is None else max(high, least)
