"""Acceptance with default settings: one ``minee.mutual_information`` call per
seed on MG(0.9) and HG(0.9, 6), N = 400; median relative error and time per call.

Wall time is what a user waits; process CPU time (with ``--threads 1``) is what the call
costs on an otherwise idle core, which is the fair reading on a shared machine.

    python benchmarks/acceptance.py --seeds 0-4 --threads 1
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch
from common import markdown_table, median, task

import minee

__all__ = ["main"]

LIMITS = {"MG(0.9) N=400": 5.0, "HG(0.9,6) N=400": 20.0}  # seconds per call (the acceptance limits)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    lo, _, hi = args.seeds.partition("-")
    seeds = range(int(lo), int(hi or lo) + 1)
    body = []
    for name, limit in LIMITS.items():
        t, n = task(name)
        errs, walls, cpus = [], [], []
        for seed in seeds:
            x, y = t.sample(n, seed=seed)
            wall, cpu = time.perf_counter(), time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", minee.MineeWarning)
                value = minee.mutual_information(x, y, seed=seed).value
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            errs.append(abs(value - t.mutual_information) / t.mutual_information)
            print(f"{name} seed {seed}: {value:.4f} (truth {t.mutual_information:.4f}), "
                  f"wall {walls[-1]:.1f} s, CPU {cpus[-1]:.1f} s", flush=True)
        body.append([name, len(errs), 100 * median(errs), 100 * max(errs), median(walls),
                     median(cpus), f"<= 10% and <= {limit:g} s"])
    print()
    print(markdown_table(["problem", "seeds", "median abs. rel. error %", "worst %",
                          "median wall s / call", "median CPU s / call", "target"], body))
    print(f"\ntorch {torch.__version__}, {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
