"""Sweep of minee's training settings, the record behind ``presets.py``'s defaults.

Each configuration changes one or a few settings of :data:`BASE` and runs
``minee.mutual_information`` once per seed (one call, one sample of N rows drawn with that
seed), recording the final answer, its error and the wall time. The final answer is judged,
not the first crossing of the truth.

    python benchmarks/sweep.py run --task "MG(0.9) N=400" --seeds 0-4
    python benchmarks/sweep.py table
"""

from __future__ import annotations

import argparse
import math
import warnings
from functools import partial
from typing import Any

from common import (
    RESULTS,
    TASKS,
    append_jsonl,
    as_options,
    markdown_table,
    median,
    read_jsonl,
    task,
    timed,
)

import minee

__all__ = ["BASE", "CONFIGS", "main"]

OUT = RESULTS / "sweep.jsonl"


#: The sweep's starting point (minee's defaults before the sweep), pinned so that the
#: record reproduces whatever the presets say now.
BASE: dict[str, Any] = {
    "lr": 3e-3, "batch_size": "auto", "ref_factor": 4.0, "max_steps": 3000, "eval_every": 20,
    "hidden": 64, "depth": 2, "init": "torch", "val_fraction": 0.2, "patience": 10,
    "min_steps": 200, "smoothing": 0.3, "reference": "gaussian", "margin": 0.05,
    # settings added to the presets since, pinned to what the sweep ran with
    "preprocess": "none", "activation": "elu", "joint_residual": False, "averaging": 0.0,
    "weight_decay": 0.0,
}

#: name -> settings changed from :data:`BASE`. The chosen defaults are
#: "no held-out, 1000 steps, ref_factor 2".
CONFIGS: dict[str, dict[str, Any]] = {
    "base": {},
    "lr=1e-3": {"lr": 1e-3},
    "lr=1e-2": {"lr": 1e-2},
    "batch=128": {"batch_size": 128},
    "ref_factor=1": {"ref_factor": 1.0},
    "ref_factor=10": {"ref_factor": 10.0},
    "init=0.02": {"init": 0.02},
    "uniform, margin 0.05": {"reference": "uniform", "margin": 0.05},
    "uniform, margin 0": {"reference": "uniform", "margin": 0.0},
    "no held-out (val 0), 3000 steps": {"val_fraction": 0.0},
    "val_fraction=0.3": {"val_fraction": 0.3},
    "patience=5": {"patience": 5},
    "patience=20": {"patience": 20},
    "eval_every=10": {"eval_every": 10},
    "eval_every=50": {"eval_every": 50},
    "smoothing=1 (none)": {"smoothing": 1.0},
    "smoothing=0.1": {"smoothing": 0.1},
    "hidden=32": {"hidden": 32},
    "hidden=128": {"hidden": 128},
    "min_steps=500": {"min_steps": 500},
    "val_fraction=0.5": {"val_fraction": 0.5},
    "no held-out, 500 steps": {"val_fraction": 0.0, "max_steps": 500},
    "no held-out, 1000 steps": {"val_fraction": 0.0, "max_steps": 1000},
    "no held-out, 2000 steps": {"val_fraction": 0.0, "max_steps": 2000},
    "no held-out, 1000 steps, lr 1e-3": {"val_fraction": 0.0, "max_steps": 1000, "lr": 1e-3},
    "no held-out, 1000 steps, ref_factor 1": {"val_fraction": 0.0, "max_steps": 1000,
                                              "ref_factor": 1.0},
    "no held-out, 1000 steps, ref_factor 2": {"val_fraction": 0.0, "max_steps": 1000,
                                              "ref_factor": 2.0},
    "no held-out, 1000 steps, batch 128": {"val_fraction": 0.0, "max_steps": 1000,
                                           "batch_size": 128},
    "no held-out, 1000 steps, smoothing 0.1": {"val_fraction": 0.0, "max_steps": 1000,
                                               "smoothing": 0.1},
}


def _seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def run(task_name: str, seeds: list[int], names: list[str], tag: str) -> None:
    """Run the named configurations on one task; append a row per (configuration, seed)."""
    t, n = task(task_name)
    truth = t.mutual_information
    for name in names:
        for seed in seeds:
            x, y = t.sample(n, seed=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", minee.MineeWarning)
                est, wall = timed(partial(minee.mutual_information, x, y, seed=seed,
                                          **as_options({**BASE, **CONFIGS[name]})))
            row = {"tag": tag, "task": task_name, "config": name, "seed": seed,
                   "value": est.value, "truth": truth, "rel_error": (est.value - truth) / truth,
                   "steps": int(est.history.steps[-1]), "wall_s": wall}
            append_jsonl(OUT, row)
            print(f"{task_name} | {name} | seed {seed}: {est.value:.3f} (truth {truth:.3f}), "
                  f"{wall:.1f} s, {row['steps']} steps", flush=True)


def table(tag: str | None) -> str:
    """The sweep table: per task and configuration, median and worst |relative error|."""
    latest = {(r["task"], r["config"], r["seed"]): r for r in read_jsonl(OUT)
              if tag is None or r["tag"] == tag}  # a rerun replaces a seed's row
    rows = list(latest.values())
    out = []
    for task_name in TASKS:
        mine = [r for r in rows if r["task"] == task_name]
        if not mine:
            continue
        body = []
        for name in CONFIGS:
            rs = [r for r in mine if r["config"] == name]
            if not rs:
                continue
            errs = [abs(r["rel_error"]) for r in rs]
            body.append([name, len(rs), median(r["value"] for r in rs),
                         100 * median(errs), 100 * max(errs, default=math.nan),
                         median(r["steps"] for r in rs), median(r["wall_s"] for r in rs)])
        out.append(f"**{task_name}** (truth {mine[0]['truth']:.4f} nats)\n\n" + markdown_table(
            ["configuration", "seeds", "median estimate", "median abs. rel. error %",
             "worst abs. rel. error %", "median steps", "median wall s"], body))
    return "\n\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_run = sub.add_parser("run")
    p_run.add_argument("--task", required=True, choices=list(TASKS))
    p_run.add_argument("--seeds", default="0-4", help="a range such as 0-4")
    p_run.add_argument("--configs", nargs="*", default=list(CONFIGS), choices=list(CONFIGS))
    p_run.add_argument("--tag", default="sweep1", help="label of this sweep's rows")
    p_table = sub.add_parser("table")
    p_table.add_argument("--tag", default=None)
    args = parser.parse_args(argv)
    if args.cmd == "run":
        run(args.task, _seeds(args.seeds), args.configs, args.tag)
    else:
        print(table(args.tag))


if __name__ == "__main__":
    main()
