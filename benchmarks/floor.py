"""The arithmetic floor: this machine's float32 matrix-multiply throughput, and what
fraction of it each reproduction protocol's iteration achieves.

For each thread count: the GFLOP/s of a 2048 x 2048 float32 product (the peak), then for
Figure 1 and Figure 2 (three seeds in one batched model, as ``minee reproduce`` runs them)
the MI-NEE training step, the MI-NEE full-sample evaluation and the MINE step, each as
GFLOP/s of the network arithmetic (2 FLOP per multiply-add; a training step counts forward
+ backward as 3 forward passes) and as a fraction of the peak. ``--no-stream`` takes each
step in one backward pass over the whole reference and ``--default-allocator`` leaves
glibc's malloc as it is (without :func:`minee.memory.retain_freed_memory`): together, how
minee ran before both.

    python benchmarks/floor.py --threads 1,2 --repeats 5
    python benchmarks/floor.py --threads 1,2 --repeats 5 --no-stream --default-allocator
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import torch
from common import markdown_table, median

import minee
from minee.memory import retain_freed_memory
from minee.paper.experiments import FIGURES, _samples
from minee.training.engine import Engine

__all__ = ["matmul_gflops", "protocol_rows", "main"]


def _seconds(fn: Callable[[], object], repeats: int, inner: int = 1) -> float:
    """Median wall seconds of ``inner`` calls of ``fn`` over ``repeats`` timings."""
    fn()  # warm-up: allocator growth, lazy initialisation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - start) / inner)
    return median(times)


def matmul_gflops(repeats: int, size: int = 2048) -> float:
    """GFLOP/s of one ``size`` x ``size`` float32 product at the current thread count."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    return 2 * size**3 / _seconds(lambda: torch.mm(a, b), repeats, inner=3) / 1e9


def _engines(figure: str, seeds: int) -> dict[str, Engine]:
    fig = FIGURES[figure]
    _, xs, ys = _samples(fig, seeds, 0)
    common = {"preset": "paper", "max_steps": 10, "seed": 0}
    recipe = {"lr": fig.lr, "batch_size": fig.batch_size, "eval_every": 10}
    minee_recipe = {**recipe, "ref_factor": fig.ref_factor}
    return {"minee": minee.MINEE(**common, advanced=minee_recipe).prepare_batch(xs, ys).engine,
            "mine": minee.MINE(**common, advanced=recipe).prepare_batch(xs, ys).engine}


def _eval_macs(engine: Engine) -> float:
    """Multiply-adds of one evaluation: every network meets n data + ref_factor*n rows."""
    n = engine.train_rows.shape[1]
    params = sum(p.numel() for p in engine.critic.parameters())
    return (n + engine.config.ref_factor * n) * params


def protocol_rows(figure: str, seeds: int, repeats: int, peak: float,
                  stream: bool) -> list[list[object]]:
    """Table rows (figure, part, ms, GFLOP/s, fraction of peak) of one protocol."""
    engines = _engines(figure, seeds)
    if not stream:
        engines["minee"].stream_chunk = None
    parts = [("MI-NEE step", engines["minee"].train_step, 6 * engines["minee"].step_work()),
             ("MI-NEE evaluation", engines["minee"].evaluate, 2 * _eval_macs(engines["minee"])),
             ("MINE step", engines["mine"].train_step, 6 * engines["mine"].step_work())]
    rows: list[list[object]] = []
    for name, fn, flop in parts:
        inner = 1 if flop > 1e9 else 50
        seconds = _seconds(fn, repeats, inner=inner)
        rows.append([figure, name, 1e3 * seconds, flop / seconds / 1e9,
                     f"{flop / seconds / 1e9 / peak:.0%}"])
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-stream", action="store_true",
                        help="one backward pass over the whole reference")
    parser.add_argument("--default-allocator", action="store_true",
                        help="leave glibc's malloc thresholds as they are")
    args = parser.parse_args(argv)
    if not args.default_allocator:
        retain_freed_memory()
    clock = os.getloadavg()[0]
    for threads in (int(t) for t in args.threads.split(",")):
        torch.set_num_threads(threads)
        peak = matmul_gflops(args.repeats)
        print(f"\n{threads} thread(s): float32 matmul peak {peak:.1f} GFLOP/s")
        rows = [row for figure in ("fig1", "fig2")
                for row in protocol_rows(figure, args.seeds, args.repeats, peak,
                                         not args.no_stream)]
        print(markdown_table(["figure", "part", "ms", "GFLOP/s", "of matmul peak"], rows))
    print(f"\nload average at start {clock:.2f}; {args.seeds} seeds per model; "
          f"streamed: {not args.no_stream}; allocator kept: {not args.default_allocator}; "
          f"torch {torch.__version__}")


if __name__ == "__main__":
    main()
