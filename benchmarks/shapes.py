"""Laws with shape: many narrow modes, shells, curved manifolds, a share of independent
rows (MI), and supports with edges or kinks (entropy); minee and its peers on the same
samples.

MI methods are those of ``suite.py`` (minee's default, MINE, InfoNCE, KSG k = 3, the
Gaussian/CCA estimate); entropy methods are minee's default and the Kozachenko-Leonenko
k-nearest-neighbour estimator (k = 3, on standardised columns). One torch thread; each row
records CPU and wall seconds, the load and the clock (``suite.clock_ms``) read before its
problem.

Two sets each: ``tune`` (seeds 100-101) is what the shape defaults were chosen on;
``report`` (other parameters, seeds 0-2) is what the README reports. Rows append to
``results/shapes-<set>.jsonl`` and a rerun skips rows already there.

    python benchmarks/shapes.py run report --seeds 0,1,2 --n 5000
    python benchmarks/shapes.py table report
"""

from __future__ import annotations

import argparse
import math
import os
import time
from typing import Any

import numpy as np
import torch
from common import RESULTS, append_jsonl, markdown_table, read_jsonl
from scipy import special
from scipy.spatial import cKDTree
from suite import REFERENCE_CLOCK_MS, clock_ms, estimate

import minee
import minee.tasks

#: per set: problem -> (task name, parameters); "mi" tasks of minee.tasks.TASKS, "h"
#: tasks of minee.tasks.ENTROPY_TASKS
SETS: dict[str, dict[str, tuple[str, str, dict[str, Any]]]] = {
    "tune": {
        "ring 8 w0.1": ("mi", "narrow_mixture", {"layout": "ring", "k": 8, "width": 0.1}),
        "waves 8 2+1": ("mi", "narrow_mixture", {"layout": "waves", "k": 8, "width": 0.08}),
        "shells 3 3+1": ("mi", "shells", {"dx": 3, "k": 3, "radial_sd": 0.15,
                                          "noise": 0.3}),
        "curved 3-D mi2.5": ("mi", "curved", {"d": 3, "active": 3, "mi": 2.5,
                                              "twist": 1.0}),
        "curved 10-D mi1.5": ("mi", "curved", {"d": 10, "active": 4, "mi": 1.5,
                                               "twist": 0.5}),
        # added with the shape flag's screen: more curved instances to check it on
        "curved 3-D mi1.5": ("mi", "curved", {"d": 3, "active": 3, "mi": 1.5, "twist": 1.0}),
        "curved 3-D mi3 tw0.7": ("mi", "curved", {"d": 3, "active": 3, "mi": 3.0,
                                                  "twist": 0.7}),
        "curved 6-D mi2.5": ("mi", "curved", {"d": 6, "active": 6, "mi": 2.5, "twist": 0.5}),
        "curved 15-D mi3": ("mi", "curved", {"d": 15, "active": 3, "mi": 3.0, "twist": 0.4}),
        "partly independent 3+3 30%": ("mi", "partly_independent",
                                       {"d": 3, "active": 3, "rho": 0.8, "share": 0.3}),
        "box 3-D": ("h", "box", {"sides": (0.5, 2.0, 4.0)}),
        "exponential 1-D": ("h", "exponential", {"rates": (0.5,)}),
        "beta 2-D": ("h", "beta", {"shapes": ((2.0, 2.0), (1.5, 4.0))}),
        "half-normal 2-D": ("h", "half_normal", {"scales": (1.0, 3.0)}),
        "triangular 2-D": ("h", "triangular", {"widths": (1.0, 2.0)}),
    },
    "report": {
        "ring 12 w0.05": ("mi", "narrow_mixture", {"layout": "ring", "k": 12,
                                                   "width": 0.05}),
        "letters 1+1": ("mi", "narrow_mixture", {"layout": "letters", "k": 24,
                                                 "width": 0.03}),
        "waves 12 2+1": ("mi", "narrow_mixture", {"layout": "waves", "k": 12,
                                                  "width": 0.05}),
        "shells 4 5+1": ("mi", "shells", {"dx": 5, "k": 4, "radial_sd": 0.1,
                                          "noise": 0.25}),
        "curved 3-D mi1": ("mi", "curved", {"d": 3, "active": 3, "mi": 1.0, "twist": 1.5}),
        "curved 3-D mi2": ("mi", "curved", {"d": 3, "active": 3, "mi": 2.0, "twist": 1.5}),
        "curved 3-D mi3.5": ("mi", "curved", {"d": 3, "active": 3, "mi": 3.5,
                                              "twist": 1.5}),
        "curved 25-D mi1": ("mi", "curved", {"d": 25, "active": 3, "mi": 1.0,
                                             "twist": 0.3}),
        "curved 25-D mi2": ("mi", "curved", {"d": 25, "active": 3, "mi": 2.0,
                                             "twist": 0.3}),
        "curved 25-D mi3.5": ("mi", "curved", {"d": 25, "active": 3, "mi": 3.5,
                                               "twist": 0.3}),
        "partly independent 5+5 20%": ("mi", "partly_independent",
                                       {"d": 5, "active": 5, "rho": 0.6, "share": 0.2}),
        "box 4-D": ("h", "box", {"sides": (0.1, 1.0, 3.0, 10.0)}),
        "exponential 2-D": ("h", "exponential", {"rates": (2.0, 3.0)}),
        "beta 2-D": ("h", "beta", {"shapes": ((2.0, 5.0), (3.0, 3.0))}),
        "half-normal 3-D": ("h", "half_normal", {"scales": (1.0, 1.0, 1.0)}),
        "laplace 2-D": ("h", "laplace", {"scales": (1.0, 0.5)}),
        "triangular 1-D": ("h", "triangular", {"widths": (3.0,)}),
    },
}
MI_METHODS, H_METHODS = ("minee", "mine", "infonce", "ksg", "cca"), ("minee", "kl")


