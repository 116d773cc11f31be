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
or when it runs, so both give identical numbers for the same seed and ``chunk_size``.

Every job uses the same seed: the estimators draw the held-out split (``val_fraction``)
from the seed and the row count alone, so every entropy is read on the same evaluation rows
(the held-out rows, or all rows without a split). The column entropies and the joint
entropy then share their evaluation rows, their cross-entropy terms refer to the same
sample, and the MI's standard error can be computed from the per-row values.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..checks import check_seed, draw_seed, positive_real
from ..data.inputs import resolve_device
from ..data.preprocessing import transform
from ..estimation import readout
from ..estimation.estimators import MINEE, NEE
from ..estimation.model import Run
from ..estimation.summary import summarise
from ..settings import Settings, read_rows
from ..training.engine import Engine

__all__ = ["compute", "entropy_job", "pair_job", "prepare", "Entropies", "PairResult",
           "CHUNK_CPU", "CHUNK_GPU"]

# Problems per batched model when chunk_size=None. On CPU the cost per problem is flat from
# about 8 to 32 and rises beyond (activations leave the cache: benchmarks/scale.py); a GPU
# wants wide models to fill it.
CHUNK_CPU, CHUNK_GPU = 16, 256


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


# MI of a pair from entropies: MINEE's heads (xy, x, y) and their signs
_PAIR_HEADS = MINEE().heads({"x": 1, "y": 1})


# jobs: module-level functions so that Dask workers can import them ---------------------------
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


# scheduling -----------------------------------------------------------------------------------
def _chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


class _StepProgress:
    """A progress bar in training steps over all chunks (with tqdm's rate and ETA), and
    the estimates done so far as its postfix.

    Arguments:
        chunks: sizes (problems) of the chunks, in run order.
        steps: the most steps a chunk trains (a chunk that stops early counts as done).
        enabled: show it (on stderr).
    """

    def __init__(self, chunks: Sequence[int], steps: int, enabled: bool):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=len(chunks) * steps, desc="mi", unit="step", leave=False,
                        disable=not enabled, dynamic_ncols=True)
        self.steps, self.problems, self.done = steps, sum(chunks), 0
        self.base = 0  # steps of the chunks already finished

    def engine(self, engine: Engine) -> None:
        """Callback of a running chunk's engine."""
        self.bar.update(self.base + engine.step - self.bar.n)

    def chunk_done(self, problems: int) -> None:
        self.base += self.steps
        self.done += problems
        self.bar.update(self.base - self.bar.n)
        self.bar.set_postfix_str(f"{self.done}/{self.problems} estimates")

    def __enter__(self) -> _StepProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()


def _run_local(data: np.ndarray, col_chunks: list[list[tuple[int]]],
               pair_chunks: list[list[tuple[int, int]]], settings: Settings,
               progress: bool) -> tuple[Entropies, list[PairResult]]:
    columns: list[Entropies] = []
    pairs: list[PairResult] = []
    sizes = [len(c) for c in col_chunks] + [len(c) for c in pair_chunks]
    with _StepProgress(sizes, settings.max_steps, progress) as bar:
        for col_chunk in col_chunks:
            columns.append(entropy_job(data, col_chunk, settings, bar.engine))
            bar.chunk_done(len(col_chunk))
        for pair_chunk in pair_chunks:
            pairs.append(pair_job(data, pair_chunk, columns, settings, bar.engine))
            bar.chunk_done(len(pair_chunk))
    return Entropies.concat(columns), pairs


