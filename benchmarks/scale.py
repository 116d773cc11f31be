"""Wall time of an MI matrix over a 40-column table (780 pairs), three ways.

1. ``loop``: one :class:`minee.MINEE` fit per pair (three critics each: H(X), H(Y), H(X,Y)),
   a Python loop. Timed on every ``--loop-every``-th pair and scaled to all pairs (the fits
   are independent and alike, so the time is linear in their number).
2. ``batched``: :func:`minee.mi_matrix` in this process: each column entropy once, then
   chunks of pairs, each chunk one batched model.
3. ``dask``: the same call with ``client=`` a ``LocalCluster`` of worker processes, one
   torch thread each (cluster start-up timed separately).

All three use the same settings (``--max-steps`` steps, no early stop before the end) and
one torch thread per process, so they differ only in how the work is arranged. The table
(40 columns): 20 Gaussian pairs (X, X + s Z) with known MI 0.5 ln(1 + 1/s^2) and
independent cross pairs (MI 0), so each row also reports the error against the truth.

Run: ``python benchmarks/scale.py`` (add ``--quick`` for a 10-column smoke run).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
import torch
from common import as_options

import minee


def make_table(columns: int, rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """``columns`` (even) columns in Gaussian pairs; returns the table and the true MI."""
    rng = np.random.default_rng(seed)
    pairs = columns // 2
    noise = np.geomspace(0.3, 3.0, pairs)  # true MI from 1.2 down to 0.05 nats
    x = rng.standard_normal((rows, pairs))
    y = x + noise * rng.standard_normal((rows, pairs))
    data = np.empty((rows, columns))
    data[:, 0::2], data[:, 1::2] = x, y
    truth = np.zeros((columns, columns))
    mi = 0.5 * np.log1p(1 / noise**2)
    truth[np.arange(0, columns, 2), np.arange(1, columns, 2)] = mi
    truth = truth + truth.T
    return pd.DataFrame(data, columns=[f"v{k}" for k in range(columns)]), truth


def errors(values: np.ndarray, truth: np.ndarray, pairs: list[tuple[int, int]]
           ) -> tuple[float, float]:
    """Mean absolute error on the dependent pairs and on the independent ones, nats."""
    dep = [abs(values[k] - truth[i, j]) for k, (i, j) in enumerate(pairs) if truth[i, j]]
    ind = [abs(values[k]) for k, (i, j) in enumerate(pairs) if not truth[i, j]]
    return float(np.mean(dep)) if dep else float("nan"), float(np.mean(ind))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=40)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--max-steps", type=int, default=100)
    parser.add_argument("--loop-every", type=int, default=10,
                        help="time the loop on every k-th pair and scale up")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="10 columns, 30 steps")
    args = parser.parse_args()
    if args.quick:
        args.columns, args.max_steps, args.loop_every = 10, 30, 3
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", minee.MineeWarning)
    options = {"max_steps": args.max_steps, "min_steps": args.max_steps, "device": "cpu"}
    df, truth = make_table(args.columns, args.rows, args.seed)
    c = args.columns
    pairs = [(i, j) for i in range(c) for j in range(i + 1, c)]
    flat = lambda m: np.array([m.iat[i, j] for i, j in pairs])  # noqa: E731
    rows: list[dict[str, object]] = []

    def done(row: dict[str, object]) -> None:
        rows.append(row)
        print(f"{row['how']}: {row['wall s']:.1f} s", file=sys.stderr, flush=True)

    sample = pairs[::args.loop_every]
    start = time.perf_counter()
    loop = [minee.MINEE(seed=args.seed, **as_options(options)).fit(df.iloc[:, i], df.iloc[:, j])
            .mutual_information_ for i, j in sample]
    elapsed = (time.perf_counter() - start) * len(pairs) / len(sample)
    done({"how": f"loop: one MINEE fit per pair (timed on {len(sample)}, scaled)",
                 "critic heads": 3 * len(pairs), "wall s": elapsed,
                 **dict(zip(("MAE dependent", "mean |I| independent"),
                            errors(np.array(loop), truth, sample), strict=True))})

    start = time.perf_counter()
    batched = minee.mi_matrix(df, seed=args.seed, chunk_size=args.chunk_size,
                              **as_options(options))
    done({"how": "batched, in-process", "critic heads": len(pairs) + c,
                 "wall s": time.perf_counter() - start,
                 **dict(zip(("MAE dependent", "mean |I| independent"),
                            errors(flat(batched), truth, pairs), strict=True))})

    from distributed import Client, LocalCluster

    start = time.perf_counter()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("minee"))  # start-up includes importing torch
        boot = time.perf_counter() - start
        start = time.perf_counter()
        remote = minee.mi_matrix(df, seed=args.seed, chunk_size=args.chunk_size,
                                 client=client, **as_options(options))
        done({"how": f"Dask LocalCluster, {args.workers} worker processes",
                     "critic heads": len(pairs) + c, "wall s": time.perf_counter() - start,
                     **dict(zip(("MAE dependent", "mean |I| independent"),
                                errors(flat(remote), truth, pairs), strict=True))})
    same = np.array_equal(flat(remote), flat(batched))

    table = pd.DataFrame(rows).set_index("how")
    print(f"{c} columns ({len(pairs)} pairs), {args.rows} rows, max_steps={args.max_steps} "
          f"(every run trains to the end), default batch (training rows up to 512), "
          f"chunk_size={args.chunk_size or minee.many.parallel.CHUNK_CPU}, 1 torch thread per "
          f"process, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    print(markdown(table))
    print(f"Dask cluster start-up (not in the table): {boot:.1f} s; Dask numbers identical "
          f"to the in-process batched run: {same}")


def markdown(table: pd.DataFrame) -> str:
    """The table as GitHub Markdown (pandas' own needs the optional ``tabulate``)."""
    cells = [[str(i), *(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row)]
             for i, row in zip(table.index, table.itertuples(index=False), strict=True)]
    lines = [[table.index.name, *table.columns], ["---"] * (table.shape[1] + 1), *cells]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


if __name__ == "__main__":
    main()
