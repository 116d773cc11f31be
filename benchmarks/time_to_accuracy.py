"""Time to a correct, stable answer: minee's defaults, MINE and KSG on the same samples.

For each seed one sample of N rows is drawn. A neural method runs as
``minee.mutual_information`` would (default settings, held-out stopping), and after every
evaluation the answer it would return if stopped there is recorded with the wall time
spent so far (the recording itself is not timed). Its *time to accuracy* is the time of
the first answer after which every answer, the final one included, lies within 10% of the
truth; never, if the final answer does not. KSG (k = 3) gives one answer: its time counts
if that answer is within 10%.

    python benchmarks/time_to_accuracy.py run --task "MG(0.9) N=400" --seeds 0-9
    python benchmarks/time_to_accuracy.py table
    python benchmarks/time_to_accuracy.py plot benchmarks/time_to_accuracy.png
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from typing import Any

import numpy as np
from common import (
    RESULTS,
    TASKS,
    append_jsonl,
    as_options,
    ksg,
    markdown_table,
    median,
    read_jsonl,
    task,
)

import minee
from minee.estimation.summary import summarise

__all__ = ["trace_neural", "time_to_accuracy", "main"]

OUT = RESULTS / "time_to_accuracy.jsonl"
METHODS = ("minee", "mine", "ksg")
TOLERANCE = 0.10


def trace_neural(method: str, x: np.ndarray, y: np.ndarray, seed: int,
                 **options: Any) -> tuple[list[float], list[float]]:
    """Train one estimate; return the wall seconds and the answer at every evaluation."""
    cls = {"minee": minee.MINEE, "mine": minee.MINE}[method]
    times: list[float] = []
    values: list[float] = []
    paused = 0.0
    start = time.perf_counter()
    est = cls(seed=seed, device="cpu", **as_options(options))
    run = est.prepare_batch(x[None], y[None])

    def record(engine: Any) -> None:
        nonlocal paused
        now = time.perf_counter()
        times.append(now - start - paused)
        values.append(summarise(run)[0].value)  # what fit() would return if stopped now
        paused += time.perf_counter() - now

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        run.engine.run(callback=record)
        final = summarise(run)[0].value
    times.append(time.perf_counter() - start - paused)
    values.append(final)
    return times, values


def time_to_accuracy(times: list[float], values: list[float], truth: float) -> float:
    """Seconds until the answers enter ``truth +- 10%`` for good (``inf``: never)."""
    ok = np.abs(np.asarray(values) - truth) <= TOLERANCE * abs(truth)
    if not ok[-1]:
        return math.inf
    bad = np.flatnonzero(~ok)
    return times[0] if bad.size == 0 else times[bad[-1] + 1]


def run(task_name: str, seeds: list[int], methods: list[str], tag: str) -> None:
    t, n = task(task_name)
    truth = t.mutual_information
    for seed in seeds:
        x, y = t.sample(n, seed=seed)
        for method in methods:
            if method == "ksg":
                start = time.perf_counter()
                value = ksg(x, y, k=3)
                times, values = [time.perf_counter() - start], [value]
            else:
                times, values = trace_neural(method, x, y, seed)
            row = {"tag": tag, "task": task_name, "method": method, "seed": seed,
                   "truth": truth, "final": values[-1], "wall_s": times[-1],
                   "tta_s": time_to_accuracy(times, values, truth),
                   "times": times, "values": values}
            append_jsonl(OUT, row)
            print(f"{task_name} | {method} | seed {seed}: final {values[-1]:.3f} "
                  f"(truth {truth:.3f}) in {times[-1]:.1f} s, within 10% for good after "
                  f"{row['tta_s']:.1f} s", flush=True)


def _rows(tag: str | None) -> list[dict[str, Any]]:
    return [r for r in read_jsonl(OUT) if tag is None or r["tag"] == tag]


def table(tag: str | None) -> str:
    rows = _rows(tag)
    body = []
    for task_name in TASKS:
        for method in METHODS:
            rs = [r for r in rows if r["task"] == task_name and r["method"] == method]
            if not rs:
                continue
            truth = rs[0]["truth"]
            reached = [r["tta_s"] for r in rs if math.isfinite(r["tta_s"])]
            body.append([task_name, method, len(rs), f"{len(reached)}/{len(rs)}",
                         median(r["tta_s"] for r in rs),  # inf counts: median is honest
                         median(r["final"] for r in rs),
                         median(abs(r["final"] - truth) for r in rs),
                         100 * median(abs(r["final"] - truth) / truth for r in rs),
                         median(r["wall_s"] for r in rs)])
    return markdown_table(
        ["problem", "method", "seeds", "within 10% at the end", "median s to within 10% "
         "for good", "median final (nats)", "median abs. error (nats)",
         "median abs. rel. error %", "median wall s"], body).replace("| inf |", "| never |")


def plot(path: str, tag: str | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _rows(tag)
    names = [t for t in TASKS if any(r["task"] == t for r in rows)]
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.4), squeeze=False)
    colours = {"minee": "C0", "mine": "C1", "ksg": "C3"}
    for ax, task_name in zip(axes[0], names, strict=True):
        truth = None
        for r in (r for r in rows if r["task"] == task_name):
            truth = r["truth"]
            err = np.abs(np.asarray(r["values"]) - truth) / truth
            style = {"marker": "o", "ls": ""} if r["method"] == "ksg" else {"lw": 0.8}
            ax.plot(r["times"], 100 * err, color=colours[r["method"]], alpha=0.6, **style)
        ax.axhline(100 * TOLERANCE, color="k", lw=0.8, ls="--")
        ax.set(xscale="log", yscale="log", ylim=(0.1, 300), title=f"{task_name}",
               xlabel="wall time (s)", ylabel="|error| / truth (%)")
    for method, c in colours.items():
        axes[0][0].plot([], [], color=c, label=method)
    axes[0][0].legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def _seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_run = sub.add_parser("run")
    p_run.add_argument("--task", required=True, choices=list(TASKS))
    p_run.add_argument("--seeds", default="0-9")
    p_run.add_argument("--methods", nargs="*", default=list(METHODS), choices=METHODS)
    p_run.add_argument("--tag", default="final")
    for name in ("table", "plot"):
        p = sub.add_parser(name)
        p.add_argument("--tag", default=None)
        if name == "plot":
            p.add_argument("path")
    args = parser.parse_args(argv)
    if args.cmd == "run":
        run(args.task, _seeds(args.seeds), args.methods, args.tag)
    elif args.cmd == "table":
        print(table(args.tag))
    else:
        plot(args.path, args.tag)


if __name__ == "__main__":
    main()
