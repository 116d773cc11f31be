r"""Reproduce the paper's Figures 1 and 2: MI-NEE against MINE on several samples at once.

Each figure trains, for P seeds, P problems in one batched model per method (seed s draws a
new sample of N = 400 rows and new critic weights): MI-NEE (eq. 18, uniform reference) and
MINE (moving-average loss), and optionally the authors' cross-training (MI-NEE first, then
MINE's loss on $T = f_0(x, y) - f_1(x) - f_2(y)$, eq. 17). The raw estimate is evaluated on
the full sample against a fresh reference every ``eval_every`` steps and smoothed here by
an exponential moving average of rate 0.01 per iteration, as the authors' plots are::

    summary = minee.experiments.reproduce("fig1", seeds=3, steps=3000, out="results")

Runs checkpoint atomically to ``OUT/<figure>.ckpt``; ``resume=True`` continues one (also to a
longer horizon) and, on CPU, gives the same curves as an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from . import tasks
from .engine import Engine, EngineConfig
from .estimators import MINE, MINEE, Run
from .presets import PRESETS
from .progress import ProgressBar
from .references import Marginals

__all__ = ["Figure", "FIGURES", "METHODS", "reproduce", "smooth", "first_reaching",
           "format_table"]

SMOOTHING = 0.01  # the authors' EMA rate per iteration
REACH = 0.9  # "90% of the truth reached"
CHECKPOINT_VERSION = 1

#: Method keys in run order, and their labels.
METHODS = {"minee": "MI-NEE", "mine": "MINE", "cross": "MI-NEE then MINE"}


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
def smooth(raw: np.ndarray, steps: np.ndarray, rate: float = SMOOTHING) -> np.ndarray:
    r"""Exponential moving average per iteration of curves evaluated at ``steps``.

    $s_t = (1-r) s_{t-1} + r i_t$ per iteration; with evaluations k iterations apart the
    estimate is held between them, so one evaluation weighs $1 - (1-r)^k$. The average starts
    at the first value; a NaN (diverged) value leaves it unchanged.

    Arguments:
        raw: estimates, shape (T, P), nats.
        steps: iteration of each row, shape (T,).
        rate: r per iteration.

    Returns:
        Smoothed curves, shape (T, P).
    """
    raw = np.asarray(raw, dtype=np.float64)
    out = np.empty_like(raw)
    gaps = np.diff(np.asarray(steps), prepend=steps[0])
    prev = raw[0].copy()
    for t, (row, gap) in enumerate(zip(raw, gaps, strict=True)):
        w = 1.0 - (1.0 - rate) ** gap
        nxt = np.where(np.isnan(prev), row, (1 - w) * prev + w * row)
        prev = np.where(np.isnan(row), prev, nxt)
        out[t] = prev
    return out


def first_reaching(curve: np.ndarray, steps: np.ndarray, level: float) -> int | None:
    """The first step at which ``curve`` (T,) reaches ``level``, or ``None``."""
    hit = np.flatnonzero(np.asarray(curve) >= level)
    return int(steps[hit[0]]) if hit.size else None


# cross-training -------------------------------------------------------------------------
class DifferenceCritic(nn.Module):
    """MINE's critic T = f_xy - f_x - f_y made of an MI-NEE critic's heads (eq. 17).

    It presents one head to the engine, so MINE's loss and evaluation run unchanged while
    one Adam updates all three networks.

    Arguments:
        critic: the MI-NEE :class:`~minee.critics.Critic` with heads (xy, x, y).
        signs: the heads' entropy signs (-1, +1, +1); T = -sum_h sign_h f_h.
    """

    def __init__(self, critic: nn.Module, signs: np.ndarray):
        super().__init__()
        self.inner = critic
        self.members, self.heads = critic.members, 1
        self.register_buffer("signs", torch.as_tensor(-signs, dtype=torch.float32)[:, None])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """(K, 1, M, D) or (K, M, D) -> T values (K, 1, M)."""
        f = self.inner(z[:, 0] if z.dim() == 4 else z)  # (K, 3, M)
        return (f * self.signs.to(f.dtype)).sum(1, keepdim=True)


def _cross_engine(source: Run, *, lr: float, batch_size: int, steps: int, eval_every: int,
                  seed: int) -> Engine:
    """MINE's loss on the difference of ``source``'s trained critics (a copy of them)."""
    import copy

    eng = source.engine
    critic = DifferenceCritic(copy.deepcopy(eng.critic), source.heads.signs)
    reference = Marginals(eng.train_rows, torch.as_tensor(source.heads.groups))
    config = EngineConfig(lr=lr, batch_size=batch_size, ref_factor=1.0, max_steps=steps,
                          eval_every=eval_every, objective="mine",
                          ma_rate=PRESETS["paper"]["mine"]["ma_rate"],
                          smoothing=_eval_rate(eval_every))
    return Engine(critic, reference, eng.train_rows, None, config,
                  torch.Generator().manual_seed(seed))


# running ----------------------------------------------------------------------------------
def _eval_rate(eval_every: int) -> float:
    return 1.0 - (1.0 - SMOOTHING) ** eval_every


def _samples(fig: Figure, seeds: int, first_seed: int) -> tuple[tasks.Task, np.ndarray,
                                                                np.ndarray]:
    task = tasks.get(fig.task[0], **fig.task[1])
    pairs = [task.sample(fig.n, seed=first_seed + s) for s in range(seeds)]
    return task, np.stack([x for x, _ in pairs]), np.stack([y for _, y in pairs])


class _Interrupts:
    """Turn the first Ctrl-C into a request honoured between steps (a second one stops now).

    The engine's state is consistent only between steps, so the checkpoint written on
    interruption is taken at the next evaluation rather than mid-step.
    """

    def __init__(self) -> None:
        self.requested = False

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    @contextlib.contextmanager
    def installed(self) -> Iterator[_Interrupts]:
        import threading

        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        old = signal.signal(signal.SIGINT, self._handler)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, old)


def _save(path: Path, state: dict) -> None:
    """Write ``state`` atomically: a reader sees the old file or the new one, never half."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


