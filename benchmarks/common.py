"""Shared pieces of the benchmarks: tasks by name, timing, KSG, result files and tables."""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

import minee.tasks

__all__ = ["TASKS", "task", "timed", "ksg", "append_jsonl", "read_jsonl", "median",
           "markdown_table", "RESULTS"]

RESULTS = Path(__file__).with_name("results")

#: The benchmark problems: name -> (task name, task parameters, N).
TASKS: dict[str, tuple[str, dict[str, Any], int]] = {
    "MG(0.9) N=400": ("mg", {"rho": 0.9}, 400),
    "HG(0.9,6) N=400": ("hg", {"rho": 0.9, "d": 6}, 400),
    "HG(0.9,6) N=4000": ("hg", {"rho": 0.9, "d": 6}, 4000),
}


def task(name: str) -> tuple[minee.tasks.Task, int]:
    """The task and sample size of a benchmark problem named in :data:`TASKS`."""
    kind, params, n = TASKS[name]
    return minee.tasks.get(kind, **params), n


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Call ``fn``; return its result and the wall time in seconds."""
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def ksg(x: np.ndarray, y: np.ndarray, k: int = 3) -> float:
    r"""Kraskov-Stögbauer-Grassberger estimator 1 of I(X;Y) in nats (max-norm).

    $\psi(k) + \psi(N) - \langle \psi(n_x + 1) + \psi(n_y + 1) \rangle$, where $n_x$ counts
    the points strictly closer in X than the k-th neighbour in the joint space.

    Arguments:
        x: samples, shape (N, dx).
        y: paired samples, shape (N, dy).
        k: the neighbour order.
    """
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    n = len(x)
    xy = np.hstack([x, y])
    # distance to the k-th neighbour (the query point itself is neighbour 0)
    eps = cKDTree(xy).query(xy, k=k + 1, p=math.inf)[0][:, -1]
    # strictly closer: shrink the radius by one ulp; the count includes the point itself
    radius = np.nextafter(eps, 0)
    nx = cKDTree(x).query_ball_point(x, radius, p=math.inf, return_length=True) - 1
    ny = cKDTree(y).query_ball_point(y, radius, p=math.inf, return_length=True) - 1
    return float(digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1)))


def append_jsonl(path: Path, row: dict[str, Any]) -> None:
    """Append one result row to a JSON-lines file (created with its folder if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fh.write(json.dumps(row) + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """All rows of a JSON-lines file (none if it does not exist)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def median(values: Iterable[float]) -> float:
    """Median ignoring NaN and None; NaN if nothing is left."""
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(vals) if vals else math.nan


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A GitHub markdown table; floats printed with 3 significant digits."""
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return "-" if math.isnan(v) else f"{v:.3g}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def as_options(config: dict[str, Any]) -> dict[str, Any]:
    """A flat benchmark configuration (``{"max_steps": 500, "hidden": 128}``) as estimator
    options: the recipe's fields that the estimators do not take go into ``advanced``.
    Configurations naming settings that were removed (``whiten``, ``weight_decay``) raise."""
    from dataclasses import fields

    import minee

    own = set(minee.MINEE().get_params()) | {"null", "client", "scheduler", "chunk_size",
                                             "retries", "timeout", "progress", "method"}
    recipe = {f.name for f in fields(minee.Recipe)}
    options = {k: v for k, v in config.items() if k in own or k not in recipe}
    advanced = {k: v for k, v in config.items() if k in recipe and k not in own}
    return {**options, "advanced": advanced} if advanced else options
