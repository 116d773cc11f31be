"""Conditional MI under the MI default's settings, against the settings before them.

Problems with exact answers built from the MI tasks: (A, B) from a task with known
I(A;B), Z independent standard normal with one column per column of A, and
X = A + Z, Y = B + Z[:, :d_y] (Z's first columns). Given Z = z, (X, Y) is a shift of
(A, B), a bijection of each, so I(X;Y | Z = z) = I(A;B) for every z and
I(X;Y | Z) = I(A;B). Z is not independent of X or Y, so a conditional estimate must use it.

    python benchmarks/cmi_check.py --seeds 100,101 --n 2000 [--configs gaussian,default]

One torch thread; prints per problem and config the signed error (nats) per seed and the
CPU seconds per estimate, and the clock (ms per Figure-1 iteration of the authors'
approach) it ran at.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np
import torch
from common import as_options, markdown_table
from suite import clock_ms

import minee
import minee.tasks

#: name -> (task name, parameters) of (A, B); tuning-set parameters, not reported ones
PROBLEMS: dict[str, tuple[str, dict[str, Any]]] = {
    "student dof1.5 2+2": ("student", {"dof": 1.5, "dx": 2, "dy": 2, "rho": 0.3}),
    "uniform noise 1-D": ("uniform_noise", {"d": 1, "noise": 0.3}),
    "swirl HG(0.6,2) s2": ("swirl", {"rho": 0.6, "d": 2, "strength": 2.0}),
    # added with the critics' compressed tails: a copula whose fitted t dof is 1
    "MG(0.95)": ("mg", {"rho": 0.95}),
}

#: name -> options of conditional_mutual_information
CONFIGS: dict[str, dict[str, Any]] = {
    # GELU critics and 2,000 steps, without the averaging, the 400-step minimum, the
    # 64-wide critics and the Student-t reference that came after
    "before": {"hidden": 32, "averaging": 0.0, "min_steps": 200, "reference": "gaussian"},
    # the default but for its reference: the fitted Gaussian it had before the t
    "gaussian": {"reference": "gaussian"},
    # the default before its Student-t scores and its critics' input box
    "normal-scores": {"preprocess": "rank", "clamp_inputs": False, "compress_tails": False},
    # the default before its critics read their inputs with compressed tails
    "uncompressed": {"compress_tails": False},
    "default": {},
}


def sample(kind: str, params: dict[str, Any], n: int, seed: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """X, Y, Z and the exact I(X;Y|Z) in nats."""
    task = minee.tasks.get(kind, **params)
    a, b = task.sample(n, seed=seed)
    z = np.random.default_rng([seed, 1]).standard_normal(a.shape)
    return a + z, b + z[:, : b.shape[1]], z, task.mutual_information


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="100,101")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help=f"comma-separated, of: {', '.join(CONFIGS)}")
    parser.add_argument("--problems", default=";".join(PROBLEMS),
                        help=f"semicolon-separated, of: {'; '.join(PROBLEMS)}")
    args = parser.parse_args()
    configs = args.configs.split(",")
    unknown = sorted(set(configs) - set(CONFIGS))
    if unknown:
        parser.error(f"unknown configs {unknown}; choose from {list(CONFIGS)}")
    missing = sorted(set(args.problems.split(";")) - set(PROBLEMS))
    if missing:
        parser.error(f"unknown problems {missing}; choose from {list(PROBLEMS)}")
    torch.set_num_threads(1)
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"clock: {clock_ms():.1f} ms per Figure-1 iteration (authors' approach)")
    rows = []
    for name in args.problems.split(";"):
        kind, params = PROBLEMS[name]
        for config in configs:
            options, errors, cpu = CONFIGS[config], [], []
            for seed in seeds:
                x, y, z, truth = sample(kind, params, args.n, seed)
                start = time.process_time()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est = minee.conditional_mutual_information(x, y, z, seed=seed,
                                                             **as_options(options))
                cpu.append(time.process_time() - start)
                errors.append(est.value - truth)
            rows.append([name, config, f"{truth:.3f}", ", ".join(f"{e:+.3f}" for e in errors),
                         f"{np.mean(np.abs(errors)):.3f}", f"{np.median(cpu):.1f}"])
    print(markdown_table(["problem", "config", "truth", "signed errors", "mean abs. err",
                          "median CPU-s"], rows))


if __name__ == "__main__":
    main()
