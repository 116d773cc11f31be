"""Turning a trained model into :class:`~minee.results.Estimate` objects: pure data, no warnings.

Every number comes from the engine's recorded state, so a run can be summarised at any
point (after an interruption, between checkpoints). The flags go on each estimate's
``diagnostics``; raising them as warnings is for ``fit`` and the one-call functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
import torch

from .. import diagnostics
from ..convergence import RowsMove
from ..data.preprocessing import RANK_TRANSFORMS
from ..results import Estimate, History
from ..training.ellipticity import learned, radius_direction
from .model import Run
from .readout import (
    bias_allowance,
    entropy_allowance,
    evaluation_rows,
    evaluation_terms,
    interval,
    stderr,
)

__all__ = ["summarise"]


@dataclass(frozen=True)
class _Terms:
    """Everything an estimate is made of, per member M (problems x ensemble), nats."""

    values: np.ndarray  # (M,) the target
    train_values: np.ndarray  # (M,) the target on training rows, smoothed
    best_train_values: np.ndarray  # (M,) the same at the state the estimate is read at
    train_curve: np.ndarray  # (T, M)
    held_curve: np.ndarray | None  # (T, M)
    entropies: np.ndarray | None  # (M, H)
    divergences: np.ndarray  # (M, H)
    history: dict[str, torch.Tensor]  # the engine's recorded curves
    variance: np.ndarray  # (M,) sampling variance over evaluation rows, nats^2
    outside: np.ndarray  # (M,) share of evaluation rows outside the reference's support
    diverged: np.ndarray  # (M,) bool


def summarise(run: Run) -> list[Estimate]:
    """One :class:`Estimate` per problem of ``run``, with its permutation null if built."""
    terms = _terms(run)
    n_problems = run.data.shape[0]
    results = []
    for p in range(n_problems):
        est = _estimate(run, terms, p)
        if run.null:
            null = _estimate(run, terms, n_problems + p)
            est = replace(est, null=null.value, null_stderr=null.stderr)
        if run.quantity != "entropy":
            est.diagnostics.update(diagnostics.noise_checks(
                est.value, est.stderr, est.null, est.null_stderr, bias=est.bias,
                reach=est.reach))
            est.diagnostics.update(diagnostics.ceiling_checks(
                est.value, evaluation_rows(run.engine).shape[1], _ceiling(run)))
        results.append(est)
    return results


def _ceiling(run: Run) -> float | None:
    """The objective's own upper limit on its bound (InfoNCE: ln of its batch), if any."""
    return run.engine.objective.ceiling(run.engine.batch)


def _scale_offset(run: Run) -> torch.Tensor:
    """ln of the preprocessing scales per member and head, (M, H): H(data) = H(scaled) +
    this (zero for the null problems, whose terms are MI only)."""
    k, n_problems = run.settings.members, run.data.shape[0]
    members = cast(int, run.engine.critic.members)  # problems x ensemble: an int on every critic
    offset = torch.zeros(members, len(run.heads.names), dtype=torch.float64)
    if run.log_scale is not None:
        per_problem = torch.as_tensor(run.log_scale @ run.heads.masks.T.astype(float))
        offset[: n_problems * k] = per_problem.repeat_interleave(k, 0)
    return offset


def _terms(run: Run) -> _Terms:
    engine, heads = run.engine, run.heads
    ce_eval, ce_train, variance = evaluation_terms(run)
    if ce_eval is not None and ce_train is not None:
        offset = _scale_offset(run) + run.reference.fit_correction(run.masks.cpu())
        ce_eval, ce_train = ce_eval + offset, ce_train + offset
    div = engine.divergences().double()  # (M, H)
    hist = engine.history()
    heldout = engine.heldout_rows is not None
    return _Terms(
        values=heads.combine(div, ce_eval).numpy(),
        train_values=heads.combine(engine.smoothed("train").double(), ce_train).numpy(),
        best_train_values=heads.combine(engine.train_at_best().double(), ce_train).numpy(),
        train_curve=heads.combine(hist["train"].double(), ce_train).numpy(),
        held_curve=heads.combine(hist["heldout"].double(), ce_eval).numpy() if heldout
        else None,
        entropies=None if ce_eval is None else (ce_eval - div).numpy(),
        divergences=div.numpy(), history=hist, variance=variance,
        outside=run.reference.outside(evaluation_rows(engine)).double().mean(1).cpu().numpy(),
        diverged=engine.diverged.numpy())


def _allowance(run: Run, t: _Terms, sl: slice, finite: np.ndarray, value: float) -> float:
    """The estimate's bias allowance: for an MI from its value and its training rows'
    optimism at the state it is read at (the finite members'), for an entropy per column."""
    if run.quantity == "entropy":
        return entropy_allowance(int(run.heads.masks.any(0).sum()))
    at_best = t.best_train_values[sl][finite]
    return bias_allowance(value, float(np.nanmean(at_best)) if np.isfinite(at_best).any()
                          else math.nan)


