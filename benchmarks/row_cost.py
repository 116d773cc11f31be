"""Cost and row count: the default MI on 5 + 5 correlated Gaussian columns at 5,000 to
10,000,000 rows, one torch thread, each size in its own process (its peak memory is its
own). Above ``Recipe.max_rows`` (20,000) a fit reads a seeded subsample of that many rows.

Each row of ``results/row-cost.jsonl``: rows, the rows read, value and truth, the
interval, CPU and wall seconds of the call (not of drawing the sample), the process's
peak resident memory, the data's own size, the load and the clock (``suite.clock_ms``).

    python benchmarks/row_cost.py 5000 1000000 10000000
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

from common import RESULTS, append_jsonl
from suite import clock_ms

TASK = {"dx": 5, "dy": 5, "kind": "dense", "strength": 0.4, "seed": 3}


def one(rows: int) -> dict[str, object]:
    """One default MI call on ``rows`` rows, measured in this process."""
    import torch

    import minee
    import minee.tasks

    torch.set_num_threads(1)
    task = minee.tasks.get("gaussian", **TASK)
    x, y = task.sample(rows, seed=1)
    wall, cpu = time.perf_counter(), time.process_time()
    est = minee.mutual_information(x, y, seed=0)
    return {"rows": rows, "rows_read": est.rows, "value": est.value,
            "truth": task.mutual_information, "ci": est.ci,
            "cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "data_mb": (x.nbytes + y.nbytes) / 2**20, "flags": sorted(est.diagnostics)}


def main() -> None:
    if sys.argv[1] == "--one":
        print(json.dumps(one(int(sys.argv[2]))))
        return
    clock = clock_ms(iterations=100)
    for rows in map(int, sys.argv[1:]):
        # a warm-up call first in the same process would hide nothing here: each size
        # pays the same start-up, and the ratio to 5,000 rows is what is reported
        out = subprocess.run([sys.executable, __file__, "--one", str(rows)], check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[-1]
        row = {**json.loads(out), "load": os.getloadavg()[0], "clock_ms": clock}
        append_jsonl(RESULTS / "row-cost.jsonl", row)
        print(row, flush=True)


if __name__ == "__main__":
    main()
