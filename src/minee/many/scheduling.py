"""Running a table's jobs: in-process one chunk after another, or as Dask tasks; a
progress bar in training steps with tqdm's ETA; finished chunks kept in a store
(:class:`~minee.many.store.ChunkStore`) when one is given, and read back from it instead
of being computed again.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..settings import Settings
from ..training.engine import Engine
from .jobs import Entropies, PairResult, entropy_job, pair_job
from .store import ChunkStore

__all__ = ["Plan", "chunks", "run_local", "run_dask", "connect", "ANNOUNCE_PAIRS"]

#: above this many pairs the pair count and an estimated time are printed before the
#: pairs start (with ``progress``)
ANNOUNCE_PAIRS = 1000


def chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    """``items`` in consecutive lists of at most ``size``."""
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


@dataclass(frozen=True)
class Plan:
    """One table job: its rows (n, C), chunks of column sets and pairs, settings, where
    finished chunks are kept (``None``: nowhere) and the prefix of their names there (the
    jobs of one table on another scale share its store)."""

    data: np.ndarray
    col_chunks: list[list[tuple[int]]]
    pair_chunks: list[list[tuple[int, int]]]
    settings: Settings
    store: ChunkStore | None = None
    prefix: str = ""

    def stored(self, name: str) -> Entropies | PairResult | None:
        return None if self.store is None else self.store.load(self.prefix + name)

    def keep(self, name: str, result: Entropies | PairResult) -> None:
        if self.store is not None:
            self.store.save(self.prefix + name, result)


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


def _announce(plan: Plan, seconds_per_chunk: float | None) -> None:
    """Before many pairs: their count, and the time they will take at the pace of the
    column chunks (which train problems of the same kind), on stderr."""
    pairs = sum(map(len, plan.pair_chunks))
    if pairs <= ANNOUNCE_PAIRS:
        return
    eta = "" if seconds_per_chunk is None else (
        f", about {_duration(seconds_per_chunk * len(plan.pair_chunks))} at the pace of the "
        "column chunks")
    print(f"minee: {pairs:,} pairs in {len(plan.pair_chunks):,} chunks{eta}",
          file=sys.stderr, flush=True)


def _duration(seconds: float) -> str:
    """``seconds`` as ``2 h 05 min``, ``7 min`` or ``40 s``."""
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    return f"{round(seconds / 60)} min" if seconds >= 60 else f"{round(seconds)} s"


def run_local(plan: Plan, progress: bool) -> tuple[Entropies, list[PairResult]]:
    """Every chunk in this process, in order; stored ones read back, new ones stored as
    each finishes (an interruption loses at most the chunk that was running)."""
    columns: list[Entropies] = []
    pairs: list[PairResult] = []
    sizes = [len(c) for c in plan.col_chunks] + [len(c) for c in plan.pair_chunks]
    with _StepProgress(sizes, plan.settings.max_steps, progress) as bar:
        start, trained = time.perf_counter(), 0
        for k, col_chunk in enumerate(plan.col_chunks):
            entropies = plan.stored(f"columns-{k}")
            if not isinstance(entropies, Entropies):
                entropies, trained = entropy_job(plan.data, col_chunk, plan.settings,
                                                 bar.engine), trained + 1
                plan.keep(f"columns-{k}", entropies)
            columns.append(entropies)
            bar.chunk_done(len(col_chunk))
        if progress:
            _announce(plan, (time.perf_counter() - start) / trained if trained else None)
        for k, pair_chunk in enumerate(plan.pair_chunks):
            result = plan.stored(f"pairs-{k}")
            if not isinstance(result, PairResult):
                result = pair_job(plan.data, pair_chunk, columns, plan.settings, bar.engine)
                plan.keep(f"pairs-{k}", result)
            pairs.append(result)
            bar.chunk_done(len(pair_chunk))
    return Entropies.concat(columns), pairs


def run_dask(client: Any, plan: Plan, progress: bool, retries: int
             ) -> tuple[Entropies, list[PairResult]]:
    """Every chunk not in the store as one Dask task; results stored as they arrive."""
    from distributed import as_completed

    from .workers import PLUGIN_NAME, OneThreadPerWorker

    # Replicated on every worker: a copy held by one worker alone would die with it, and
    # scattered data, unlike a task's output, cannot be recomputed.
    client.register_plugin(OneThreadPerWorker(), name=PLUGIN_NAME)
    shared = client.scatter(plan.data, broadcast=True)
    token = uuid.uuid4().hex  # readable, unique task names for the dashboard
    names = [f"columns-{k}" for k in range(len(plan.col_chunks))] + [
        f"pairs-{k}" for k in range(len(plan.pair_chunks))]
    found = {name: plan.stored(name) for name in names}
    cols: list[Any] = [found[f"columns-{k}"] if isinstance(found[f"columns-{k}"], Entropies)
                       else client.submit(entropy_job, shared, chunk, plan.settings,
                                          retries=retries, pure=False,
                                          key=f"minee-col-{k}-{token}")
                       for k, chunk in enumerate(plan.col_chunks)]
    pairs: list[Any] = [found[f"pairs-{k}"] if isinstance(found[f"pairs-{k}"], PairResult)
                        else client.submit(pair_job, shared, chunk, cols, plan.settings,
                                           retries=retries, pure=False,
                                           key=f"minee-pair-{k}-{token}")
                        for k, chunk in enumerate(plan.pair_chunks)]
    if progress:
        _announce(plan, None)
    everything = cols + pairs
    sizes = [len(c) for c in plan.col_chunks] + [len(c) for c in plan.pair_chunks]
    by_key = {f.key: (name, size) for f, name, size in zip(everything, names, sizes,
                                                            strict=True) if _is_future(f)}
    with _StepProgress(sizes, plan.settings.max_steps, progress) as bar:
        for size in (s for f, s in zip(everything, sizes, strict=True) if not _is_future(f)):
            bar.chunk_done(size)
        for future in as_completed([f for f in everything if _is_future(f)]):
            name, size = by_key[future.key]
            if future.status == "finished":  # a failed task raises in gather, below,
                plan.keep(name, future.result())  # after every finished one is kept
            bar.chunk_done(size)
    # Gathered in submission order; a result lost with a dead worker is recomputed first.
    results = client.gather(everything)
    return Entropies.concat(results[:len(cols)]), results[len(cols):]


def _is_future(value: Any) -> bool:
    return not isinstance(value, (Entropies, PairResult))


def connect(scheduler: str, timeout: float) -> Any:
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
