"""Which reference the entropy default uses (the fitted Gaussian or the fitted Student-t)
and whether its critics are bounded, on entropy problems with closed-form or numerically
integrated truths.

The tuning problems (N = 2,000, seeds 100-101) chose the default; the reported checks
(3-D Student-t with 3 degrees of freedom, one outlier in a standard normal) are in
``robustness.py --checks entropies``.

    python benchmarks/entropy_reference.py --seeds 100,101 --n 2000 \
        --configs gaussian:0,student:0,student:20

A config is ``reference:critic_bound`` (0: unbounded).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from common import markdown_table
from suite import clock_ms

import minee
import minee.tasks

__all__ = ["PROBLEMS", "main"]

#: name -> (task name, parameters, which entropy: "x" or "xy")
PROBLEMS: dict[str, tuple[str, dict, str]] = {
    "t dof2 2-D": ("student", {"dof": 2, "dx": 2, "dy": 1, "rho": 0.3}, "x"),
    "t dof5 4-D": ("student", {"dof": 5, "dx": 4, "dy": 1, "rho": 0.3}, "x"),
    "t dof1.5 1-D": ("student", {"dof": 1.5, "dx": 1, "dy": 1, "rho": 0.3}, "x"),
    "Gaussian dense 3+3 (joint)": ("gaussian", {"dx": 3, "dy": 3, "kind": "dense",
                                                "strength": 0.4, "seed": 7}, "xy"),
    "mixture 2 comp (joint)": ("mixture", {"weights": (0.5, 0.5),
                                           "means": ((-2, 1), (2, -1)),
                                           "scales": ((1, 1), (1, 1)),
                                           "corrs": (0.7, -0.7)}, "xy"),
    "HG(0.6,3) (joint)": ("hg", {"rho": 0.6, "d": 3}, "xy"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="100,101")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--configs", default="gaussian:0,student:0,student:20")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", minee.MineeWarning)  # flags are in the table
    refs = args.configs.split(",")
    print(f"clock: {clock_ms():.1f} ms per Figure-1 iteration (authors' approach)\n")
    rows, errors = [], {r: [] for r in refs}
    for name, (kind, params, key) in PROBLEMS.items():
        task = minee.tasks.get(kind, **params)
        truth = task.entropies[key]
        for seed in (int(s) for s in args.seeds.split(",")):
            x, y = task.sample(args.n, seed=seed)
            z = x if key == "x" else np.hstack([x, y])
            row: list[object] = [name, seed, truth]
            for ref in refs:
                cpu = time.process_time()
                reference, bound = ref.split(":")
                est = minee.entropy(z, seed=seed, reference=reference,
                                    advanced={"critic_bound": float(bound)})
                errors[ref].append(abs(est.value - truth))
                row += [est.value - truth, time.process_time() - cpu,
                        ", ".join(sorted(est.diagnostics)) or "-"]
            rows.append(row)
    header = ["problem", "seed", "truth"] + [f"{r} {c}" for r in refs
                                             for c in ("error", "CPU-s", "flags")]
    rows.append(["**mean / worst abs. error**", "", ""] + [
        v for r in refs for v in (f"{np.mean(errors[r]):.3f} / {max(errors[r]):.3f}", "", "")])
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
