"""The jobs of a table: batched entropy models over column sets, and pairs' MI from them.

Every quantity comes from the entropic decomposition
$I(X_i;X_j) = H(X_i) + H(X_j) - H(X_i,X_j)$: each column's entropy is learned once and
reused by every pair it is in; each pair then needs only its joint entropy. A job is one
batched model (one problem per column set, one optimiser) and a module-level function, so
that Dask workers can import it; its numbers depend only on its data, its columns, the
settings and the seed, never on where or when it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..estimation import readout
from ..estimation.estimators import MINEE, NEE
from ..estimation.model import Run
from ..estimation.summary import summarise
from ..settings import Settings
from ..training.engine import Engine

__all__ = ["entropy_job", "pair_job", "prepare", "Entropies", "PairResult"]


@dataclass(frozen=True)
class Entropies:
    r"""Entropies of several column sets of one table, from one or more jobs.

    Attributes:
        values: entropy per column set, (E,), nats.
        members: per ensemble member, (E, K), nats.
        pointwise: per evaluation row, the member mean of $-\ln p_{ref}(z) - f(z)$, whose
            row mean is the entropy up to a per-set constant, (E, n_eval), nats.
        diagnostics: per column set, the estimate's flags (name -> message).
    """

    values: np.ndarray
    members: np.ndarray
    pointwise: np.ndarray
    diagnostics: list[dict[str, str]]

    @staticmethod
    def concat(parts: Sequence[Entropies]) -> Entropies:
        """Join the results of several jobs, in order."""
        return Entropies(np.concatenate([p.values for p in parts]),
                         np.concatenate([p.members for p in parts]),
                         np.concatenate([p.pointwise for p in parts]),
                         [d for p in parts for d in p.diagnostics])


@dataclass(frozen=True)
class PairResult:
    """MI of several column pairs from one job: values, stderr (P,) in nats, flags."""

    values: np.ndarray
    stderr: np.ndarray
    diagnostics: list[dict[str, str]]

    @staticmethod
    def concat(parts: Sequence[PairResult]) -> PairResult:
        """Join the results of several jobs, in order."""
        return PairResult(np.concatenate([p.values for p in parts]),
                          np.concatenate([p.stderr for p in parts]),
                          [d for p in parts for d in p.diagnostics])


# MI of a pair from entropies: MINEE's heads (xy, x, y) and their signs
_PAIR_HEADS = MINEE().heads({"x": 1, "y": 1})


def prepare(data: np.ndarray, sets: Sequence[tuple[int, ...]], settings: Settings) -> Run:
    """One batched NEE model over the column sets ``sets`` of ``data`` (n, C), with the
    table's settings (resolved once, by :func:`compute`, and carried as data).

    All sets must have the same size (1 for columns, 2 for pairs).
    """
    return NEE().prepare_batch(np.stack([data[:, list(s)] for s in sets]), settings=settings)


def entropy_job(data: np.ndarray, sets: Sequence[tuple[int, ...]],
                settings: Settings,
                callback: Callable[[Engine], None] | None = None) -> Entropies:
    """Train one batched model and return the entropies of ``sets`` (a chunk of work);
    ``callback(engine)`` runs after every evaluation (progress)."""
    run = prepare(data, sets, settings)
    run.train(callback)
    results = summarise(run)  # flags come back as data; the caller warns once for the table
    return Entropies(np.array([r.value for r in results]),
                     np.stack([r.members for r in results]), readout.pointwise(run)[:, 0],
                     [r.diagnostics for r in results])


def pair_job(data: np.ndarray, pairs: Sequence[tuple[int, int]],
             columns: Sequence[Entropies], settings: Settings,
             callback: Callable[[Engine], None] | None = None) -> PairResult:
    """MI of each pair from its joint entropy (trained here) and the column entropies.

    Arguments:
        data: the table, (n, C).
        pairs: column index pairs of this chunk.
        columns: the column jobs' results, in column order.
        settings: the table's settings, shared by every job.
        callback: as for :func:`entropy_job`.
    """
    cols = Entropies.concat(columns)
    joint = entropy_job(data, pairs, settings, callback)
    i, j = np.array(pairs).T

    def mi(joint_part: np.ndarray, col_part: np.ndarray) -> np.ndarray:
        """Entropies of the pairs (P, ...) and of the columns (C, ...) -> MI (P, ...)."""
        return _PAIR_HEADS.signed_sum(np.stack([joint_part, col_part[i], col_part[j]], -1))

    values = mi(joint.values, cols.values)
    members = mi(joint.members, cols.members)  # (P, K)
    pointwise = mi(joint.pointwise, cols.pointwise)  # (P, n_eval)
    n_eval = pointwise.shape[1]
    errors = [readout.stderr(m, np.full(m.size, row.var() / n_eval))
              for m, row in zip(members, pointwise, strict=True)]
    stderr = np.array([np.nan if e is None else e for e in errors])
    return PairResult(values, stderr, joint.diagnostics)
