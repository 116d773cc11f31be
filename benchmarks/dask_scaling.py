"""Dask scaling: the same MI matrix (scale.py's 40-column table, 780 pairs) on a
``LocalCluster`` of 1 and of 2 worker processes (one torch thread each), wall time of the
call (cluster start-up not included), and whether the numbers are identical. Run it with
nothing else on the machine: the point is how the two cores are used.

    python benchmarks/dask_scaling.py --rows 1000 --max-steps 100
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import torch
from common import RESULTS, append_jsonl, as_options
from scale import make_table

import minee


def timed_matrix(df, workers: int, options: dict) -> tuple[float, np.ndarray]:
    """Wall seconds of ``mi_matrix`` on a fresh cluster of ``workers`` processes."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("minee"))  # start-up, torch's import included
        start = time.perf_counter()
        m = minee.mi_matrix(df, seed=0, client=client, **as_options(options))
        return time.perf_counter() - start, m.to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=40)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--max-steps", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", minee.MineeWarning)
    options = {"max_steps": args.max_steps, "min_steps": args.max_steps, "device": "cpu"}
    df, _ = make_table(args.columns, args.rows, 0)
    one, m1 = timed_matrix(df, 1, options)
    two, m2 = timed_matrix(df, 2, options)
    row = {"columns": args.columns, "rows": args.rows, "max_steps": args.max_steps,
           "one_worker_s": one, "two_workers_s": two, "speed_up": one / two,
           "identical": bool(np.array_equal(m1, m2, equal_nan=True)),
           "cpus": os.cpu_count(), "load": os.getloadavg()[0]}
    append_jsonl(RESULTS / "dask-scaling.jsonl", row)
    print(row)


if __name__ == "__main__":
    main()
