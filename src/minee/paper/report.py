"""Summaries of the paper's figures: when each method reaches 90% of the truth, files, tables.

:func:`minee.paper.experiments.reproduce` trains; this module turns its runs into the JSON-ready
summary, writes ``<figure>.json/.csv`` (and the figure), and formats the table the command
line prints.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..estimation.model import Run
from ..estimation.summary import summarise
from ..files import atomic_write
from ..smoothing import smooth_curve
from .figures import METHODS, SMOOTHING, Figure

if TYPE_CHECKING:
    from ..tasks import Task

__all__ = ["summarise_figure", "write_figure", "format_table", "first_reaching", "smooth"]

REACH = 0.9  # "90% of the truth reached"


def smooth(raw: np.ndarray, steps: np.ndarray, rate: float = SMOOTHING) -> np.ndarray:
    """The authors' smoothing of curves (T, P) evaluated at ``steps`` (T,): an exponential
    moving average of rate ``rate`` per iteration (:func:`minee.smoothing.smooth_curve`)."""
    return smooth_curve(raw, steps, rate)


def first_reaching(curve: np.ndarray, steps: np.ndarray, level: float) -> int | None:
    """The first step at which ``curve`` (T,) reaches ``level``, or ``None``."""
    hit = np.flatnonzero(np.asarray(curve) >= level)
    return int(steps[hit[0]]) if hit.size else None


# summarising ------------------------------------------------------------------------------
def _curves(runs: dict[str, Run], offset: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per method: iterations (T,) and raw estimates (T, P) from the recorded curves (the
    cross-training's iterations continue from MI-NEE's horizon ``offset``)."""
    out = {}
    for method, run in runs.items():
        results = summarise(run)
        steps = results[0].history.steps.astype(np.int64)
        out[method] = (steps + (offset if method == "cross" else 0),
                       np.stack([r.history.train[:, 0] for r in results], axis=1))
    return out


def summarise_figure(fig: Figure, task: Task, runs: dict[str, Run], *, steps: int,
             eval_every: int, first_seed: int, elapsed: dict[str, float]) -> dict[str, Any]:
    """The JSON-ready summary of a figure, with the curves under the private key ``_curves``.

    Per method and seed: the first iteration at which the smoothed estimate reaches 90% of
    the truth (``None`` if never), the final smoothed estimate and whether training
    diverged; per method the medians (a seed that never reaches counts as later than all).
    """
    truth = task.mutual_information
    curves = _curves(runs, offset=steps)
    methods: dict[str, Any] = {}
    table_curves = {}
    for method, (it, raw) in curves.items():
        smoothed = smooth(raw, it)
        table_curves[method] = (it, raw, smoothed)
        reached = [first_reaching(smoothed[:, p], it, REACH * truth)
                   for p in range(raw.shape[1])]
        finals = smoothed[-1]
        diverged = runs[method].engine.diverged.numpy()
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


def write_figure(folder: Path, figure: str, summary: dict[str, Any], *, plot: bool) -> None:
    """Write ``<figure>.json`` and ``.csv`` (and the figure) into ``folder``."""
    import csv
    import json

    with atomic_write(folder / f"{figure}.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["figure", "method", "seed", "step", "raw", "smoothed"])
        for method, (it, raw, sm) in summary["_curves"].items():
            seeds = [s["seed"] for s in summary["methods"][method]["seeds"]]
            for p, seed in enumerate(seeds):
                for t in range(len(it)):
                    w.writerow([figure, method, seed, int(it[t]), f"{raw[t, p]:.6g}",
                                f"{sm[t, p]:.6g}"])
    public = {k: v for k, v in summary.items() if not k.startswith("_")}
    with atomic_write(folder / f"{figure}.json", "w") as fh:
        fh.write(json.dumps(public, indent=2) + "\n")
    if plot:
        from ..plotting import plot_figure

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


def format_markdown(summary: dict[str, Any]) -> str:
    """``summary.json`` (figure name -> public summary) as a markdown table: per figure
    and method the horizon, when the smoothed estimate first reached 90% of the truth
    (median and per seed), the final smoothed value (median and per seed), the truth and
    the paper's number."""
    def when(v: float | None) -> str:
        return "never" if v is None else f"{v:,.0f}"

    def final(v: float | None) -> str:
        return "nan" if v is None else f"{v:.3f}"

    lines = ["| figure | method | seeds x iterations | 90% of truth reached: median "
             "(per seed) | final smoothed: median (per seed) | truth | paper |",
             "|---|---|---|---|---|---|---|"]
    for name, s in sorted(summary.items()):
        task = ", ".join(f"{k}={v}" for k, v in s["task"].items() if k != "name")
        for m in s["methods"].values():
            seeds = m["seeds"]
            lines.append(
                f"| {name} {s['task']['name'].upper()}({task}) | {m['label']} | "
                f"{len(seeds)} x {m['steps']:,} | **{when(m['median_reached_90'])}** "
                f"({' / '.join(when(p['reached_90']) for p in seeds)}) | "
                f"{final(m['median_final'])} ({', '.join(final(p['final']) for p in seeds)})"
                f" | {s['truth']:.3f} | {m['paper_reached_90'] or '-'} |")
    return "\n".join(lines)
