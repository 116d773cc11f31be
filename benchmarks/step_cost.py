"""Time per iteration at Figure 1 settings: a plain implementation of the authors' approach
against minee's engine, in the same process.

One iteration = one training step + the full-sample evaluation that the authors' notebooks
do after every step (MG(0.9), N = 400, batch 100, uniform reference 10 x batch for training
and 10 x N for evaluation, three 100-wide ELU critics, lr 1e-4).

    python benchmarks/step_cost.py --iterations 1000 --repeats 5
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
import torch
from common import markdown_table, median
from torch import nn

import minee
import minee.tasks

__all__ = ["AuthorsMINEE", "main"]


def _critic(dim: int, hidden: int = 100) -> nn.Module:
    """Linear-ELU-Linear-ELU-Linear with N(0, 0.02^2) weights and zero biases."""
    net = nn.Sequential(nn.Linear(dim, hidden), nn.ELU(), nn.Linear(hidden, hidden), nn.ELU(),
                        nn.Linear(hidden, 1))
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
    return net


def _dv(f_data: torch.Tensor, f_ref: torch.Tensor) -> torch.Tensor:
    return f_data.mean() - (torch.logsumexp(f_ref, 0) - np.log(f_ref.shape[0]))


class AuthorsMINEE:
    """The authors' approach, written plainly: three networks, three Adams, three backward
    passes, minibatches without replacement, a fresh uniform reference every step."""

    def __init__(self, x: np.ndarray, y: np.ndarray, *, batch: int = 100,
                 ref_factor: int = 10, lr: float = 1e-4, seed: int = 0):
        torch.manual_seed(seed)
        self.x = torch.as_tensor(x, dtype=torch.float32)
        self.y = torch.as_tensor(y, dtype=torch.float32)
        self.xy = torch.cat([self.x, self.y], 1)
        self.batch, self.ref_factor = batch, ref_factor
        self.lo, self.hi = self.xy.min(0).values, self.xy.max(0).values
        dx = self.x.shape[1]
        self.dx = dx
        self.nets = [_critic(self.xy.shape[1]), _critic(dx), _critic(self.y.shape[1])]
        self.opts = [torch.optim.Adam(n.parameters(), lr=lr) for n in self.nets]
        self.estimates: list[float] = []

    def _ref(self, rows: int) -> torch.Tensor:
        u = torch.rand(rows, self.xy.shape[1])
        return self.lo + u * (self.hi - self.lo)

    def step(self) -> None:
        n = self.xy.shape[0]
        ref = self._ref(self.ref_factor * self.batch)
        datas = [self.xy[torch.randperm(n)[: self.batch]],
                 self.x[torch.randperm(n)[: self.batch]],
                 self.y[torch.randperm(n)[: self.batch]]]
        refs = [ref, ref[:, : self.dx], ref[:, self.dx:]]
        for net, opt, data, r in zip(self.nets, self.opts, datas, refs, strict=True):
            loss = -_dv(net(data), net(r))
            opt.zero_grad()
            loss.backward()
            opt.step()

    @torch.no_grad()
    def evaluate(self) -> float:
        ref = self._ref(self.ref_factor * self.xy.shape[0])
        d_xy = _dv(self.nets[0](self.xy), self.nets[0](ref))
        d_x = _dv(self.nets[1](self.x), self.nets[1](ref[:, : self.dx]))
        d_y = _dv(self.nets[2](self.y), self.nets[2](ref[:, self.dx:]))
        value = float(d_xy - d_x - d_y)  # the notebooks record a Python float every step
        self.estimates.append(value)
        return value


def _per_iteration(fn: Callable[[], object], iterations: int) -> tuple[float, float]:
    """Wall and process-CPU seconds of ``fn()`` divided by ``iterations``."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return ((time.perf_counter() - wall) / iterations,
            (time.process_time() - cpu) / iterations)


def time_authors(x: np.ndarray, y: np.ndarray, iterations: int,
                 seed: int) -> tuple[float, float]:
    """(wall, CPU) seconds per iteration (step + evaluation) of :class:`AuthorsMINEE`."""
    model = AuthorsMINEE(x, y, seed=seed)

    def loop() -> None:
        for _ in range(iterations):
            model.step()
            model.evaluate()

    return _per_iteration(loop, iterations)


def time_minee(x: np.ndarray, y: np.ndarray, iterations: int,
               seed: int) -> tuple[float, float]:
    """(wall, CPU) seconds per iteration of ``MINEE(preset="paper", eval_every=1)``, the
    whole ``fit`` (setup and summary included)."""
    est = minee.MINEE(preset="paper", max_steps=iterations, seed=seed, device="cpu",
                      advanced={"eval_every": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        return _per_iteration(lambda: est.fit(x, y), iterations)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    x, y = minee.tasks.get("mg", rho=0.9).sample(400, seed=0)
    # warm up both (first calls pay for allocator growth and lazy initialisation)
    time_authors(x, y, 20, seed=0)
    time_minee(x, y, 20, seed=0)
    rows = []
    for r in range(args.repeats):  # interleaved, so load changes hit both alike
        a, m = time_authors(x, y, args.iterations, seed=r), time_minee(x, y, args.iterations,
                                                                      seed=r)
        rows.append((a, m))
        print(f"repeat {r}: authors' approach {a[0] * 1e3:.2f} ms/it wall "
              f"({a[1] * 1e3:.2f} CPU), minee {m[0] * 1e3:.2f} ms/it wall "
              f"({m[1] * 1e3:.2f} CPU), ratio {a[0] / m[0]:.2f}x wall, {a[1] / m[1]:.2f}x CPU",
              flush=True)
    body = []
    for i, clock in enumerate(("wall", "process CPU")):
        ratios = [a[i] / m[i] for a, m in rows]
        body.append([clock, 1e3 * median(a[i] for a, _ in rows),
                     1e3 * median(m[i] for _, m in rows),
                     f"{median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"])
    print()
    print(markdown_table(["clock", "authors' approach ms / iteration",
                          "minee paper preset ms / iteration", "ratio (min-max)"], body))
    print(f"\nmedian of {args.repeats} interleaved repeats of {args.iterations} iterations; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
