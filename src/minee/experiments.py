r"""Reproduce the paper's Figures 1 and 2: MI-NEE against MINE on several samples at once.

Each figure trains, for P seeds, P problems in one batched model per method (seed s draws a
new sample of N = 400 rows and new critic weights): MI-NEE (eq. 18, uniform reference) and
MINE (moving-average loss), and optionally the authors' cross-training (MI-NEE first, then
MINE's loss on $T = f_0(x, y) - f_1(x) - f_2(y)$, eq. 17). The raw estimate is evaluated on
the full sample against a fresh reference every ``eval_every`` steps and smoothed here by
an exponential moving average of rate 0.01 per iteration, as the authors' plots are::

    summary = minee.experiments.reproduce("fig1", seeds=3, steps=3000, out="results")

Runs checkpoint atomically to ``OUT/<figure>.ckpt`` (checksummed; a damaged one is refused);
``resume=True`` continues one (also to a longer horizon) and, on CPU, gives the same curves
as an uninterrupted run. Ctrl-C or SIGTERM stops a run at the next evaluation, after writing
the checkpoint, by raising :class:`Interrupted`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import tasks
from .engine import Engine
from .estimators import MINE, MINEE
from .experiment_report import (
    METHODS,
    SMOOTHING,
    first_reaching,
    format_table,
    smooth,
    summarise_figure,
    write_figure,
)
from .files import load_checked, save_checked
from .heads import Heads
from .model import Run
from .progress import ProgressBar

__all__ = ["Figure", "FIGURES", "METHODS", "Interrupted", "reproduce", "smooth",
           "first_reaching", "format_table"]

CHECKPOINT_VERSION = 4  # 2: objective state, SeedSequence streams; 3: checksummed file;
# 4: the engine's epoch order and reference pool
CHECKPOINT_KIND = f"minee-checkpoint-{CHECKPOINT_VERSION}"
_ADVICE = "delete it and rerun without --resume"


@dataclass(frozen=True)
class Figure:
    """One of the paper's experiments (Section 4, REFERENCE-NOTES).

    Attributes:
        name: ``"fig1"`` or ``"fig2"``.
        task: task name and parameters for :func:`minee.tasks.get`.
        lr: Adam learning rate of every network.
        ref_factor: MI-NEE reference rows as a multiple of the batch (and of N at evaluation).
        steps: the paper's horizon in iterations.
        paper: per method, when the paper's smoothed estimate comes within 10% of the
            truth, as text; ``"note"``: what the paper reports.
    """

    name: str
    task: tuple[str, dict[str, Any]]
    lr: float
    ref_factor: float
    steps: int
    paper: dict[str, Any]
    n: int = 400
    batch_size: int = 100


FIGURES = {
    "fig1": Figure("fig1", ("mg", {"rho": 0.9}), lr=1e-4, ref_factor=10.0, steps=100_000,
                   paper={"minee": "~20,000", "mine": "~70,000",
                          "note": "MI-NEE within 10% near 2e4 iterations; MINE near 7e4"}),
    "fig2": Figure("fig2", ("hg", {"rho": 0.9, "d": 6}), lr=5e-5, ref_factor=300.0,
                   steps=30_000,
                   paper={"minee": "~6,000", "mine": "> 25,000",
                          "note": "MI-NEE within 10% near 6e3; MINE not within 10% by 2.5e4"}),
}


# curves ---------------------------------------------------------------------------------
def _cross_run(source: Run, xs: np.ndarray, ys: np.ndarray, *, fig: Figure, steps: int,
               eval_every: int, seed: int) -> Run:
    """MINE's loss on a copy of ``source``'s trained MI-NEE critics (eq. 17), the paper's
    MINE settings otherwise (moving-average rate, one reference row per data row)."""
    return MINE(preset="paper", lr=fig.lr, batch_size=fig.batch_size, max_steps=steps,
                eval_every=eval_every, smoothing=_eval_rate(eval_every), seed=seed
                ).prepare_batch(xs, ys, critic_from=source)


# running ----------------------------------------------------------------------------------
def _eval_rate(eval_every: int) -> float:
    return 1.0 - (1.0 - SMOOTHING) ** eval_every


def _samples(fig: Figure, seeds: int, first_seed: int) -> tuple[tasks.Task, np.ndarray,
                                                                np.ndarray]:
    task = tasks.get(fig.task[0], **fig.task[1])
    pairs = [task.sample(fig.n, seed=first_seed + s) for s in range(seeds)]
    return task, np.stack([x for x, _ in pairs]), np.stack([y for _, y in pairs])


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (SIGINT), SIGTERM, or a ``KeyboardInterrupt`` from the callback.

    Attributes:
        signum: the signal's number (``None`` when the callback raised).
        checkpoint: the checkpoint to resume from (``None`` when none was written).
    """

    def __init__(self, signum: int | None = None, checkpoint: Path | None = None):
        super().__init__(signum)
        self.signum, self.checkpoint = signum, checkpoint

    def __str__(self) -> str:
        cause = "interrupted" if self.signum is None else signal.Signals(self.signum).name
        return f"{cause}; " + (f"checkpoint in {self.checkpoint}" if self.checkpoint
                               else "no checkpoint written")