def _run_dask(client: Any, data: np.ndarray, col_chunks: list[list[tuple[int]]],
              pair_chunks: list[list[tuple[int, int]]], settings: Settings,
              progress: bool, retries: int) -> tuple[Entropies, list[PairResult]]:
    from distributed import as_completed

    from .workers import PLUGIN_NAME, OneThreadPerWorker

    # Replicated on every worker: a copy held by one worker alone would die with it, and
    # scattered data, unlike a task's output, cannot be recomputed.
    client.register_plugin(OneThreadPerWorker(), name=PLUGIN_NAME)
    shared = client.scatter(data, broadcast=True)
    token = uuid.uuid4().hex  # readable, unique task names for the dashboard
    col_futures = [client.submit(entropy_job, shared, chunk, settings,
                                 retries=retries, pure=False, key=f"minee-col-{k}-{token}")
                   for k, chunk in enumerate(col_chunks)]
    pair_futures = [client.submit(pair_job, shared, chunk, col_futures, settings,
                                  retries=retries, pure=False,
                                  key=f"minee-pair-{k}-{token}")
                    for k, chunk in enumerate(pair_chunks)]
    futures = col_futures + pair_futures
    chunks: list[list[Any]] = [*col_chunks, *pair_chunks]
    sizes = {f.key: len(c) for f, c in zip(futures, chunks, strict=True)}
    with _StepProgress(list(sizes.values()), settings.max_steps, progress) as bar:
        for future in as_completed(futures):
            bar.chunk_done(sizes[future.key])
    # Gathered in submission order; a result lost with a dead worker is recomputed first.
    results = client.gather(futures)
    return Entropies.concat(results[:len(col_chunks)]), results[len(col_chunks):]


def _connect(scheduler: str, timeout: float) -> Any:
    """A Dask client of ``scheduler``, or ``ValueError`` after ``timeout`` seconds.

    The connection is made in a daemon thread: a listener that accepts and never answers
    (not a Dask scheduler) makes ``Client`` wait past its own timeout, and must not hang
    the call; such a thread is left behind, idle.
    """
    import threading

    from distributed import Client

    box: dict[str, Any] = {}

    def connect() -> None:
        try:
            box["client"] = Client(scheduler, timeout=timeout)
        except Exception as exc:  # reported below, in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=connect, daemon=True, name="minee-dask-connect")
    thread.start()
    thread.join(timeout + 1.0)
    if "client" in box:
        return box["client"]
    cause = type(box["error"]).__name__ if "error" in box else "no answer"
    raise ValueError(f"no Dask scheduler answered at {scheduler} within {timeout:g} s "
                     f"({cause}); check the address, or raise the timeout")


def compute(data: np.ndarray, needed: Sequence[int], pairs: Sequence[tuple[int, int]], *,
             seed: int | None, client: Any, scheduler: str | None, chunk_size: int | None,
             progress: bool, retries: int, options: dict[str, Any],
             timeout: float = 10.0) -> tuple[dict[int, int], Entropies, list[PairResult]]:
    """Entropies of the ``needed`` columns and MI of ``pairs`` (indices into ``data``)."""
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
    # Unknown or invalid options fail here, before any work. The settings are resolved
    # once and travel with every job as data, so a worker whose minee has other recipes
    # computes the same.
    settings = NEE.from_options(**options, seed=seed).settings(data.shape[0])
    data = read_rows(data, settings)
    # Jobs see only the needed columns, renumbered; pairs are then indices into them.
    index = {c: k for k, c in enumerate(needed)}
    data = np.ascontiguousarray(data[:, list(needed)])
    if settings.preprocess == "rank-t":  # one t copula for the table: a dof per set puts
        # a column's and its pairs' entropies on different scales (a cube read -0.54 for 1.69)
        data, settings = transform(data, "rank-t")[0], replace(settings, preprocess="none")
    col_chunks = _chunks([(k,) for k in range(len(needed))], chunk_size)
    pair_chunks = _chunks([(index[a], index[b]) for a, b in pairs], chunk_size)
    if client is not None:
        columns, results = _run_dask(client, data, col_chunks, pair_chunks, settings,
                                     progress, retries)
    elif scheduler is None:
        columns, results = _run_local(data, col_chunks, pair_chunks, settings, progress)
    else:
        with _connect(scheduler, timeout) as own:
            columns, results = _run_dask(own, data, col_chunks, pair_chunks, settings,
                                         progress, retries)
    return index, columns, results
