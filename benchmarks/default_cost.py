"""CPU seconds of one default ``minee.mutual_information`` call at N = 5,000, with the clock.

The speed goal is stated for a machine where the authors' approach takes 11 ms per
Figure-1 iteration (``step_cost.py``'s baseline). A shared machine's speed drifts within
minutes, so the clock is read right before *and* right after every call and the call's
CPU seconds are scaled by their mean (``suite.py`` reads it once per problem). One torch
thread; the first fit's one-off set-up is paid before the first timed call.

    python benchmarks/default_cost.py --seeds 0,1,2
    python benchmarks/default_cost.py --problems "gaussian dense 5+5" --seeds 0

Prints one row per call and the median scaled CPU seconds per problem.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import torch
from common import markdown_table
from suite import REFERENCE_CLOCK_MS, REPORT, clock_ms

import minee
import minee.tasks

#: The reported problems the speed goal names: 5 + 5 and 25 + 25 columns.
PROBLEMS = ("independent 5+5", "gaussian dense 5+5", "student dof3 5+5 rho0",
            "independent 25+25", "gaussian dense 25+25")


def timed_call(problem: str, seed: int, n: int) -> list[object]:
    """One default call on the report problem ``problem``: a table row."""
    kind, params = REPORT[problem]
    x, y = minee.tasks.get(kind, **params).sample(n, seed=seed)
    before = clock_ms(iterations=100)
    cpu = time.process_time()
    est = minee.mutual_information(x, y, seed=seed)
    cpu = time.process_time() - cpu
    after = clock_ms(iterations=100)
    scaled = cpu * REFERENCE_CLOCK_MS / ((before + after) / 2)
    return [problem, seed, int(est.history.steps[-1]), cpu, before, after, scaled,
            os.getloadavg()[0]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--problems", default=",".join(PROBLEMS),
                        help="comma-separated names of suite.py's report problems")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", minee.MineeWarning)  # flags are not timed here
    warm = minee.tasks.get("mg", rho=0.9).sample(600, seed=0)
    minee.mutual_information(*warm, seed=0, max_steps=50, folds=1, advanced={"min_steps": 0})
    rows = [timed_call(problem, int(seed), args.n) for problem in args.problems.split(",")
            for seed in args.seeds.split(",")]
    print(markdown_table(["problem", "seed", "steps", "CPU-s", "clock before (ms)",
                          "clock after (ms)", f"CPU-s at {REFERENCE_CLOCK_MS:g} ms",
                          "load"], rows))
    print()
    medians = [[p, float(np.median([r[6] for r in rows if r[0] == p]))]
               for p in dict.fromkeys(r[0] for r in rows)]
    print(markdown_table(["problem", f"median CPU-s at {REFERENCE_CLOCK_MS:g} ms"], medians))


if __name__ == "__main__":
    main()