def kozachenko_leonenko(x: np.ndarray, k: int = 3) -> float:
    """The Kozachenko-Leonenko k-NN entropy estimate, nats: psi(n) - psi(k) + ln V_d
    + d mean ln r_k (max-norm distances, V_d = 2^d, the cube of unit half-side)."""
    n, d = x.shape
    r = cKDTree(x).query(x, k + 1, p=np.inf)[0][:, k]
    return float(special.digamma(n) - special.digamma(k) + d * math.log(2)
                 + d * np.log(r).mean())


def _entropy_estimate(method: str, x: np.ndarray, seed: int) -> dict[str, Any]:
    if method == "kl":
        # on standardised columns, the scales added back: max-norm balls in a box with
        # sides 0.1 and 10 would read 1 nat high from the thin side's edges alone
        sd = x.std(0)
        return {"value": kozachenko_leonenko(x / sd) + float(np.log(sd).sum())}
    est = minee.entropy(x, seed=seed)
    return {"value": est.value, "ci": est.ci, "stderr": est.stderr,
            "flags": sorted(est.diagnostics), "steps": int(est.history.steps[-1])}


def _one(kind: str, task: Any, method: str, n: int, seed: int) -> dict[str, Any]:
    """One row's measurements: the estimate, its truth and its cost."""
    wall, cpu = time.perf_counter(), time.process_time()
    if kind == "mi":
        x, y = task.sample(n, seed=seed)
        out, truth = estimate(method, x, y, seed), task.mutual_information
    else:
        out, truth = _entropy_estimate(method, task.sample(n, seed=seed), seed), task.entropy
    return {**out, "truth": truth, "cpu_s": time.process_time() - cpu,
            "wall_s": time.perf_counter() - wall, "load": os.getloadavg()[0]}


def run(problem_set: str, seeds: list[int], n: int, only: list[str] | None) -> None:
    """Append one row per (problem, method, seed, n) not yet in the results file."""
    path = RESULTS / f"shapes-{problem_set}.jsonl"
    done = {(r["problem"], r["method"], r["seed"], r["n"]) for r in read_jsonl(path)}
    for problem, (kind, name, params) in SETS[problem_set].items():
        methods = MI_METHODS if kind == "mi" else H_METHODS
        if only and name not in only and problem not in only:
            continue
        if all((problem, m, s, n) in done for m in methods for s in seeds):
            continue
        task = (minee.tasks.get if kind == "mi" else minee.tasks.get_entropy)(name, **params)
        clock = clock_ms(iterations=100)
        for seed in seeds:
            for method in methods:
                if (problem, method, seed, n) in done:
                    continue
                row = {"problem": problem, "kind": kind, "method": method, "seed": seed,
                       "n": n, **_one(kind, task, method, n, seed), "clock_ms": clock}
                append_jsonl(path, row)
                print(f"{problem:28s} {method:8s} seed {seed}: {row['value']:.3f} "
                      f"(truth {row['truth']:.3f}) {row['cpu_s']:.1f} CPU-s "
                      f"{row.get('flags', '')}", flush=True)


def table(problem_set: str, n: int) -> str:
    """Per problem and method: mean and worst |error| and minee's interval coverage,
    unflagged misses and median CPU-s at the reference clock."""
    rows = [r for r in read_jsonl(RESULTS / f"shapes-{problem_set}.jsonl") if r["n"] == n]
    body = []
    for problem in SETS[problem_set]:
        mine = [r for r in rows if r["problem"] == problem]
        if not mine:
            continue
        line: list[Any] = [problem, f"{mine[0]['truth']:.3f}"]
        for method in MI_METHODS + ("kl",):
            errs = [abs(r["value"] - r["truth"]) for r in mine if r["method"] == method]
            line.append(f"{np.mean(errs):.3f} / {max(errs):.3f}" if errs else "")
        own = [r for r in mine if r["method"] == "minee"]
        cover = [r["ci"][0] <= r["truth"] <= r["ci"][1] for r in own]
        silent = sum(not c and not r["flags"] for c, r in zip(cover, own, strict=True))
        cpu = np.median([r["cpu_s"] * REFERENCE_CLOCK_MS / r["clock_ms"] for r in own])
        line += [f"{np.mean(cover):.2f}", silent, f"{cpu:.2f}"]
        body.append(line)
    header = ["problem", "truth", *(f"{m} mean / worst err" for m in MI_METHODS + ("kl",)),
              "minee CI coverage", "unflagged misses", "minee CPU-s (11 ms clock)"]
    return markdown_table(header, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("run", "table"))
    parser.add_argument("set", choices=tuple(SETS))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--only", default="", help="task or problem names, ;-separated")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.action == "table":
        print(table(args.set, args.n))
        return
    run(args.set, [int(s) for s in args.seeds.split(",")], args.n,
        args.only.split(";") if args.only else None)


if __name__ == "__main__":
    main()
