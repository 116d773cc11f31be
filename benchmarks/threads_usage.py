"""The README usage example's default call, timed as a whole process by farm-bench.

    farm-bench -n 5 --vs "sh -c 'OMP_NUM_THREADS=1 exec python benchmarks/threads_usage.py'" \
        -- python benchmarks/threads_usage.py auto

The argument is minee's ``threads`` setting (``auto``, ``1``, ``2``).
"""

from __future__ import annotations

import sys

import numpy as np

import minee


def main() -> None:
    arg = sys.argv[1] if len(sys.argv) > 1 else "auto"
    threads: int | str = arg if arg == "auto" else int(arg)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 2))
    y = 0.9 * x + np.sqrt(0.19) * rng.normal(size=(2000, 2))  # true I = 1.6607 nats
    est = minee.mutual_information(x, y, seed=0, threads=threads)
    print(f"{est.value:.4f}")


if __name__ == "__main__":
    main()