class _Stop(KeyboardInterrupt):
    """An interruption raised between steps, where the engine's state is consistent."""


class _Ticker:
    """The engine callback of one method: progress, user callback, checkpoints, Ctrl-C."""

    def __init__(self, method: str, bar: ProgressBar,
                 callback: Callable[[str, Engine], None] | None, interrupts: _Interrupts,
                 elapsed: dict[str, float], checkpoint: Callable[[], None], every: float):
        self.method, self.bar, self.callback, self.interrupts = method, bar, callback, interrupts
        self.elapsed, self.checkpoint, self.every = elapsed, checkpoint, every
        self.start, self.before = time.monotonic(), elapsed.get(method, 0.0)
        self.saved = self.start

    def __call__(self, engine: Engine) -> None:
        now = time.monotonic()
        self.elapsed[self.method] = self.before + now - self.start
        self.bar.update(engine)
        try:
            if self.callback is not None:
                self.callback(self.method, engine)
        except KeyboardInterrupt:
            raise _Stop from None
        if self.interrupts.requested:
            raise _Stop
        if now - self.saved >= self.every:
            self.checkpoint()
            self.saved = now


def _postfix(signs: np.ndarray | None, truth: float) -> Callable[[Engine], str]:
    """The progress text: each seed's smoothed MI (from the engine's smoothed divergences)."""
    def text(engine: Engine) -> str:
        div = engine.smoothed("train").double().numpy()
        mi = div[:, 0] if signs is None else -(div * signs).sum(1)
        return f"I {' '.join(f'{v:.3f}' for v in mi)} (truth {truth:.3f})"

    return text


