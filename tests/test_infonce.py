"""InfoNCE on the engine: the bound, its ln(batch) ceiling and its flag."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import minee
from minee.training.infonce import infonce_bound


def test_the_bound_of_a_perfect_critic_reaches_ln_batch() -> None:
    b = 16
    f_data = torch.full((1, 1, b), 50.0, dtype=torch.float64)
    # the positives (the grid's diagonal) score 50, every negative 0
    f_grid = torch.eye(b, dtype=torch.float64).reshape(1, 1, b * b) * 50.0
    assert float(infonce_bound(f_data, f_grid)) == pytest.approx(math.log(b), abs=1e-6)


def test_infonce_estimates_and_flags_its_ceiling() -> None:
    x, y = minee.tasks.get("hg", rho=0.8, d=1).sample(1000, seed=0)  # truth 0.51 nats
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        est = minee.mutual_information(x, y, method="infonce", seed=0, max_steps=300)
        assert abs(est.value - 0.511) < 0.15 and "saturated" not in est.diagnostics
        assert est.entropies == {}
        x, y = minee.tasks.get("hg", rho=0.9, d=6).sample(1000, seed=0)  # truth 4.98
        small = minee.mutual_information(x, y, method="infonce", seed=0, max_steps=300,
                                         advanced={"batch_size": 4})
    assert small.value <= math.log(4) + 1e-6 and "saturated" in small.diagnostics
    assert np.isfinite(small.value)
