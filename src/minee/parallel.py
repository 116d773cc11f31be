r"""Many estimates at once: the MI matrix of a table and feature relevance to a target.

Every quantity here comes from the entropic decomposition
$I(X_i;X_j) = H(X_i) + H(X_j) - H(X_i,X_j)$: each column's entropy is learned once (one
batched :class:`~minee.NEE` model holding all columns) and reused by every pair it is in;
each pair then needs only its joint entropy. Pairs are grouped into *chunks*; a chunk is one
batched model (one problem per pair, one optimiser), so one machine trains dozens of small
problems at the cost of a few, instead of looping over pairs in Python.

The chunks are independent jobs. In-process they run one after another; with a Dask
client (``client=`` or ``scheduler="tcp://host:port"``) each chunk is one task. A job's
numbers depend only on its data, its columns, the settings and the seed, never on where
or when it runs, so both give identical numbers for the same seed and ``chunk_size``.

Every job uses the same seed: the estimators draw the held-out split (``val_fraction``)
from the seed and the row count alone, so every entropy is read on the same evaluation rows
(the held-out rows, or all rows without a split). The column entropies and the joint
entropy then share their evaluation rows, their cross-entropy terms refer to the same
sample, and the MI's standard error can be computed from the per-row values.
"""

from __future__ import annotations

import ctypes
import functools
import os
import uuid
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch

from . import diagnostics
from .estimators import MIN_ROWS, NEE, Run, _seed
from .inputs import as_matrix, resolve_device

__all__ = ["mi_matrix", "relevance"]

# Problems per batched model when chunk_size=None. On CPU the cost per problem is flat from
# about 8 to 32 and rises beyond (activations leave the cache: benchmarks/scale.py); a GPU
# wants wide models to fill it.
CHUNK_CPU, CHUNK_GPU = 16, 256
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers


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


# jobs: module-level functions so that Dask workers can import them ---------------------------
def prepare(data: np.ndarray, sets: Sequence[tuple[int, ...]], options: dict[str, Any],
            seed: int) -> Run:
    """One batched NEE model over the column sets ``sets`` of ``data`` (n, C).

    All sets must have the same size (1 for columns, 2 for pairs).
    """
    return NEE(seed=seed, **options).prepare_batch(
        np.stack([data[:, list(s)] for s in sets]))


@torch.no_grad()
def _pointwise(run: Run) -> np.ndarray:
    """Per evaluation row, the member-mean pointwise entropy, (P, n_eval), nats."""
    engine = run.engine
    rows = engine.heldout_rows if engine.heldout_rows is not None else engine.train_rows
    per_member = (run.reference.neg_log_density(rows, run.masks).double()
                  - engine.critic(rows).double())[:, 0]  # one head: (M, n_eval)
    k, p = run.estimator.ensemble, len(run.data)
    return per_member[:p * k].reshape(p, k, -1).nanmean(1).cpu().numpy()


def entropy_job(data: np.ndarray, sets: Sequence[tuple[int, ...]],
                options: dict[str, Any], seed: int) -> Entropies:
    """Train one batched model and return the entropies of ``sets`` (a chunk of work)."""
    run = prepare(data, sets, options, seed)
    with warnings.catch_warnings():
        # Flags come back as data; the caller warns once for the whole table.
        warnings.simplefilter("ignore", diagnostics.MineeWarning)
        run.engine.run()
        results = run.results()
    return Entropies(np.array([r.value for r in results]),
                     np.stack([r.members for r in results]), _pointwise(run),
                     [r.diagnostics for r in results])


def pair_job(data: np.ndarray, pairs: Sequence[tuple[int, int]],
             columns: Sequence[Entropies], options: dict[str, Any], seed: int) -> PairResult:
    """MI of each pair from its joint entropy (trained here) and the column entropies.

    Arguments:
        data: the table, (n, C).
        pairs: column index pairs of this chunk.
        columns: the column jobs' results, in column order.
        options, seed: the estimator settings, shared by every job.
    """
    cols = Entropies.concat(columns)
    joint = entropy_job(data, pairs, options, seed)
    i, j = np.array(pairs).T
    values = cols.values[i] + cols.values[j] - joint.values
    pointwise = cols.pointwise[i] + cols.pointwise[j] - joint.pointwise  # (P, n_eval)
    members = cols.members[i] + cols.members[j] - joint.members  # (P, K)
    k = members.shape[1]
    spread = members.var(1, ddof=1) / k if k > 1 else 0.0
    stderr = np.sqrt(pointwise.var(1) / pointwise.shape[1] + spread)
    return PairResult(values, stderr, joint.diagnostics)


