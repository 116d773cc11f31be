"""The MI matrix against single calls and scikit-learn on tables of known pairs, one thread.

A table is made of independent 1 + 1 problems with known MI, their columns side by side
(pairs across problems have MI 0). Four tables: ``cost`` (five problems, 45 pairs: the
table the cost per pair is quoted on), ``tune`` (eleven 1 + 1 problems of the suite's tuning
families, 231 pairs: where the table recipe is chosen) and ``report`` (fourteen 1 + 1
problems of other parameters, 378 pairs: where it is reported, never tuned on) and
``wide`` (100 columns, the report problems in turn, 4,950 pairs; no single calls).

Per seed it appends to ``results/matrix-cost.jsonl`` (``--set cost``) or
``results/matrix-<set>.jsonl``: the matrix's CPU seconds and per pair (also scaled to the
11 ms clock), each problem's pair in the matrix with its standard error, the same two
columns' single ``mutual_information`` call (value, interval, CPU), scikit-learn's
``mutual_info_regression`` and the truth; the cross pairs' largest and mean |I| and how
many of them are flagged; the clock and the load.

    python benchmarks/matrix_cost.py --n 5000
    python benchmarks/matrix_cost.py --set tune --seeds 100,101 --config h16 --advanced \
        '{"hidden": 16, "auto_batch": 128}'
    python benchmarks/matrix_cost.py --set tune --summary
    python benchmarks/matrix_cost.py --scores   # mutual_info_scores, 4 features x 2,000 rows
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np
import pandas as pd
import torch
from common import RESULTS, append_jsonl, markdown_table, read_jsonl
from suite import REFERENCE_CLOCK_MS, clock_ms

import minee
import minee.tasks

Problems = dict[str, tuple[str, dict[str, Any]]]
_SHARE = {"d": 1, "active": 1}  # partly independent 1 + 1: the one column pair dependent

SETS: dict[str, Problems] = {
    "cost": {
        "student dof4": ("student", {"dof": 4, "dx": 1, "dy": 1, "rho": 0.7}),
        "cube": ("monotone", {"rho": 0.9, "d": 1, "transform": "cube"}),
        "uniform noise": ("uniform_noise", {"d": 1, "noise": 0.3}),
        "MG(0.95)": ("mg", {"rho": 0.95}),
        "independent": ("independent", {"dx": 1, "dy": 1, "kind": "gaussian"}),
    },
    "tune": {
        "student dof4 1+1": ("student", {"dof": 4, "dx": 1, "dy": 1, "rho": 0.7}),
        "cube HG(0.9,1)": ("monotone", {"rho": 0.9, "d": 1, "transform": "cube"}),
        "asinh HG(0.6,1)": ("monotone", {"rho": 0.6, "d": 1, "transform": "asinh"}),
        "uniform noise 1-D": ("uniform_noise", {"d": 1, "noise": 0.3}),
        "MG(0.95)": ("mg", {"rho": 0.95}),
        "mixture 2 comp": ("mixture", {"weights": (0.5, 0.5), "means": ((-2, 1), (2, -1)),
                                       "scales": ((1, 1), (1, 1)), "corrs": (0.7, -0.7)}),
        "ring 8 w0.1": ("narrow_mixture", {"layout": "ring", "k": 8, "width": 0.1}),
        "near-deterministic n0.3": ("near_deterministic", {"d": 1, "noise": 0.3}),
        "partly independent 30%": ("partly_independent", {**_SHARE, "rho": 0.8,
                                                          "share": 0.3}),
        "independent student": ("independent", {"dx": 1, "dy": 1, "kind": "student"}),
        "sine f2 s0.3": ("sine", {"freq": 2.0, "noise": 0.3}),
    },
    "report": {
        "student dof1 1+1": ("student", {"dof": 1, "dx": 1, "dy": 1, "rho": 0.5}),
        "normal_cdf HG(0.8,1)": ("monotone", {"rho": 0.8, "d": 1,
                                              "transform": "normal_cdf"}),
        "half_cube HG(0.8,1)": ("monotone", {"rho": 0.8, "d": 1, "transform": "half_cube"}),
        "uniform noise n0.5": ("uniform_noise", {"d": 1, "noise": 0.5}),
        "MG(0.9)": ("mg", {"rho": 0.9}),
        "mixture 3 comp": ("mixture", {}),
        "ring 12 w0.05": ("narrow_mixture", {"layout": "ring", "k": 12, "width": 0.05}),
        "letters 1+1": ("narrow_mixture", {"layout": "letters", "k": 24, "width": 0.03}),
        "near-deterministic n0.1": ("near_deterministic", {"d": 1, "noise": 0.1}),
        "partly independent 20%": ("partly_independent", {**_SHARE, "rho": 0.6,
                                                          "share": 0.2}),
        "independent 1+1": ("independent", {"dx": 1, "dy": 1, "kind": "gaussian"}),
        "independent cauchy 1+1": ("independent", {"dx": 1, "dy": 1, "kind": "cauchy"}),
        "sine f3 s0.2": ("sine", {"freq": 3.0, "noise": 0.2}),
        "sine f1 s0.5": ("sine", {"freq": 1.0, "noise": 0.5}),
    },
}

#: 100 columns: the report problems in turn, 50 pairs (4,950 in the matrix), each drawn
#: from its own seed; the end-to-end time of a 100-column table
SETS["wide"] = {f"{name} #{k}": SETS["report"][name]
                for k, name in zip(range(50), list(SETS["report"]) * 4, strict=False)}


def _timed(call: Any) -> tuple[Any, float]:
    cpu = time.process_time()
    return call(), time.process_time() - cpu


def table_of(problems: Problems, n: int, seed: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """The table (n, 2 x problems) and each problem's true MI; problem k drawn with seed
    ``1000 * seed + k`` (the cost table keeps its original seeds 0-4 at seed 0)."""
    columns, truths = {}, {}
    for k, (name, (kind, params)) in enumerate(problems.items()):
        task = minee.tasks.get(kind, **params)
        x, y = task.sample(n, seed=1000 * seed + k)
        columns[f"{name}:x"], columns[f"{name}:y"] = x[:, 0], y[:, 0]
        truths[name] = task.mutual_information
    return pd.DataFrame(columns), truths


def measure(problems: Problems, n: int, seed: int, options: dict[str, Any],
            singles: bool = True) -> dict[str, Any]:
    """One table's row: the matrix's cost and values against single calls (unless not
    ``singles``) and sklearn."""
    from sklearn.feature_selection import mutual_info_regression

    clock = clock_ms(iterations=100)
    table, truths = table_of(problems, n, seed)
    wall = time.perf_counter()
    matrix, cpu = _timed(lambda: minee.mi_matrix(table, seed=seed, **options))
    pairs = len(table.columns) * (len(table.columns) - 1) // 2
    row: dict[str, Any] = {"n": n, "seed": seed, "pairs": pairs, "matrix_cpu_s": cpu,
                           "matrix_wall_s": time.perf_counter() - wall,
                           "per_pair_cpu_s_at_11ms": cpu / pairs * REFERENCE_CLOCK_MS / clock}
    _, sk_cpu = _timed(lambda: [mutual_info_regression(table, table[c], random_state=0)
                                for c in table.columns])
    row["sklearn_table_cpu_s"] = sk_cpu
    flagged = matrix.attrs["diagnostics"]
    for name, truth in truths.items():
        a, b = f"{name}:x", f"{name}:y"
        sk = mutual_info_regression(table[[a]], table[b], random_state=0)[0]
        row[name] = {"truth": truth, "matrix": float(matrix.loc[a, b]),
                     "matrix_stderr": matrix.attrs["stderr"][a][b],
                     "matrix_flags": sorted(flagged.get(f"{a} ~ {b}", {})),
                     "sklearn": float(sk)}
        if singles:
            single, single_cpu = _timed(lambda a=a, b=b: minee.mutual_information(
                table[[a]], table[[b]], seed=seed))
            row[name].update(single=single.value, single_ci=single.ci,
                             single_cpu_s=single_cpu)
    same = {(f"{p}:x", f"{p}:y") for p in problems}
    cross = [(a, b) for i, a in enumerate(table.columns) for b in table.columns[i + 1:]
             if (a, b) not in same]
    values = np.abs([matrix.loc[a, b] for a, b in cross])
    row.update(cross_max=float(values.max()), cross_mean=float(values.mean()),
               cross_flagged=sum(f"{a} ~ {b}" in flagged for a, b in cross),
               clock_ms=clock, load=os.getloadavg()[0])
    return row


def scores_cost(n: int = 2000) -> dict[str, Any]:
    """``mutual_info_scores`` on four features of ``n`` rows (y = x0 + sin 2 x1 + noise;
    x2, x3 independent of y) against ``mutual_info_regression``: CPU seconds, scores."""
    from sklearn.feature_selection import mutual_info_regression

    clock = clock_ms(iterations=100)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4))
    y = x[:, 0] + np.sin(2 * x[:, 1]) + 0.5 * rng.normal(size=n)
    ours, cpu = _timed(lambda: minee.mutual_info_scores(x, y))
    theirs, sk_cpu = _timed(lambda: mutual_info_regression(x, y, random_state=0))
    return {"case": "mutual_info_scores", "n": n, "cpu_s": cpu,
            "cpu_s_at_11ms": cpu * REFERENCE_CLOCK_MS / clock, "scores": ours.tolist(),
            "sklearn_cpu_s": sk_cpu, "sklearn": theirs.tolist(), "clock_ms": clock,
            "load": os.getloadavg()[0]}


def summary(rows: list[dict[str, Any]], problems: Problems) -> str:
    """Per configuration: CPU per pair at 11 ms, the pairs' mean |error|, how many lie in
    the single call's interval, mean |error| of the single calls and of sklearn, the
    cross pairs' mean and largest |I|."""
    out = []
    for config in dict.fromkeys(r.get("config", "default") for r in rows):
        mine = [r for r in rows if r.get("config", "default") == config]
        per = [r[p] for r in mine for p in problems if p in r]
        err = [abs(p["matrix"] - p["truth"]) for p in per]
        paired = [p for p in per if "single" in p]
        inside = sum(p["single_ci"][0] <= p["matrix"] <= p["single_ci"][1] for p in paired)
        out.append([config, len(mine), float(np.median([r["per_pair_cpu_s_at_11ms"]
                                                        for r in mine])),
                    float(np.mean(err)), float(np.max(err)), f"{inside}/{len(paired)}",
                    float(np.mean([abs(p["single"] - p["truth"]) for p in paired] or [np.nan])),
                    float(np.mean([abs(p["sklearn"] - p["truth"]) for p in per])),
                    float(np.mean([r["cross_mean"] for r in mine])),
                    float(np.max([r["cross_max"] for r in mine]))])
    return markdown_table(["config", "tables", "CPU-s/pair at 11 ms", "mean abs err",
                           "worst", "in single CI", "single mean abs err",
                           "sklearn mean abs err", "cross mean |I|", "cross max |I|"], out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=SETS, default="cost")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--config", default="default", help="name recorded with the rows")
    parser.add_argument("--advanced", default=None, help="recipe fields as JSON")
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--summary", action="store_true", help="print the table only")
    parser.add_argument("--scores", action="store_true",
                        help="time mutual_info_scores instead (results/matrix-cost.jsonl)")
    args = parser.parse_args()
    path = RESULTS / ("matrix-cost.jsonl" if args.set == "cost"
                      else f"matrix-{args.set}.jsonl")
    if args.summary:
        print(summary([r for r in read_jsonl(path) if r["n"] == args.n], SETS[args.set]))
        return
    torch.set_num_threads(1)
    if args.scores:
        row = scores_cost()
        append_jsonl(RESULTS / "matrix-cost.jsonl", row)
        print(json.dumps(row))
        return
    options: dict[str, Any] = {"chunk_size": args.chunk_size}
    if args.advanced is not None:
        options["advanced"] = json.loads(args.advanced)
    for seed in map(int, args.seeds.split(",")):
        row = {"config": args.config, "advanced": options.get("advanced"),
               **measure(SETS[args.set], args.n, seed, options, args.set != "wide")}
        append_jsonl(path, row)
        print(json.dumps(row)[:400], flush=True)


if __name__ == "__main__":
    main()
