r"""Distributions with known ground truth (paper §4), for tests, benchmarks and experiments.

Each task samples paired data with an explicit seed and carries its true mutual information
and entropies ``{"x", "y", "xy"}``, in nats::

    task = minee.tasks.get("hg", rho=0.9, d=6)
    x, y = task.sample(400, seed=0)
    task.mutual_information  # 4.98219...

The families (registry name: class), all with closed-form or numerically integrated truths:

- "mg": :class:`MixedGaussian`, "hg": :class:`HighDimGaussian` (the paper's tasks);
- "student": :class:`StudentT`, jointly Student-t (MI > 0 even when uncorrelated);
- "monotone": :class:`MonotoneGaussian`, HG through a coordinatewise increasing map;
- "swirl": :class:`SwirlGaussian`, HG with X swirled by a volume-preserving map;
- "mixture": :class:`GaussianMixturePair`, a mixture of bivariate normals in R x R;
- "uniform_noise": :class:`UniformNoise`, X uniform, Y = X + uniform noise;
- "independent": :class:`Independent`, Gaussian, Student-t or Cauchy with I = 0;
- "gaussian": :class:`CorrelatedGaussian`, dense or sparse cross-covariance;
- "near_deterministic": :class:`NearDeterministic`, Y = X + small Gaussian noise.
"""

from __future__ import annotations

from typing import Any

from .base import Task
from .gaussian import CorrelatedGaussian, HighDimGaussian, MixedGaussian, NearDeterministic
from .heavy_tailed import Independent, StudentT
from .mixture import GaussianMixturePair
from .transformed import MONOTONE_TRANSFORMS, MonotoneGaussian, SwirlGaussian
from .uniform import UniformNoise

__all__ = ["Task", "MixedGaussian", "HighDimGaussian", "StudentT", "MonotoneGaussian",
           "SwirlGaussian", "GaussianMixturePair", "UniformNoise", "Independent",
           "CorrelatedGaussian", "NearDeterministic", "MONOTONE_TRANSFORMS", "get", "TASKS"]

TASKS: dict[str, type[Task]] = {cls.name: cls for cls in (
    MixedGaussian, HighDimGaussian, StudentT, MonotoneGaussian, SwirlGaussian,
    GaussianMixturePair, UniformNoise, Independent, CorrelatedGaussian, NearDeterministic)}


def get(name: str, **params: Any) -> Task:
    """The task ``name`` (a key of :data:`TASKS`) with its parameters, e.g.
    ``get("hg", rho=0.9, d=6)``; unknown names and bad parameters raise ValueError."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of {sorted(TASKS)}")
    try:
        return TASKS[name](**params)
    except TypeError as exc:
        raise ValueError(f"bad parameters for task {name!r}: {exc}") from None
