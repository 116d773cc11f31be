"""What a process pays before its first estimate: CPU seconds of the first default MI
call minus the second's on the same data (2 + 2 Gaussian columns, 5,000 rows, one torch
thread), each in a fresh process, median over runs; once as a user runs it (``import
minee`` imports no torch, so the first call imports it), once with torch already
imported (what minee adds to torch's import) and once with scipy.special too (what minee
adds to its libraries' imports). Prints the medians and writes
``results/start-up.jsonl``.

    python benchmarks/start_up.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from common import RESULTS, append_jsonl
from suite import clock_ms

CHILD = """
import time, sys
c = time.process_time()
{pre}
import numpy as np
import minee
imported = time.process_time() - c
rng = np.random.default_rng(0)
x = rng.normal(size=(5000, 2)); y = 0.8 * x + 0.6 * rng.normal(size=(5000, 2))
calls = []
for _ in range(3):
    c = time.process_time()
    minee.mutual_information(x, y, seed=0, threads=1)
    calls.append(time.process_time() - c)
print(imported, *calls)
"""


def measure(pre: str) -> tuple[float, float, float]:
    """(import minee, first call, the later calls' smaller) CPU seconds, one process."""
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", CHILD.format(pre=pre)],
                         check=True, capture_output=True, text=True).stdout.split()
    imported, first, *later = map(float, out)
    return imported, first, min(later)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    clock = clock_ms(iterations=100)
    for label, pre in (("as a user runs it", ""), ("torch imported first", "import torch"),
                       ("torch and scipy.special imported first",
                        "import torch, scipy.special")):
        rows = [measure(pre) for _ in range(runs)]
        row = {"case": label, "runs": runs,
               "import_minee_cpu_s": statistics.median(r[0] for r in rows),
               "first_call_cpu_s": statistics.median(r[1] for r in rows),
               "later_call_cpu_s": statistics.median(r[2] for r in rows),
               "overhead_cpu_s": statistics.median(r[1] - r[2] for r in rows),
               "load": os.getloadavg()[0], "clock_ms": clock}
        append_jsonl(RESULTS / "start-up.jsonl", row)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