class _Stop(Interrupted):
    """An interruption raised between steps, where the engine's state is consistent."""


class _Interrupts:
    """Turn the first SIGINT (Ctrl-C) or SIGTERM into a stop request honoured between steps,
    where the engine's state is consistent and the checkpoint can be written. A second SIGINT
    stops at once (the checkpoint on disk stays valid); a repeated SIGTERM is the same request
    (timeout(1) signals the process, then its group; supervisors escalate with SIGKILL).
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def _handler(self, signum: int, frame: Any) -> None:
        if self.signum is None:
            self.signum = signum
        elif signum == signal.SIGINT:
            raise Interrupted(signum)

    @contextlib.contextmanager
    def installed(self) -> Iterator[_Interrupts]:
        # Python accepts signal handlers only in the main thread; elsewhere the caller's
        # own handling (the default: KeyboardInterrupt on Ctrl-C) applies
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        old = {signum: signal.signal(signum, self._handler) for signum in self.SIGNALS}
        try:
            yield self
        finally:
            for signum, handler in old.items():
                # None: a handler installed outside Python, which cannot be put back
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)


class _Checkpoints:
    """Writes the run's checkpoint (when it has a file): right after the first evaluation,
    then once ``every`` seconds have passed, so a run killed outright loses at most that."""

    def __init__(self, path: Path | None, state: Callable[[], dict[str, Any]], every: float):
        self.path, self.state, self.every = path, state, every
        self.last: float | None = None  # time.monotonic() of the last write, in seconds

    def write(self) -> None:
        if self.path is not None:
            save_checked(self.path, self.state(), CHECKPOINT_KIND)
        self.last = time.monotonic()

    def due(self) -> bool:
        return self.last is None or time.monotonic() - self.last >= self.every


class _Ticker:
    """The engine callback of one method: progress, user callback, checkpoints, signals."""

    def __init__(self, method: str, callback: Callable[[str, Engine], None] | None,
                 interrupts: _Interrupts, elapsed: dict[str, float],
                 checkpoints: _Checkpoints):
        self.method, self.callback, self.interrupts = method, callback, interrupts
        self.bar: ProgressBar | None = None  # set by the training loop that shows it
        self.elapsed, self.checkpoints = elapsed, checkpoints
        self.start, self.before = time.monotonic(), elapsed.get(method, 0.0)

    def __call__(self, engine: Engine) -> None:
        now = time.monotonic()
        self.elapsed[self.method] = self.before + now - self.start
        if self.bar is not None:
            self.bar.update(engine)
        try:
            if self.callback is not None:
                self.callback(self.method, engine)
        except KeyboardInterrupt:
            raise _Stop from None
        if self.interrupts.requested:
            raise _Stop(self.interrupts.signum)
        if self.checkpoints.due():
            self.checkpoints.write()


def _postfix(heads: Heads, truth: float) -> Callable[[Engine], str]:
    """The progress text: each seed's smoothed MI (from the engine's smoothed divergences)."""
    def text(engine: Engine) -> str:
        mi = heads.combine(engine.smoothed("train").double().numpy())
        return f"I {' '.join(f'{v:.3f}' for v in mi)} (truth {truth:.3f})"

    return text


def reproduce(figure: str, *, seeds: int = 5, steps: int | None = None, eval_every: int = 1,
              cross: bool = False, cross_steps: int | None = None, first_seed: int = 0,
              out: str | os.PathLike | None = None, resume: bool = False,
              checkpoint_every: float = 30.0, progress: bool = False, plot: bool = True,
              callback: Callable[[str, Engine], None] | None = None) -> dict[str, Any]:
    """Run one of the paper's figures on several seeds and summarise it.

    Arguments:
        figure: ``"fig1"`` (MG(0.9)) or ``"fig2"`` (HG(0.9, 6)).
        seeds: P, samples of N = 400 rows (seeds ``first_seed ... first_seed + P - 1``),
            each with new critic weights; all P train in one batched model per method.
        steps: horizon in iterations (default: the checkpoint's when resuming, else the
            paper's, 1e5 for fig1, 3e4 for fig2).
        eval_every: evaluate the full-sample estimate every this many iterations (the
            paper: 1); the smoothing accounts for the gap.
        cross: also run the authors' cross-training (MINE's loss on the MI-NEE critics
            after the MI-NEE run), plotted from iteration ``steps`` on.
        cross_steps: iterations of the cross-training phase (default: the checkpoint's
            when resuming, else ``steps``).
        first_seed: the first seed.
        out: folder for ``<figure>.png/.pdf/.csv/.json`` and the checkpoint
            ``<figure>.ckpt`` (``None``: nothing is written and nothing resumes).
        resume: continue from ``out/<figure>.ckpt`` (settings must match; ``steps`` may
            differ from the checkpoint's horizon if no run is past it: a finished run is
            extended, an unfinished one shortened).
        checkpoint_every: seconds between checkpoints; the first is written right after
            the first evaluation, and one when the run ends or is stopped.
        progress: show tqdm bars on stderr with the current smoothed estimates.
        plot: write the PNG and PDF figure (needs matplotlib).
        callback: called as ``callback(method, engine)`` after every evaluation; it may
            raise ``KeyboardInterrupt``, which leaves a checkpoint and raises
            :class:`Interrupted`.

    Returns:
        The JSON-ready summary (see :func:`minee.experiment_report.summarise_figure`).

    Raises:
        Interrupted: (a ``KeyboardInterrupt``) on Ctrl-C or SIGTERM, or when the callback
            raised ``KeyboardInterrupt``, after writing the checkpoint (a second Ctrl-C
            stops at once, leaving the last checkpoint written).
        ValueError: bad arguments, or a checkpoint that does not match them or was
            damaged or altered.
    """
    if figure not in FIGURES:
        raise ValueError(f"unknown figure {figure!r}; choose one of {sorted(FIGURES)}")
    fig = FIGURES[figure]
    for name, v in (("seeds", seeds), ("steps", steps), ("eval_every", eval_every),
                    ("cross_steps", cross_steps)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))
                              or v < 1):
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    if resume and out is None:
        raise ValueError("resume needs an output folder holding the checkpoint")
    folder = None if out is None else Path(out)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    ckpt = None if folder is None else folder / f"{figure}.ckpt"
    settings = {"figure": figure, "seeds": seeds, "first_seed": first_seed,
                "eval_every": eval_every, "cross": cross}
    saved = _read_checkpoint(ckpt, settings) if resume and ckpt is not None else {}
    steps, cross_steps = _horizons(fig, saved, steps, cross_steps, eval_every)
    task, xs, ys = _samples(fig, seeds, first_seed)
    common: dict[str, Any] = {"preset": "paper", "lr": fig.lr, "batch_size": fig.batch_size,
                              "max_steps": steps, "eval_every": eval_every,
                              "smoothing": _eval_rate(eval_every), "seed": first_seed}
    runs: dict[str, Run] = {
        "minee": MINEE(ref_factor=fig.ref_factor, **common).prepare_batch(xs, ys),
        "mine": MINE(**common).prepare_batch(xs, ys)}
    engines = saved.get("engines", {})
    for method, run in runs.items():  # all now: every checkpoint holds every state
        _restore(run, engines.get(method), ckpt)
    elapsed = dict(saved.get("elapsed", {}))
    checkpoints = _Checkpoints(ckpt, lambda: {
        "version": CHECKPOINT_VERSION, "settings": settings, "steps": steps,
        "engines": {m: r.engine.state_dict() for m, r in runs.items()},
        "cross_steps": cross_steps, "elapsed": elapsed}, checkpoint_every)
    interrupts = _Interrupts()
    with interrupts.installed():
        try:
            for method in ["minee", "mine"] + (["cross"] if cross else []):
                if method == "cross":
                    runs["cross"] = _cross_run(runs["minee"], xs, ys, fig=fig,
                                               steps=cross_steps, eval_every=eval_every,
                                               seed=first_seed + 1)
                    _restore(runs["cross"], engines.get("cross"), ckpt)
                ticker = _Ticker(method, callback, interrupts, elapsed, checkpoints)
                _train(runs[method], f"{figure} {METHODS[method]}", ticker,
                       progress=progress, truth=task.mutual_information)
            if interrupts.requested:  # after the last evaluation: its checkpoint is written
                raise Interrupted(interrupts.signum)
        except Interrupted as exc:
            exc.checkpoint = ckpt if ckpt is not None and ckpt.is_file() else None
            raise
    summary = summarise_figure(fig, task, runs, steps=steps, eval_every=eval_every,
                               first_seed=first_seed, elapsed=elapsed)
    if folder is not None:
        write_figure(folder, figure, summary, plot=plot)
    return summary


def _read_checkpoint(ckpt: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint's content, verified and checked against this call's settings.

    Raises:
        FileNotFoundError: no checkpoint.
        ValueError: a damaged, altered or incomplete file, or one written with other
            settings or by another version.
    """
    if not ckpt.exists():
        raise FileNotFoundError(f"no checkpoint to resume: {ckpt}")
    saved = load_checked(ckpt, CHECKPOINT_KIND, what="a minee reproduce checkpoint",
                         advice=_ADVICE)
    if saved.get("version") != CHECKPOINT_VERSION or saved.get("settings") != settings:
        raise ValueError(f"{ckpt} was written with other settings {saved.get('settings')}; "
                         "rerun without --resume")
    engines, elapsed = saved.get("engines"), saved.get("elapsed")
    if not (isinstance(engines, dict) and set(engines) <= set(METHODS)
            and all(isinstance(e, dict) and isinstance(e.get("step"), int)
                    for e in engines.values())
            and ("cross" not in engines or "minee" in engines)
            and all(isinstance(saved.get(k), int) for k in ("steps", "cross_steps"))
            and isinstance(elapsed, dict)
            and all(isinstance(v, float) for v in elapsed.values())):
        raise ValueError(f"{ckpt} is not a complete checkpoint; {_ADVICE}")
    return saved


