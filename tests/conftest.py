"""Shared fixtures: small seeded samples with known information quantities."""

from __future__ import annotations

import numpy as np
import pytest
import torch

# One thread: the tests' tensors are small, and intra-op threads only contend with each
# other and with Dask workers and CLI subprocesses on a 2-core machine.
torch.set_num_threads(1)

# Settings that make an estimator train for a few dozen steps: for contract tests, where the
# point is shapes, seeds and invariants rather than accuracy.
QUICK = {"max_steps": 40, "advanced": {"eval_every": 10, "min_steps": 0}}


def quick(*, max_steps: int = 40, **advanced: object) -> dict[str, object]:
    """:data:`QUICK` with another budget or more of the recipe changed
    (``quick(lr=2e-3)``)."""
    return {"max_steps": max_steps,
            "advanced": {"eval_every": 10, "min_steps": 0, **advanced}}


@pytest.fixture
def gaussian_pair() -> tuple[np.ndarray, np.ndarray]:
    """300 rows of (X, Y) in R^1 x R^1 with correlation 0.8."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 1))
    y = 0.8 * x + 0.6 * rng.standard_normal((300, 1))
    return x, y