def _in_worker(func: Callable[..., Any], *args: Any) -> Any:
    """Run a job in a Dask worker with one torch thread (workers already share the cores)."""
    torch.set_num_threads(1)
    _heap_for_tensors()
    return func(*args)


@functools.cache
def _heap_for_tensors() -> None:
    """Undo the malloc setting Dask's nanny gives its workers, once per worker process.

    The nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``; setting it freezes
    glibc's adaptive thresholds, so every block over 128 KiB is mmap-ed and unmapped again,
    and every training step's activations page-fault afresh (2-2.5x slower training,
    measured). These are the ceilings glibc's own adaptation reaches on 64-bit Linux.
    """
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: the variable means nothing there
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
    libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20)


# scheduling -----------------------------------------------------------------------------------
def _chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def _progress(total: int, enabled: bool, desc: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="chunk", disable=not enabled, leave=False,
                dynamic_ncols=True)


def _run_local(data: np.ndarray, col_chunks: list[list[tuple[int]]],
               pair_chunks: list[list[tuple[int, int]]], options: dict[str, Any], seed: int,
               progress: bool) -> tuple[Entropies, list[PairResult]]:
    columns: list[Entropies] = []
    pairs: list[PairResult] = []
    with _progress(len(col_chunks) + len(pair_chunks), progress, "mi chunks") as bar:
        for chunk in col_chunks:
            columns.append(entropy_job(data, chunk, options, seed))
            bar.update()
        for chunk in pair_chunks:
            pairs.append(pair_job(data, chunk, columns, options, seed))
            bar.update()
    return Entropies.concat(columns), pairs


def _run_dask(client: Any, data: np.ndarray, col_chunks: list[list[tuple[int]]],
              pair_chunks: list[list[tuple[int, int]]], options: dict[str, Any], seed: int,
              progress: bool, retries: int) -> tuple[Entropies, list[PairResult]]:
    from distributed import as_completed

    # Replicated on every worker: a copy held by one worker alone would die with it, and
    # scattered data, unlike a task's output, cannot be recomputed.
    shared = client.scatter(data, broadcast=True)
    token = uuid.uuid4().hex  # readable, unique task names for the dashboard
    col_futures = [client.submit(_in_worker, entropy_job, shared, chunk, options, seed,
                                 retries=retries, pure=False, key=f"minee-col-{k}-{token}")
                   for k, chunk in enumerate(col_chunks)]
    pair_futures = [client.submit(_in_worker, pair_job, shared, chunk, col_futures, options,
                                  seed, retries=retries, pure=False,
                                  key=f"minee-pair-{k}-{token}")
                    for k, chunk in enumerate(pair_chunks)]
    futures = col_futures + pair_futures
    with _progress(len(futures), progress, "mi chunks") as bar:
        for _ in as_completed(futures):
            bar.update()
    # Gathered in submission order; a result lost with a dead worker is recomputed first.
    results = client.gather(futures)
    return Entropies.concat(results[:len(col_chunks)]), results[len(col_chunks):]


def _compute(data: np.ndarray, needed: Sequence[int], pairs: Sequence[tuple[int, int]], *,
             seed: int | None, client: Any, scheduler: str | None, chunk_size: int | None,
             progress: bool, retries: int, options: dict[str, Any]
             ) -> tuple[dict[int, int], Entropies, list[PairResult]]:
    """Entropies of the ``needed`` columns and MI of ``pairs`` (indices into ``data``)."""
    if chunk_size is None:
        cpu = resolve_device(options.get("device", "auto")).type == "cpu"
        chunk_size = CHUNK_CPU if cpu else CHUNK_GPU
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be a non-negative int, got {retries!r}")
    if client is not None and scheduler is not None:
        raise ValueError("pass either client= or scheduler=, not both")
    if "seed" in options or "progress" in options:
        raise TypeError("seed and progress are arguments of this function, not options")
    # Unknown or invalid options fail here, before any work. The resolved settings travel
    # with every job, so a worker whose minee has other preset values computes the same.
    names = {f.name for f in fields(NEE)}
    settings = NEE(**options).settings()
    options = {**options, **{k: v for k, v in settings.items() if k in names}}
    seed = _seed(seed)  # drawn once: every job must share it (see the module docstring)
    # Jobs see only the needed columns, renumbered; pairs are then indices into them.
    index = {c: k for k, c in enumerate(needed)}
    data = np.ascontiguousarray(data[:, list(needed)])
    col_chunks = _chunks([(k,) for k in range(len(needed))], chunk_size)
    pair_chunks = _chunks([(index[a], index[b]) for a, b in pairs], chunk_size)
    if client is None and scheduler is None:
        columns, results = _run_local(data, col_chunks, pair_chunks, options, seed, progress)
    elif client is not None:
        columns, results = _run_dask(client, data, col_chunks, pair_chunks, options, seed,
                                     progress, retries)
    else:
        from distributed import Client

        with Client(scheduler) as own:
            columns, results = _run_dask(own, data, col_chunks, pair_chunks, options, seed,
                                         progress, retries)
    return index, columns, results