def _restore(run: Run, state: dict[str, Any] | None, ckpt: Path | None) -> None:
    """Load a checkpointed engine state into ``run`` (nothing when ``state`` is None)."""
    if state is None:
        return
    try:
        run.engine.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
        # only a checkpoint altered and checksummed again gets here: its parts do not fit
        raise ValueError(f"{ckpt} holds an engine state that does not fit this run "
                         f"({type(exc).__name__}); {_ADVICE}") from None


def _horizons(fig: Figure, saved: dict[str, Any], steps: int | None,
              cross_steps: int | None, eval_every: int) -> tuple[int, int]:
    """The horizons: as given, else the checkpoint's, else the paper's; checked against
    the checkpoint's progress."""
    steps = steps or saved.get("steps") or fig.steps
    cross_steps = cross_steps or saved.get("cross_steps") or steps
    for name, v in (("steps", steps), ("cross_steps", cross_steps)):
        if v % eval_every:
            raise ValueError(f"{name}={v} must be a multiple of eval_every={eval_every}")
    engines = saved.get("engines", {})
    for method, state in engines.items():
        limit = steps if method != "cross" else cross_steps
        if state["step"] > limit:
            raise ValueError(f"the checkpoint's {METHODS[method]} run is at step "
                             f"{state['step']}, beyond the requested {limit}")
    if "cross" in engines and engines["minee"]["step"] != steps:
        raise ValueError("the checkpoint's cross-training started from MI-NEE at step "
                         f"{engines['minee']['step']}; it cannot be extended")
    return steps, cross_steps


def _train(run: Run, label: str, ticker: _Ticker, *, progress: bool, truth: float) -> None:
    """Train one method's run to its horizon with a progress bar; checkpoint at the end
    and, when interrupted, at the step where the interruption was honoured."""
    engine = run.engine
    with ProgressBar(engine.config.max_steps, label, enabled=progress,
                     postfix=_postfix(run.heads, truth), initial=engine.step) as bar:
        ticker.bar = bar
        try:
            run.train(callback=ticker)
        except _Stop:
            ticker.checkpoints.write()  # raised only between steps: the state is consistent
            raise
    ticker.checkpoints.write()