def _flags(run: Run, t: _Terms, p: int, sl: slice, finite: np.ndarray, history: History,
           value: float, move: RowsMove) -> dict[str, str]:
    """The diagnostics of problem ``p`` (its members ``sl``, the ``finite`` ones): of its
    data, its training, its settings and its reference (``move``: its rows check; for an
    MI, whether its rows are elliptical where the reference assumes so)."""
    # the finite members' last training reading, as for the value
    train_value = float(np.nanmean(t.train_values[sl][finite])) if finite.any() else math.nan
    flags = diagnostics.data_checks(run.data[p % run.data.shape[0]],
                                    float(t.outside[sl].mean()),
                                    ranked=run.transform(p) in RANK_TRANSFORMS)
    flags.update(diagnostics.training_checks(
        history.steps, history.estimate, train_value, value,
        diverged=int(t.diverged[sl].sum()), members=run.settings.members,
        stopped_early=run.engine.stopped_early, heldout=history.heldout is not None))
    flags.update(diagnostics.settings_checks(run.settings.lr))
    limited = run.reference.shape_limited()
    flags.update(diagnostics.shape_checks(
        limited is not None and bool(limited[sl].any()), move,
        _not_elliptical(run, t, p, sl.start, finite, move.correction)))
    return flags


def _not_elliptical(run: Run, t: _Terms, p: int, member: int, finite: np.ndarray,
                    correction: float) -> str | None:
    """Where problem ``p``'s MI is the reading of an elliptical reference (``member``'s)
    to which the critics added nothing (``correction``, nats), and its rows are clearly
    not elliptical, the test in words (:mod:`minee.training.ellipticity`); else ``None``.
    Made only where it could flag: an entropic MI, not a null, with finite members."""
    if (run.quantity != "mutual_information" or t.entropies is None
            or p >= run.data.shape[0] or not finite.any() or learned(correction)):
        return None
    centre = run.reference.elliptical_centre(member)
    test = None if centre is None else radius_direction(
        np.asarray(run.data[p], dtype=np.float64), centre, run.settings.seed)
    return test.reason(correction) if test is not None and test.rejects else None


def _rows_move(run: Run, t: _Terms, sl: slice, finite: np.ndarray) -> RowsMove:
    """How far the reference's own reading of the target moved when its fitting rows
    doubled (mean over the distinct rows checks of the members ``sl``), that move's
    standard error over the held-out rows, and what the critics added to the reference's
    reading (the ``finite`` members'), nats; no move where no member has a check."""
    checks = {id(c): c for m in range(sl.start, sl.stop)
              if (c := run.reference.rows_check(m)) is not None}
    critics = -run.heads.signed_sum(t.divergences[sl][finite])
    correction = float(critics.mean()) if critics.size else 0.0
    if not checks:
        return RowsMove(correction=correction)
    # the target is a signed sum of -ln q per row: a likelier fit lowers an entropy
    moves = [-run.heads.signed_sum(c.gains(run.heads.masks)) for c in checks.values()]
    moved = float(np.mean([m.mean() for m in moves]))
    error = float(np.mean([m.std(ddof=1) / math.sqrt(len(m)) for m in moves]))
    return RowsMove(moved, error, correction,
                    float(np.mean([c.share for c in checks.values()])))


def _estimate(run: Run, t: _Terms, p: int) -> Estimate:
    """The estimate of problem ``p`` (a null problem when ``p`` >= P)."""
    k, engine, names = run.settings.members, run.engine, run.heads.names
    sl = slice(p * k, (p + 1) * k)
    members = t.values[sl]
    finite = np.isfinite(members)
    value = float(np.mean(members[finite])) if finite.any() else math.nan

    def avg(a: np.ndarray) -> np.ndarray:
        """Mean over this problem's finite members (axis -2 of (..., M, H))."""
        part = a[..., sl, :]
        return part[..., finite, :].mean(-2) if finite.any() else part[..., 0, :]

    def per_head(a: np.ndarray) -> dict[str, Any]:
        return dict(zip(names, a, strict=True))

    heldout = t.held_curve is not None
    history = History(
        steps=t.history["steps"].numpy(), train=t.train_curve[:, sl],
        heldout=None if t.held_curve is None else t.held_curve[:, sl],
        divergences=per_head(avg(t.history["train"].double().numpy()).T),
        heldout_divergences=per_head(avg(t.history["heldout"].double().numpy()).T)
        if heldout else {},
        stopped_early=engine.stopped_early)
    error = stderr(members[finite], t.variance[sl][finite], run.settings.folds)
    mi = run.quantity != "entropy"
    bias = _allowance(run, t, sl, finite, value)
    # a permutation null's flags and interval are not kept: no check for it
    move = _rows_move(run, t, sl, finite) if p < run.data.shape[0] else RowsMove()
    flags = _flags(run, t, p, sl, finite, history, value, move)
    return Estimate(
        value=value,
        entropies={} if t.entropies is None
        else {h: float(v) for h, v in per_head(avg(t.entropies)).items()},
        divergences={h: float(v) for h, v in per_head(avg(t.divergences)).items()},
        history=history, diagnostics=flags, members=members, stderr=error, bias=bias,
        ci=interval(value, error, least=0.0 if mi else None, bias=bias, reach=move.reach),
        reach=move.reach,
        quantity=run.quantity,
        preprocess=run.transform(p), budget=run.budget, seed=run.seed,
        discrete=run.discrete_columns(p), rows=int(run.data.shape[1]))