def _flags(labels: Sequence[str], flags: Sequence[dict[str, str]]) -> dict[str, dict[str, str]]:
    """The non-empty diagnostics by label; one summary warning so none go unseen."""
    found = {label: f for label, f in zip(labels, flags, strict=True) if f}
    if found:
        names = sorted({name for f in found.values() for name in f})
        warnings.warn(
            f"{len(found)} of {len(labels)} estimates carry diagnostics ({', '.join(names)}); "
            "see .attrs['diagnostics']", diagnostics.MineeWarning, stacklevel=3)
    return found


def _table(data: Any, columns: Sequence[Hashable] | None, name: str = "data"
           ) -> tuple[list[Hashable], np.ndarray]:
    """Column labels and the validated (n, C) float array of the selected columns."""
    if hasattr(data, "columns") and hasattr(data, "to_numpy"):
        labels = list(data.columns)
        if columns is not None:
            missing = [c for c in columns if c not in labels]
            if missing:
                raise ValueError(f"column(s) {missing} not in {name}; it has {labels}")
            data, labels = data[list(columns)], list(columns)
    else:
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be a 2-D table (n_rows, n_columns), got shape "
                             f"{arr.shape}")
        labels = list(range(arr.shape[1]))
        if columns is not None:
            bad = [c for c in columns if not isinstance(c, (int, np.integer))
                   or not 0 <= c < arr.shape[1]]
            if bad:
                raise ValueError(f"column(s) {bad} are not column indices of the "
                               f"{arr.shape[1]}-column array {name}")
            data, labels = arr[:, list(columns)], list(columns)
    if len(set(labels)) != len(labels):
        raise ValueError(f"{name} has repeated column labels; make them unique")
    return labels, as_matrix(data, name, min_rows=MIN_ROWS)


_ARGS_DOC = """
        seed: integer seed; the same seed (and ``chunk_size``) gives the same numbers
            in-process and on any Dask cluster. ``None`` draws one.
        client: a ``dask.distributed.Client``: each chunk becomes one Dask task (minee must
            be installed on the workers).
        scheduler: address of a Dask scheduler (``"tcp://host:8786"``) to connect to for
            this call, instead of ``client``.
        chunk_size: problems (columns or pairs) per batched model and per task; ``None``:
            16 on CPU, 256 on a GPU (where wide models pay). Each chunk trains until its
            slowest problem stops improving, so the numbers depend on it (slightly), as
            on the seed.
        progress: show a progress bar of chunks done on stderr.
        retries: times Dask reruns a task that raised (tasks lost with a dead worker
            are rerun regardless).
        options: hyperparameters of :class:`~minee.NEE` (``max_steps``, ``ensemble``,
            ``reference``, ``device``, ...), the same for every entropy."""


def mi_matrix(data: Any, columns: Sequence[Hashable] | None = None, *,
              seed: int | None = None, client: Any = None, scheduler: str | None = None,
              chunk_size: int | None = None, progress: bool = False, retries: int = 2,
              **options: Any) -> Any:
    """Mutual information between every pair of columns of a table, in nats.

    Each column's entropy is estimated once (one batched model for all columns); each
    pair's joint entropy in batched chunks of pairs; then
    $I(X_i;X_j) = H(X_i) + H(X_j) - H(X_i,X_j)$, all read on the same evaluation rows.

    Arguments:
        data: a pandas DataFrame or a 2-D array (n_rows, n_columns) of numeric samples;
            each row is one joint sample.
        columns: labels (DataFrame) or indices (array) of the columns to use; default all.
        {args}

    Returns:
        A symmetric pandas DataFrame (C, C) of MI in nats indexed by the column labels.
        The diagonal is NaN: $I(X;X)$ is infinite for a continuous variable. ``.attrs``
        holds plain-Python extras: ``"entropy"`` (label -> H(X) in nats), ``"stderr"``
        (label -> label -> standard error of the MI over evaluation rows and ensemble
        members, nats; ``pandas.DataFrame(m.attrs["stderr"])`` is its matrix; critic bias
        is not in it) and ``"diagnostics"`` ("a ~ b" or column label -> flags, only
        those with flags; a :class:`~minee.MineeWarning` says when there are any).

    Example:
        >>> m = minee.mi_matrix(df, seed=0)                      # one machine, batched
        >>> m = minee.mi_matrix(df, seed=0, client=Client(...))  # same numbers on Dask
    """
    import pandas as pd

    labels, arr = _table(data, columns)
    c = len(labels)
    if c < 2:
        raise ValueError(f"an MI matrix needs at least two columns, got {c}")
    pairs = [(i, j) for i in range(c) for j in range(i + 1, c)]
    _, cols, results = _compute(arr, range(c), pairs, seed=seed, client=client,
                                scheduler=scheduler, chunk_size=chunk_size,
                                progress=progress, retries=retries, options=options)
    values, stderr = np.full((c, c), np.nan), np.full((c, c), np.nan)
    i, j = np.array(pairs).T
    for target in (values, stderr):
        source = np.concatenate([r.values if target is values else r.stderr
                                 for r in results])
        target[i, j] = target[j, i] = source
    matrix = pd.DataFrame(values, index=labels, columns=labels)
    matrix.attrs = {
        "entropy": dict(zip(labels, map(float, cols.values), strict=True)),
        "stderr": {a: {b: float(stderr[q, p]) for q, b in enumerate(labels)}
                   for p, a in enumerate(labels)},
        "diagnostics": _flags([*labels, *(f"{labels[a]} ~ {labels[b]}" for a, b in pairs)],
                              [*cols.diagnostics,
                               *(f for r in results for f in r.diagnostics)]),
    }
    return matrix


