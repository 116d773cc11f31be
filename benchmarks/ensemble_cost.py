"""Cost of K ensemble members trained together in one batched model, relative to K = 1.

Each fit runs a fixed number of steps with minee's default settings otherwise (no early
stopping, so every K does the same number of steps) on MG(0.9), N = 400, and on
HG(0.9, 6), N = 400.

    python benchmarks/ensemble_cost.py --steps 300 --repeats 3
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch
from common import markdown_table, median, task

import minee

__all__ = ["main"]


def fit_seconds(x, y, members: int, steps: int) -> tuple[float, float]:
    """(wall, process CPU) seconds of one ``MINEE(ensemble=members)`` fit of ``steps``."""
    est = minee.MINEE(ensemble=members, max_steps=steps, seed=0, device="cpu",
                      advanced={"patience": None})
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        est.fit(x, y)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--members", type=int, nargs="*", default=[1, 4, 8, 16])
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    for name in ("MG(0.9) N=400", "HG(0.9,6) N=400"):
        t, n = task(name)
        x, y = t.sample(n, seed=0)
        fit_seconds(x, y, 1, 20)  # warm-up
        walls: dict[int, list[float]] = {k: [] for k in args.members}
        cpus: dict[int, list[float]] = {k: [] for k in args.members}
        for _ in range(args.repeats):  # interleaved, so load changes hit every K alike
            for k in args.members:
                w, c = fit_seconds(x, y, k, args.steps)
                walls[k].append(w)
                cpus[k].append(c)
        base_w, base_c = median(walls[args.members[0]]), median(cpus[args.members[0]])
        rows = [[k, 1e3 * median(walls[k]) / args.steps, median(walls[k]) / base_w,
                 median(cpus[k]) / base_c] for k in args.members]
        print(f"\n**{name}**, {args.steps} steps, median of {args.repeats}\n")
        print(markdown_table(["members K", "wall ms / step", "wall cost vs K=1",
                              "CPU-time cost vs K=1"], rows))
    print(f"\ntorch {torch.__version__}, {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