def reproduce(figure: str, *, seeds: int = 5, steps: int | None = None, eval_every: int = 1,
              cross: bool = False, cross_steps: int | None = None, first_seed: int = 0,
              out: str | os.PathLike | None = None, resume: bool = False,
              checkpoint_every: float = 60.0, progress: bool = False, plot: bool = True,
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
        checkpoint_every: seconds between checkpoints.
        progress: show tqdm bars on stderr with the current smoothed estimates.
        plot: write the PNG and PDF figure (needs matplotlib).
        callback: called as ``callback(method, engine)`` after every evaluation; it may
            raise ``KeyboardInterrupt``, which leaves a checkpoint and is re-raised.

    Returns:
        The JSON-ready summary (see :func:`_summary`).

    Raises:
        KeyboardInterrupt: on Ctrl-C, after writing the checkpoint.
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
    saved: dict[str, Any] = {}
    if resume:
        if not ckpt.exists():
            raise FileNotFoundError(f"no checkpoint to resume: {ckpt}")
        saved = torch.load(ckpt, weights_only=False)
        if saved.get("version") != CHECKPOINT_VERSION or saved["settings"] != settings:
            raise ValueError(f"{ckpt} was written with other settings "
                             f"{saved.get('settings')}; rerun without --resume")
    # horizons: as given, else the checkpoint's, else the paper's
    steps = steps or saved.get("steps") or fig.steps
    cross_steps = cross_steps or saved.get("cross_steps") or steps
    for name, v in (("steps", steps), ("cross_steps", cross_steps)):
        if v % eval_every:
            raise ValueError(f"{name}={v} must be a multiple of eval_every={eval_every}")
    for method, state in saved.get("engines", {}).items():
        limit = steps if method != "cross" else cross_steps
        if state["step"] > limit:
            raise ValueError(f"the checkpoint's {METHODS[method]} run is at step "
                             f"{state['step']}, beyond the requested {limit}")
    if "cross" in saved.get("engines", {}) and saved["engines"]["minee"]["step"] != steps:
        raise ValueError("the checkpoint's cross-training started from MI-NEE at step "
                         f"{saved['engines']['minee']['step']}; it cannot be extended")
    task, xs, ys = _samples(fig, seeds, first_seed)
    truth = task.mutual_information
    common = {"preset": "paper", "lr": fig.lr, "batch_size": fig.batch_size,
              "max_steps": steps, "eval_every": eval_every,
              "smoothing": _eval_rate(eval_every), "seed": first_seed}
    runs: dict[str, Run] = {
        "minee": MINEE(ref_factor=fig.ref_factor, **common).prepare_batch(xs, ys),
        "mine": MINE(**common).prepare_batch(xs, ys)}
    engines: dict[str, Engine] = {m: r.engine for m, r in runs.items()}
    for method, engine in engines.items():  # all now: every checkpoint holds every state
        if method in saved.get("engines", {}):
            engine.load_state_dict(saved["engines"][method])
    elapsed = dict(saved.get("elapsed", {}))
    interrupts = _Interrupts()

    def checkpoint() -> None:
        if ckpt is not None:
            _save(ckpt, {"version": CHECKPOINT_VERSION, "settings": settings,
                         "engines": {m: e.state_dict() for m, e in engines.items()},
                         "steps": steps, "cross_steps": cross_steps, "elapsed": elapsed})

    methods = ["minee", "mine"] + (["cross"] if cross else [])
    signs = {"minee": runs["minee"].heads.signs, "mine": None, "cross": None}
    with interrupts.installed():
        for method in methods:
            if method == "cross":
                engines["cross"] = _cross_engine(runs["minee"], lr=fig.lr,
                                                 batch_size=fig.batch_size, steps=cross_steps,
                                                 eval_every=eval_every, seed=first_seed + 1)
                if "cross" in saved.get("engines", {}):
                    engines["cross"].load_state_dict(saved["engines"]["cross"])
            engine = engines[method]
            label = f"{figure} {METHODS[method]}"
            with ProgressBar(engine.config.max_steps, label, enabled=progress,
                             postfix=_postfix(signs[method], truth),
                             initial=engine.step) as bar:
                tick = _Ticker(method, bar, callback, interrupts, elapsed, checkpoint,
                               checkpoint_every)
                try:
                    engine.run(callback=tick)
                except _Stop:
                    checkpoint()  # raised only between steps: the state is consistent
                    raise
            checkpoint()
    summary = _summary(fig, task, runs, engines, steps=steps, eval_every=eval_every,
                       first_seed=first_seed, elapsed=elapsed)
    if folder is not None:
        _write(folder, figure, summary, plot=plot)
    return summary


# summarising ------------------------------------------------------------------------------
def _curves(runs: dict[str, Run], engines: dict[str, Engine], offset: int
            ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per method: iterations (T,) and raw estimates (T, P) from the recorded curves."""
    import warnings

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the diagnostics of paper-protocol runs are noise here
        for method, run in runs.items():
            results = run.results()
            out[method] = (results[0].history.steps.astype(np.int64),
                           np.stack([r.history.train[:, 0] for r in results], axis=1))
    if "cross" in engines:
        hist = engines["cross"].history()
        out["cross"] = (hist["steps"].numpy().astype(np.int64) + offset,
                        hist["train"][:, :, 0].double().numpy())
    return out


def _summary(fig: Figure, task: tasks.Task, runs: dict[str, Run],
             engines: dict[str, Engine], *, steps: int, eval_every: int, first_seed: int,
             elapsed: dict[str, float]) -> dict[str, Any]:
    """The JSON-ready summary of a figure, with the curves under the private key ``_curves``.

    Per method and seed: the first iteration at which the smoothed estimate reaches 90% of
    the truth (``None`` if never), the final smoothed estimate and whether training
    diverged; per method the medians (a seed that never reaches counts as later than all).
    """
    truth = task.mutual_information
    curves = _curves(runs, engines, offset=steps)
    methods: dict[str, Any] = {}
    table_curves = {}
    for method, (it, raw) in curves.items():
        smoothed = smooth(raw, it)
        table_curves[method] = (it, raw, smoothed)
        reached = [first_reaching(smoothed[:, p], it, REACH * truth)
                   for p in range(raw.shape[1])]
        finals = smoothed[-1]
        diverged = engines[method].diverged.numpy()
        per_seed = [{"seed": first_seed + p, "reached_90": reached[p],
                     "final": None if not math.isfinite(finals[p]) else float(finals[p]),
                     "diverged": bool(diverged[p])} for p in range(raw.shape[1])]
        keyed = sorted(math.inf if r is None else r for r in reached)
        mid = float(np.median(keyed))
        methods[method] = {
            "label": METHODS[method], "seeds": per_seed,
            "median_reached_90": None if math.isinf(mid) else mid,
            "reached_90_count": sum(r is not None for r in reached),
            "median_final": float(np.nanmedian(finals)) if np.isfinite(finals).any() else None,
            "steps": int(it[-1]), "paper_reached_90": fig.paper.get(method),
            "seconds": round(elapsed.get(method, 0.0), 1),
        }
    return {
        "figure": fig.name, "task": {"name": fig.task[0], **fig.task[1]},
        "truth": truth, "units": "nats",
        "settings": {"n": fig.n, "batch_size": fig.batch_size, "lr": fig.lr,
                     "ref_factor": fig.ref_factor, "mine_ma_rate": SMOOTHING,
                     "steps": steps, "paper_steps": fig.steps, "eval_every": eval_every,
                     "smoothing_per_iteration": SMOOTHING, "seeds": len(
                         next(iter(methods.values()))["seeds"]), "first_seed": first_seed,
                     "torch": torch.__version__, "threads": torch.get_num_threads()},
        "paper": fig.paper["note"], "methods": methods, "_curves": table_curves,
    }


def _write(folder: Path, figure: str, summary: dict[str, Any], *, plot: bool) -> None:
    """Write ``<figure>.json`` and ``.csv`` (and the figure) into ``folder``."""
    import csv
    import json

    with open(folder / f"{figure}.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["figure", "method", "seed", "step", "raw", "smoothed"])
        for method, (it, raw, sm) in summary["_curves"].items():
            seeds = [s["seed"] for s in summary["methods"][method]["seeds"]]
            for p, seed in enumerate(seeds):
                for t in range(len(it)):
                    w.writerow([figure, method, seed, int(it[t]), f"{raw[t, p]:.6g}",
                                f"{sm[t, p]:.6g}"])
    public = {k: v for k, v in summary.items() if not k.startswith("_")}
    tmp = folder / f"{figure}.json.tmp"
    tmp.write_text(json.dumps(public, indent=2) + "\n")
    os.replace(tmp, folder / f"{figure}.json")
    if plot:
        from .figures import plot_figure

        plot_figure(summary, folder / figure)


def format_table(summaries: list[dict[str, Any]]) -> str:
    """The medians of each figure and method next to the paper's numbers, as text."""
    def it(v: float | None, horizon: int) -> str:
        return f"> {horizon:,}" if v is None else f"{v:,.0f}"

    rows = [("figure", "method", "seeds", "90% reached (median)", "reached", "final (median)",
             "truth", "paper: 90% reached")]
    for s in summaries:
        for m in s["methods"].values():
            paper_txt = m["paper_reached_90"] or "-"
            final = "nan" if m["median_final"] is None else f"{m['median_final']:.4f}"
            rows.append((s["figure"], m["label"], str(len(m["seeds"])),
                         it(m["median_reached_90"], m["steps"]),
                         f"{m['reached_90_count']}/{len(m['seeds'])}", final,
                         f"{s['truth']:.4f}", paper_txt))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
