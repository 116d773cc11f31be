"""The MI matrix against single calls and scikit-learn on one table, one thread.

A 10-column table of 5,000 rows made of five independent 1 + 1 problems with known MI
(their columns side by side; pairs across problems have MI 0): a 1 + 1 Student-t, a cubed
Gaussian, uniform noise, a Gaussian mixture and an independent pair. Prints and appends to
``results/matrix-cost.jsonl``: the matrix's CPU seconds and per pair, the value of each
problem's pair in the matrix, from a single ``mutual_information`` call on the same two
columns, and from scikit-learn's ``mutual_info_regression``, against the truth; the largest
absolute value over the 40 independent pairs; the clock and the load.

    python benchmarks/matrix_cost.py --n 5000
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import pandas as pd
import torch
from common import RESULTS, append_jsonl
from suite import REFERENCE_CLOCK_MS, clock_ms

import minee
import minee.tasks

PROBLEMS: dict[str, tuple[str, dict[str, Any]]] = {
    "student dof4": ("student", {"dof": 4, "dx": 1, "dy": 1, "rho": 0.7}),
    "cube": ("monotone", {"rho": 0.9, "d": 1, "transform": "cube"}),
    "uniform noise": ("uniform_noise", {"d": 1, "noise": 0.3}),
    "MG(0.95)": ("mg", {"rho": 0.95}),
    "independent": ("independent", {"dx": 1, "dy": 1, "kind": "gaussian"}),
}


def _timed(call: Any) -> tuple[Any, float]:
    cpu = time.process_time()
    return call(), time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    n = parser.parse_args().n
    torch.set_num_threads(1)
    clock = clock_ms(iterations=100)
    columns, truths = {}, {}
    for k, (name, (kind, params)) in enumerate(PROBLEMS.items()):
        task = minee.tasks.get(kind, **params)
        x, y = task.sample(n, seed=k)
        columns[f"{name}:x"], columns[f"{name}:y"] = x[:, 0], y[:, 0]
        truths[name] = task.mutual_information
    table = pd.DataFrame(columns)
    matrix, cpu = _timed(lambda: minee.mi_matrix(table, seed=0))
    pairs = len(table.columns) * (len(table.columns) - 1) // 2
    row: dict[str, Any] = {"n": n, "pairs": pairs, "matrix_cpu_s": cpu,
                           "per_pair_cpu_s_at_11ms": cpu / pairs * REFERENCE_CLOCK_MS / clock}
    from sklearn.feature_selection import mutual_info_regression

    _, sk_cpu = _timed(lambda: [mutual_info_regression(table, table[c], random_state=0)
                                for c in table.columns])
    row["sklearn_table_cpu_s"] = sk_cpu
    for name, truth in truths.items():
        a, b = f"{name}:x", f"{name}:y"
        single, single_cpu = _timed(lambda a=a, b=b: minee.mutual_information(
            table[[a]], table[[b]], seed=0))
        sk = mutual_info_regression(table[[a]], table[b], random_state=0)[0]
        row[name] = {"truth": truth, "matrix": float(matrix.loc[a, b]),
                     "matrix_stderr": matrix.attrs["stderr"][a][b], "single": single.value,
                     "single_ci": single.ci, "single_cpu_s": single_cpu, "sklearn": float(sk)}
    same = {(f"{p}:x", f"{p}:y") for p in PROBLEMS}
    cross = [abs(matrix.loc[a, b]) for i, a in enumerate(table.columns)
             for b in table.columns[i + 1:] if (a, b) not in same]
    row.update(cross_max=float(max(cross)), clock_ms=clock, load=os.getloadavg()[0])
    append_jsonl(RESULTS / "matrix-cost.jsonl", row)
    print(row)


if __name__ == "__main__":
    main()
