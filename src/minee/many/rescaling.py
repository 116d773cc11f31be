r"""Dependent pairs of a table read on the scale ``mutual_information`` would read them on.

With ``preprocess="auto"`` a table is read on one scale, chosen for the whole table:
rank-t scores, or the data's own. MI is the same on either, but what a reference carries
is not: rank-t scores spread each narrow mode of a marginal over its share of quantiles, so
a pair whose joint law is a ring or letters of narrow components reads low on them
(a ring of 12 components 15% low, letters of 24 components 21-29% low, unflagged), where
``mutual_information``, which chooses the scale per problem, reads them within 1%.

So every pair whose value on the table's scale is clearly above 0 has its scale chosen as
``mutual_information`` chooses it (:func:`~minee.training.transform_choice.choose_transform`
on its two columns with the same seed: the single call's choice); those that choose the
other scale are estimated again on it, with their columns' entropies on that scale, and
their values replace the table-scale ones. Pairs near 0 keep the table's scale: there is
no dependence for a scale to bend. This costs a choice (~0.2 CPU-s at 5,000 rows) per
dependent pair, and a pair's estimate per pair that changes scale. The choices run in the
calling process (with a progress bar when asked); an interrupted job makes them again and
reads back the chunks it had finished on the other scale, which are named by the pairs
they hold.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from ..data.preprocessing import transform
from ..settings import Settings
from ..training.transform_choice import choose_transform
from .jobs import Entropies, PairResult
from .scheduling import Plan, chunks

__all__ = ["DEPENDENT_FLOOR", "on_scale", "own_scale", "rescaled", "replaced"]

#: a pair is dependent above this many nats and twice its standard error
DEPENDENT_FLOOR = 0.01


def on_scale(data: np.ndarray, settings: Settings, method: str
             ) -> tuple[np.ndarray, Settings]:
    """The rows (n, C) and settings of jobs on the scale ``method``: ``"rank-t"`` (the
    scores computed here, one t copula for all these columns: a dof per column set would
    put a column's and its pairs' entropies on different scales) or a transform the jobs
    apply (``"standardize"``: the data's own scale, as ``mutual_information`` reads it;
    with the entropies' edge maps instead, 24 narrow letters read 1.31 nats, not 1.37)."""
    if method == "rank-t":
        return transform(data, "rank-t")[0], replace(settings, preprocess="none")
    return data, replace(settings, preprocess=method)


def own_scale(data: np.ndarray, pairs: Sequence[tuple[int, int]], result: PairResult,
              table_method: str, seed: int, progress: bool = False) -> dict[int, str]:
    """Position -> scale for each dependent pair whose own choice is not the table's.

    Arguments:
        data: the table's rows before any scale (n, C).
        pairs: the pairs, column indices into ``data``.
        result: every pair's MI on the table's scale, in the order of ``pairs``.
        table_method: the table's scale (``"rank-t"`` or ``"standardize"``).
        seed: the table's seed (the single call's, for the same choice).
        progress: a progress bar of the choices on stderr (they run in this process).
    """
    from tqdm.auto import tqdm

    groups = list(np.eye(2, dtype=bool))
    dependent = (result.values > DEPENDENT_FLOOR) & (result.values > 2 * result.stderr)
    positions = tqdm(list(map(int, np.flatnonzero(dependent))), desc="scale", unit="pair",
                     leave=False, disable=not progress, dynamic_ncols=True)
    chosen = {k: choose_transform(data[:, list(pairs[k])], groups, seed) for k in positions}
    return {k: method for k, method in chosen.items() if method != table_method}


def rescaled(data: np.ndarray, pairs: Sequence[tuple[int, int]], result: PairResult,
             moved: dict[int, str], settings: Settings, chunk_size: int,
             base: Plan, run: Callable[[Plan], tuple[Entropies, list[PairResult]]]
             ) -> PairResult:
    """``result`` with the pairs at the positions ``moved`` estimated again on their own
    scale (one job set per scale: those columns' entropies, then the pairs; a pair's flags
    then include its columns' on that scale), their chunks kept in ``base``'s store under
    a name of the scale and the pairs (another set of moved pairs never reads them)."""
    for method in sorted(set(moved.values())):
        positions = sorted(k for k, m in moved.items() if m == method)
        columns = sorted({c for k in positions for c in pairs[k]})
        index = {c: j for j, c in enumerate(columns)}
        local = [(index[pairs[k][0]], index[pairs[k][1]]) for k in positions]
        scaled, scaled_settings = on_scale(np.ascontiguousarray(data[:, columns]), settings,
                                           method)
        named = hashlib.sha256(repr((positions, [pairs[k] for k in positions])).encode())
        plan = Plan(scaled, chunks([(j,) for j in range(len(columns))], chunk_size),
                    chunks(local, chunk_size), scaled_settings, base.store,
                    prefix=f"{method}-{named.hexdigest()[:12]}-")
        entropies, parts = run(plan)
        new = PairResult.concat(parts)
        flags = [{**entropies.diagnostics[a], **entropies.diagnostics[b], **own}
                 for (a, b), own in zip(local, new.diagnostics, strict=True)]
        result = replaced(result, positions, PairResult(new.values, new.stderr, flags))
    return result


def replaced(result: PairResult, positions: Sequence[int], new: PairResult) -> PairResult:
    """``result`` with the pairs at ``positions`` taken from ``new`` (in that order)."""
    values, stderr = result.values.copy(), result.stderr.copy()
    diagnostics = list(result.diagnostics)
    for j, k in enumerate(positions):
        values[k], stderr[k], diagnostics[k] = new.values[j], new.stderr[j], new.diagnostics[j]
    return PairResult(values, stderr, diagnostics)
