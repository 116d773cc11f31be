r"""Many entropic estimates at once, in batched chunks, in-process or on Dask.

What :func:`minee.mi_matrix` and :func:`minee.relevance` (:mod:`minee.many.matrix`) compute.

Every quantity here comes from the entropic decomposition
$I(X_i;X_j) = H(X_i) + H(X_j) - H(X_i,X_j)$: each column's entropy is learned once (one
batched :class:`~minee.NEE` model holding all columns) and reused by every pair it is in;
each pair then needs only its joint entropy. Pairs are grouped into *chunks*; a chunk is one
batched model (one problem per pair, one optimiser), so one machine trains dozens of small
problems at the cost of a few, instead of looping over pairs in Python.

The chunks are independent jobs. In-process they run one after another; with a Dask
client (``client=`` or ``scheduler="tcp://host:port"``) each chunk is one task. A job's
numbers depend only on its data, its columns, the settings and the seed, never on where
or when it runs, so both give identical numbers for the same seed and ``chunk_size``, and
a finished chunk kept in a store (:mod:`minee.many.store`) stands for its job when the
same call runs again (:mod:`minee.many.scheduling` runs them).

Every job uses the same seed: the estimators draw the held-out split (``val_fraction``)
from the seed and the row count alone, so every entropy is read on the same evaluation rows
(the held-out rows, or all rows without a split). The column entropies and the joint
entropy then share their evaluation rows, their cross-entropy terms refer to the same
sample, and the MI's standard error can be computed from the per-row values.

A table is read on one scale; dependent pairs that ``mutual_information`` would read on
the other are then estimated again on it (:mod:`minee.many.rescaling`), with the same
runner and store.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar

import numpy as np

from ..checks import check_seed, draw_seed, positive_real
from ..data.discrete import dequantize, discrete_columns
from ..data.inputs import resolve_device
from ..estimation.estimators import MINEE
from ..settings import Recipe, Seeds, Settings, read_rows
from ..training.transform_choice import choose_transform
from .jobs import Entropies, PairResult
from .rescaling import on_scale, own_scale, rescaled
from .scheduling import Plan, chunks, connect, run_dask, run_local
from .store import ChunkStore, job_fingerprint

__all__ = ["compute", "CHUNK_CPU", "CHUNK_GPU"]

# Problems per batched model when chunk_size=None. On CPU the cost per problem is flat from
# about 8 to 32 and rises beyond (activations leave the cache: benchmarks/scale.py); a GPU
# wants wide models to fill it.
CHUNK_CPU, CHUNK_GPU = 16, 256


@dataclass(kw_only=True, eq=False, repr=False)
class _TableMINEE(MINEE):
    """:class:`~minee.MINEE`'s options over the table recipe (``recipe(preset, "table")``:
    the MI default's but for the critics' size and the rows a step)."""

    _preset_kind: ClassVar[str] = "table"


def _table_settings(options: dict[str, Any], seed: int, rows: int) -> Settings:
    """The settings every job of a table shares: the table recipe (the MI default's,
    :class:`~minee.MINEE`'s, with smaller critics and batches: :mod:`minee.presets`) with
    ``options``, preprocessing ``"auto"`` unless they name one (chosen once for the whole
    table). Unknown or invalid options fail here, before any work; the settings travel
    with every job as data, so a worker whose minee has other recipes computes the same."""
    if "null" in options:
        raise TypeError("null is not an option of a table job; estimate a pair with "
                        "mutual_information(..., null=True)")
    if isinstance(options.get("discrete"), (list, tuple)):
        raise ValueError("discrete for a table is 'auto' (columns holding at most half as "
                         "many distinct values as rows), True or False; it names no "
                         "columns: give those columns integer values and use 'auto'")
    takes = sorted(f.name for f in fields(MINEE) if f.name not in ("null", "seed"))
    unknown = sorted(set(options) - set(takes) - set(Recipe.__dataclass_fields__))
    if unknown:  # recipe fields get from_options' advice (advanced=) instead
        raise TypeError(f"unknown option(s) {unknown} of a table job; it takes {takes}")
    advanced = options.get("advanced")
    if advanced is None or isinstance(advanced, dict):
        options = {**options, "advanced": {"preprocess": "auto", **(advanced or {})}}
    return _TableMINEE.from_options(**options, seed=seed).settings(rows)


def _dequantized(data: np.ndarray, settings: Settings) -> tuple[np.ndarray, Settings]:
    """Discrete columns (``discrete`` ``"auto"`` or ``True``) dequantised once for the
    table (:mod:`minee.data.discrete`), as ``mutual_information`` dequantises a pair's:
    integer codes plus uniform noise, every pair's MI kept, before any scale is chosen."""
    if settings.discrete == "auto" or settings.discrete is True:
        coded = discrete_columns(data, {"table": data.shape[1]}, settings.discrete)
        data = dequantize(data, coded, Seeds.from_seed(settings.seed).dequantize)
        settings = replace(settings, discrete=False)
    return data, settings


def _table_scale(data: np.ndarray, settings: Settings) -> str:
    """The scale the whole table is read on: ``"auto"`` chooses rank-t scores or the
    data's own scale (``"standardize"``) as the MI default does for one problem
    (:func:`~minee.training.transform_choice.choose_transform`); pairs that would choose
    the other are read on it afterwards (:mod:`minee.many.rescaling`)."""
    if settings.preprocess != "auto":
        return settings.preprocess
    return choose_transform(data, list(np.eye(data.shape[1], dtype=bool)), settings.seed)


@contextmanager
def _runner(client: Any, scheduler: str | None, timeout: float, progress: bool,
            retries: int) -> Iterator[Callable[[Plan], tuple[Entropies, list[PairResult]]]]:
    """What runs a plan: in this process, or on the Dask ``client`` or ``scheduler``
    (connected for the whole call)."""
    if client is not None:
        yield lambda plan: run_dask(client, plan, progress, retries)
    elif scheduler is None:
        yield lambda plan: run_local(plan, progress)
    else:
        with connect(scheduler, timeout) as own:
            yield lambda plan: run_dask(own, plan, progress, retries)


def compute(data: np.ndarray, needed: Sequence[int], pairs: Sequence[tuple[int, int]], *,
             seed: int | None, client: Any, scheduler: str | None, chunk_size: int | None,
             progress: bool, retries: int, options: dict[str, Any],
             timeout: float = 10.0, store: str | os.PathLike[str] | None = None
             ) -> tuple[dict[int, int], Entropies, PairResult, str]:
    """Entropies of the ``needed`` columns and MI of ``pairs`` (indices into ``data``),
    the pairs in order, and the scale the columns' entropies were read on (``"rank-t"``,
    ``"standardize"`` or the transform ``advanced`` named); finished chunks kept in the
    folder ``store`` and read back from it (see :mod:`minee.many.store`)."""
    if chunk_size is None:
        cpu = resolve_device(options.get("device", "auto")).type == "cpu"
        chunk_size = CHUNK_CPU if cpu else CHUNK_GPU
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be a non-negative int, got {retries!r}")
    positive_real("timeout", timeout)
    if client is not None and scheduler is not None:
        raise ValueError("pass either client= or scheduler=, not both")
    if "seed" in options or "progress" in options:
        raise TypeError("seed and progress are arguments of this function, not options")
    # drawn once: every job must share it (see the module docstring)
    seed = draw_seed() if seed is None else check_seed(seed)
    settings = _table_settings(options, seed, data.shape[0])
    data = read_rows(data, settings)
    # Jobs see only the needed columns, renumbered; pairs are then indices into them.
    index = {c: k for k, c in enumerate(needed)}
    data, settings = _dequantized(np.ascontiguousarray(data[:, list(needed)]), settings)
    method = _table_scale(data, settings)
    scaled, scaled_settings = on_scale(data, settings, method)
    local = [(index[a], index[b]) for a, b in pairs]
    plan = Plan(scaled, chunks([(k,) for k in range(len(needed))], chunk_size),
                chunks(local, chunk_size), scaled_settings,
                None if store is None else ChunkStore(store, job_fingerprint(
                    scaled, needed, pairs, scaled_settings, chunk_size)))
    with _runner(client, scheduler, timeout, progress, retries) as run:
        columns, results = run(plan)
        result = PairResult.concat(results)
        if settings.preprocess == "auto":
            moved = own_scale(data, local, result, method, seed, progress)
            result = rescaled(data, local, result, moved, settings, chunk_size, plan, run)
    return index, columns, result, method
