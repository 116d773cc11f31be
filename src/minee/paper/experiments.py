r"""Reproduce the paper's Figures 1 and 2: MI-NEE against MINE on several samples at once.

Each figure trains, for P seeds, P problems in one batched model per method (seed s draws a
new sample of N = 400 rows and new critic weights): MI-NEE (eq. 18, uniform reference) and
MINE (moving-average loss), and optionally the authors' cross-training (MI-NEE first, then
MINE's loss on $T = f_0(x, y) - f_1(x) - f_2(y)$, eq. 17). The raw estimate is evaluated on
the full sample against a fresh reference every ``eval_every`` steps and smoothed here by
an exponential moving average of rate 0.01 per iteration, as the authors' plots are::

    summary = minee.paper.experiments.reproduce("fig1", seeds=3, steps=3000, out="results")

Runs checkpoint atomically to ``OUT/<figure>.ckpt`` (checksummed; a damaged one is refused);
``resume=True`` continues one (also to a longer horizon) and, on CPU, gives the same curves
as an uninterrupted run. Ctrl-C or SIGTERM stops a run at the next evaluation, after writing
the checkpoint, by raising :class:`Interrupted`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import tasks
from ..checks import non_negative_real
from ..estimation.estimators import MINE, MINEE
from ..estimation.model import Run
from ..progress import ProgressBar
from ..training.engine import Engine
from ..training.heads import Heads
from .checkpoints import CHECKPOINT_KIND as CHECKPOINT_KIND  # read here by tests
from .checkpoints import (
    CHECKPOINT_VERSION,
    Checkpoints,
    horizons,
    read_checkpoint,
    restore,
)
from .figures import FIGURES, METHODS, SMOOTHING, Figure
from .interrupts import Interrupted, Interrupts, Stop
from .report import first_reaching, format_table, smooth, summarise_figure, write_figure

__all__ = ["Figure", "FIGURES", "METHODS", "Interrupted", "reproduce", "smooth",
           "first_reaching", "format_table"]


# curves ---------------------------------------------------------------------------------
def _cross_run(source: Run, xs: np.ndarray, ys: np.ndarray, *, fig: Figure, steps: int,
               eval_every: int, seed: int) -> Run:
    """MINE's loss on a copy of ``source``'s trained MI-NEE critics (eq. 17), the paper's
    MINE settings otherwise (moving-average rate, one reference row per data row)."""
    return MINE(preset="paper", max_steps=steps, seed=seed,
                advanced=_paper_recipe(fig, eval_every)
                ).prepare_batch(xs, ys, critic_from=source)


# running ----------------------------------------------------------------------------------
def _eval_rate(eval_every: int) -> float:
    return 1.0 - (1.0 - SMOOTHING) ** eval_every


def _paper_recipe(fig: Figure, eval_every: int) -> dict[str, Any]:
    """The figure's changes to the paper's recipe: its learning rate and batch, and the
    evaluation schedule (smoothing rescaled so that the curve is the paper's)."""
    return {"lr": fig.lr, "batch_size": fig.batch_size, "eval_every": eval_every,
            "smoothing": _eval_rate(eval_every)}


def _samples(fig: Figure, seeds: int, first_seed: int) -> tuple[tasks.Task, np.ndarray,
                                                                np.ndarray]:
    task = tasks.get(fig.task[0], **fig.task[1])
    pairs = [task.sample(fig.n, seed=first_seed + s) for s in range(seeds)]
    return task, np.stack([x for x, _ in pairs]), np.stack([y for _, y in pairs])


class _Ticker:
    """The engine callback of one method: progress, user callback, checkpoints, signals."""

    def __init__(self, method: str, callback: Callable[[str, Engine], None] | None,
                 interrupts: Interrupts, elapsed: dict[str, float],
                 checkpoints: Checkpoints):
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
            raise Stop from None
        if self.interrupts.requested:
            raise Stop(self.interrupts.signum)
        if self.checkpoints.due():
            self.checkpoints.write()


def _postfix(heads: Heads, truth: float) -> Callable[[Engine], str]:
    """The progress text: each seed's smoothed MI (from the engine's smoothed divergences)."""
    def text(engine: Engine) -> str:
        mi = heads.combine(engine.smoothed("train").double().numpy())
        return f"I {' '.join(f'{v:.3f}' for v in mi)} (truth {truth:.3f})"

    return text


@dataclass
class _Setup:
    """One call of :func:`reproduce`, ready to train: the figure, its samples (P, N, d)
    each, the runs by method (the cross-training's added when it starts), the horizons in
    iterations, where the checkpoint goes and what it restored."""

    fig: Figure
    task: tasks.Task
    xs: np.ndarray
    ys: np.ndarray
    runs: dict[str, Run]
    steps: int
    cross_steps: int
    eval_every: int
    first_seed: int
    cross: bool
    folder: Path | None
    ckpt: Path | None
    settings: dict[str, Any]
    engines: dict[str, Any]  # the checkpoint's engine states by method ({}: a fresh start)
    elapsed: dict[str, float]  # seconds each method has trained, checkpoints included

    def checkpoint_state(self) -> dict[str, Any]:
        """What the checkpoint holds now (the engines' states as they are)."""
        return {"version": CHECKPOINT_VERSION, "settings": self.settings, "steps": self.steps,
                "engines": {m: r.engine.state_dict() for m, r in self.runs.items()},
                "cross_steps": self.cross_steps, "elapsed": self.elapsed}

    def add_cross(self) -> Run:
        """The cross-training's run on the trained MI-NEE critics, restored if checkpointed."""
        self.runs["cross"] = _cross_run(self.runs["minee"], self.xs, self.ys, fig=self.fig,
                                        steps=self.cross_steps, eval_every=self.eval_every,
                                        seed=self.first_seed + 1)
        restore(self.runs["cross"], self.engines.get("cross"), self.ckpt)
        return self.runs["cross"]


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
        The JSON-ready summary (see :func:`minee.paper.report.summarise_figure`).

    Raises:
        Interrupted: (a ``KeyboardInterrupt``) on Ctrl-C or SIGTERM, or when the callback
            raised ``KeyboardInterrupt``, after writing the checkpoint (a second Ctrl-C
            stops at once, leaving the last checkpoint written).
        ValueError: bad arguments, or a checkpoint that does not match them or was
            damaged or altered.
    """
    # 0 writes at every evaluation; NaN would never compare as due, and be the same
    non_negative_real("checkpoint_every", checkpoint_every)
    setup = _set_up(figure, seeds=seeds, steps=steps, eval_every=eval_every, cross=cross,
                    cross_steps=cross_steps, first_seed=first_seed, out=out, resume=resume)
    _train_all(setup, checkpoint_every=checkpoint_every, progress=progress, callback=callback)
    return _summarise(setup, plot=plot)


def _check_arguments(figure: str, *, seeds: int, steps: int | None, eval_every: int,
                     cross_steps: int | None, out: str | os.PathLike | None,
                     resume: bool) -> Figure:
    """The figure named ``figure``, once the arguments of :func:`reproduce` are valid."""
    if figure not in FIGURES:
        raise ValueError(f"unknown figure {figure!r}; choose one of {sorted(FIGURES)}")
    for name, v in (("seeds", seeds), ("steps", steps), ("eval_every", eval_every),
                    ("cross_steps", cross_steps)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))
                              or v < 1):
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    if resume and out is None:
        raise ValueError("resume needs an output folder holding the checkpoint")
    return FIGURES[figure]


def _set_up(figure: str, *, seeds: int, steps: int | None, eval_every: int, cross: bool,
            cross_steps: int | None, first_seed: int, out: str | os.PathLike | None,
            resume: bool) -> _Setup:
    """Check the arguments, read the checkpoint when resuming, draw the samples and build
    MI-NEE's and MINE's runs (with their checkpointed states)."""
    fig = _check_arguments(figure, seeds=seeds, steps=steps, eval_every=eval_every,
                           cross_steps=cross_steps, out=out, resume=resume)
    folder = None if out is None else Path(out)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    ckpt = None if folder is None else folder / f"{figure}.ckpt"
    settings = {"figure": figure, "seeds": seeds, "first_seed": first_seed,
                "eval_every": eval_every, "cross": cross}
    saved = read_checkpoint(ckpt, settings) if resume and ckpt is not None else {}
    steps, cross_steps = horizons(fig, saved, steps, cross_steps, eval_every)
    task, xs, ys = _samples(fig, seeds, first_seed)
    common: dict[str, Any] = {"preset": "paper", "max_steps": steps, "seed": first_seed}
    recipe = _paper_recipe(fig, eval_every)
    runs: dict[str, Run] = {
        "minee": MINEE(**common, advanced={**recipe, "ref_factor": fig.ref_factor}
                       ).prepare_batch(xs, ys),
        "mine": MINE(**common, advanced=recipe).prepare_batch(xs, ys)}
    engines = saved.get("engines", {})
    for method, run in runs.items():  # all now: every checkpoint holds every state
        restore(run, engines.get(method), ckpt)
    return _Setup(fig, task, xs, ys, runs, steps, cross_steps, eval_every, first_seed, cross,
                  folder, ckpt, settings, engines, dict(saved.get("elapsed", {})))


def _train_all(setup: _Setup, *, checkpoint_every: float, progress: bool,
               callback: Callable[[str, Engine], None] | None) -> None:
    """Train MI-NEE, MINE and (with ``cross``) the cross-training in turn, each to its
    horizon, checkpointing; a stop request is honoured between steps.

    Raises:
        Interrupted: stopped, with the checkpoint it left (``None`` if none was written).
    """
    checkpoints = Checkpoints(setup.ckpt, setup.checkpoint_state, checkpoint_every)
    interrupts = Interrupts()
    with interrupts.installed():
        try:
            for method in ["minee", "mine"] + (["cross"] if setup.cross else []):
                run = setup.add_cross() if method == "cross" else setup.runs[method]
                ticker = _Ticker(method, callback, interrupts, setup.elapsed, checkpoints)
                _train(run, f"{setup.fig.name} {METHODS[method]}", ticker,
                       progress=progress, truth=setup.task.mutual_information)
            if interrupts.requested:  # after the last evaluation: its checkpoint is written
                raise Interrupted(interrupts.signum)
        except Interrupted as exc:
            ckpt = setup.ckpt
            exc.checkpoint = ckpt if ckpt is not None and ckpt.is_file() else None
            raise


def _summarise(setup: _Setup, *, plot: bool) -> dict[str, Any]:
    """The summary of the trained runs, written to the output folder when there is one."""
    summary = summarise_figure(setup.fig, setup.task, setup.runs, steps=setup.steps,
                               eval_every=setup.eval_every, first_seed=setup.first_seed,
                               elapsed=setup.elapsed)
    if setup.folder is not None:
        write_figure(setup.folder, setup.fig.name, summary, plot=plot)
    return summary


def _train(run: Run, label: str, ticker: _Ticker, *, progress: bool, truth: float) -> None:
    """Train one method's run to its horizon with a progress bar; checkpoint at the end
    and, when interrupted, at the step where the interruption was honoured."""
    engine = run.engine
    with ProgressBar(engine.config.max_steps, label, enabled=progress,
                     postfix=_postfix(run.heads, truth), initial=engine.step) as bar:
        ticker.bar = bar
        try:
            run.train(callback=ticker)
        except Stop:
            ticker.checkpoints.write()  # raised only between steps: the state is consistent
            raise
    ticker.checkpoints.write()