def relevance(data: Any, target: Any, features: Sequence[Hashable] | None = None, *,
              seed: int | None = None, client: Any = None, scheduler: str | None = None,
              chunk_size: int | None = None, progress: bool = False, retries: int = 2,
              **options: Any) -> Any:
    """Mutual information between each feature and a target, in nats, most relevant first.

    Arguments:
        data: a pandas DataFrame or a 2-D array (n_rows, n_columns).
        target: the target: a column label (DataFrame) or index (array) of ``data``, or
            its own samples of shape (n_rows,) (then every column of ``data`` is a feature).
        features: labels or indices of the feature columns; default every other column.
        {args}

    Returns:
        A pandas Series of I(feature; target) in nats indexed by feature, sorted
        descending, named ``"mutual_information"``. ``.attrs``: ``"entropy"`` (label ->
        H in nats, target included), ``"stderr"`` (feature -> standard error, nats) and
        ``"diagnostics"`` (as in :func:`mi_matrix`).
    """
    import pandas as pd

    labels, arr = _table(data, None)
    if np.ndim(target) == 0:
        if target not in labels:
            raise ValueError(f"target {target!r} is not a column of data; it has {labels}")
        name = target
    else:
        y = as_matrix(target, "target", min_rows=MIN_ROWS)
        if y.shape != (arr.shape[0], 1):
            raise ValueError(f"target must hold one value per row of data ({arr.shape[0]},),"
                             f" got shape {np.shape(target)}")
        name = "target" if "target" not in labels else "__target__"
        labels, arr = [*labels, name], np.hstack([arr, y])
    t = labels.index(name)
    if features is None:
        feats = [k for k in range(len(labels)) if k != t]
    else:
        missing = [f for f in features if f not in labels]
        if missing:
            raise ValueError(f"feature(s) {missing} not in data; it has {labels}")
        feats = [labels.index(f) for f in features]
        if t in feats:
            raise ValueError(f"the target {name!r} is also listed as a feature")
    if not feats:
        raise ValueError("no feature columns: data holds only the target")
    needed = [*feats, t]
    index, cols, results = _compute(arr, needed, [(f, t) for f in feats], seed=seed,
                                    client=client, scheduler=scheduler,
                                    chunk_size=chunk_size, progress=progress,
                                    retries=retries, options=options)
    names = [labels[f] for f in feats]
    values = np.concatenate([r.values for r in results])
    stderr = np.concatenate([r.stderr for r in results])
    order = np.argsort(-values, kind="stable")
    out = pd.Series(values[order], index=[names[k] for k in order], name="mutual_information")
    out.attrs = {
        "entropy": {labels[c]: float(cols.values[index[c]]) for c in needed},
        "stderr": {names[k]: float(stderr[k]) for k in order},
        "diagnostics": _flags([*(labels[c] for c in needed), *names],
                              [*cols.diagnostics,
                               *(f for r in results for f in r.diagnostics)]),
    }
    return out


mi_matrix.__doc__ = (mi_matrix.__doc__ or "").replace("{args}", _ARGS_DOC.strip())
relevance.__doc__ = (relevance.__doc__ or "").replace("{args}", _ARGS_DOC.strip())
