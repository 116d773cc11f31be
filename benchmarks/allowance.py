"""The MI interval's bias allowance, calibrated on the tuning problems and checked on the
report problems.

An MI's interval is ``value +- 1.96 sqrt(stderr^2 + bias^2)`` with
``bias = hypot(BIAS_SHARE * value, OPTIMISM_SHARE * optimism)``, the optimism being the
training-row reading minus the held-out one at the state the estimate is read at
(:func:`minee.estimation.readout.bias_allowance`). ``run`` fits minee's default on a set's
problems at N = 500, 2,000 and 5,000 and records each estimate's value, standard error and
optimism (recovered from its allowance); ``choose`` finds, on a grid, the shares whose
intervals have the smallest mean width among those covering >= 95% of the tune runs;
``check`` reads a set's coverage and widths under given shares.

    python benchmarks/allowance.py run tune --n 500,2000,5000
    python benchmarks/allowance.py choose tune
    python benchmarks/allowance.py run report --n 500,5000 --seeds 0,1,2
    python benchmarks/allowance.py check report --shares 0.035,0.5
"""

from __future__ import annotations

import argparse
import math
import os
import time
from typing import Any

import numpy as np
import torch
from common import RESULTS, append_jsonl, read_jsonl
from suite import SETS, clock_ms

import minee
import minee.tasks
from minee.estimation import readout

Z95 = 1.959964
BIAS_GRID = np.round(np.arange(0.0, 0.0801, 0.005), 3)
OPTIMISM_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def _row(problem: str, task: Any, n: int, seed: int) -> dict[str, Any]:
    x, y = task.sample(n, seed=seed)
    wall, cpu = time.perf_counter(), time.process_time()
    est = minee.mutual_information(x, y, seed=seed)
    share_part = readout.BIAS_SHARE * est.value
    optimism = math.sqrt(max(est.bias**2 - share_part**2, 0.0)) / readout.OPTIMISM_SHARE
    return {"problem": problem, "n": n, "seed": seed, "truth": task.mutual_information,
            "value": est.value, "stderr": est.stderr, "optimism": optimism,
            "flags": sorted(est.diagnostics), "cpu_s": time.process_time() - cpu,
            "wall_s": time.perf_counter() - wall, "load": os.getloadavg()[0]}


def run(problem_set: str, ns: list[int], seeds: list[int]) -> None:
    """Append one row per (problem, n, seed) not yet in ``results/allowance-<set>.jsonl``."""
    torch.set_num_threads(1)
    path = RESULTS / f"allowance-{problem_set}.jsonl"
    done = {(r["problem"], r["n"], r["seed"]) for r in read_jsonl(path)}
    clock = clock_ms(iterations=100)
    for problem, (kind, params) in SETS[problem_set].items():
        task = minee.tasks.get(kind, **params)
        for n in ns:
            for seed in seeds:
                if (problem, n, seed) not in done:
                    row = {**_row(problem, task, n, seed), "clock_ms": clock}
                    append_jsonl(path, row)
                    print(f"{problem:28s} n {n:5d} seed {seed}: {row['value']:.3f} "
                          f"(truth {row['truth']:.3f}) optimism {row['optimism']:.3f}",
                          flush=True)


def intervals(rows: list[dict[str, Any]], bias_share: float, optimism_share: float
              ) -> tuple[np.ndarray, np.ndarray]:
    """Per row whether the interval covers the truth, and its half-width (nats)."""
    value, truth = (np.array([r[k] for r in rows]) for k in ("value", "truth"))
    stderr, optimism = (np.array([r[k] for r in rows]) for k in ("stderr", "optimism"))
    half = Z95 * np.hypot(stderr, np.hypot(bias_share * value, optimism_share * optimism))
    high = np.maximum(value + half, 0.0)  # one wholly below 0 is stretched up to 0
    return (value - half <= truth) & (truth <= high), half


def choose(problem_set: str) -> tuple[float, float]:
    """The grid's shares with the smallest mean half-width covering >= 95% of the rows."""
    rows = read_jsonl(RESULTS / f"allowance-{problem_set}.jsonl")
    best: tuple[float, float, float] | None = None
    for b in BIAS_GRID:
        for o in OPTIMISM_GRID:
            covered, half = intervals(rows, float(b), o)
            if covered.mean() >= 0.95 and (best is None or half.mean() < best[0]):
                best = (float(half.mean()), float(b), o)
    if best is None:
        raise SystemExit("no shares on the grid cover 95% of the rows")
    print(f"{len(rows)} rows: shares {best[1]}, {best[2]}: mean half-width {best[0]:.4f}")
    return best[1], best[2]


def check(problem_set: str, shares: tuple[float, float]) -> None:
    """Coverage and width per N under ``shares``; the width in units of the stderr."""
    rows = read_jsonl(RESULTS / f"allowance-{problem_set}.jsonl")
    for n in sorted({r["n"] for r in rows}):
        part = [r for r in rows if r["n"] == n]
        covered, half = intervals(part, *shares)
        ratio = np.median(half / np.array([r["stderr"] for r in part]) / Z95)
        print(f"n {n:5d}: {covered.sum()}/{len(part)} covered ({covered.mean():.0%}), "
              f"median half-width {np.median(half):.3f} nats, {ratio:.1f}x the stderr")
        for r, c in zip(part, covered, strict=True):
            if not c:
                print(f"    miss: {r['problem']} seed {r['seed']}: {r['value']:.3f} "
                      f"(truth {r['truth']:.3f}) {r['flags']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=("run", "choose", "check"))
    parser.add_argument("set", choices=tuple(SETS))
    parser.add_argument("--n", default="500,2000,5000")
    parser.add_argument("--seeds", default="100,101")
    parser.add_argument("--shares", default=f"{readout.BIAS_SHARE},{readout.OPTIMISM_SHARE}")
    args = parser.parse_args()
    if args.action == "run":
        run(args.set, [int(v) for v in args.n.split(",")],
            [int(v) for v in args.seeds.split(",")])
    elif args.action == "choose":
        choose(args.set)
    else:
        b, o = (float(v) for v in args.shares.split(","))
        check(args.set, (b, o))


if __name__ == "__main__":
    main()
