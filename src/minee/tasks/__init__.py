r"""Distributions with known ground truth (paper §4), for tests, benchmarks and experiments.

Each task samples paired data with an explicit seed and carries its true mutual information
and entropies ``{"x", "y", "xy"}``, in nats::

    task = minee.tasks.get("hg", rho=0.9, d=6)
    x, y = task.sample(400, seed=0)
    task.mutual_information  # 4.98219...

The families (registry name: class), with closed-form, numerically integrated or Monte Carlo
truths:

- "mg": :class:`MixedGaussian`, "hg": :class:`HighDimGaussian` (the paper's tasks);
- "student": :class:`StudentT`, jointly Student-t (MI > 0 even when uncorrelated);
- "monotone": :class:`MonotoneGaussian`, HG through a coordinatewise increasing map;
- "swirl": :class:`SwirlGaussian`, HG with X swirled by a volume-preserving map;
- "mixture": :class:`GaussianMixturePair`, a mixture of bivariate normals in R x R;
- "uniform_noise": :class:`UniformNoise`, X uniform, Y = X + uniform noise;
- "independent": :class:`Independent`, Gaussian, Student-t or Cauchy with I = 0;
- "gaussian": :class:`CorrelatedGaussian`, dense or sparse cross-covariance;
- "near_deterministic": :class:`NearDeterministic`, Y = X + small Gaussian noise;
- "narrow_mixture": :class:`NarrowMixture`, narrow Gaussians along a ring, a wave or letters;
- "shells": :class:`Shells`, noisy spherical shells with Y a noisy shell radius;
- "curved": :class:`CurvedGaussian`, correlated Gaussians twisted by a norm-dependent rotation;
- "partly_independent": :class:`PartlyIndependent`, a Gaussian diluted by independent rows;
- "sine": :class:`SineNoise`, Y = sin(f X) + noise, a map that folds the line.

"narrow_mixture", "shells" and "partly_independent" have Monte Carlo truths
(:class:`MonteCarloTask`): means over :data:`TRUTH_DRAWS` draws from the fixed
:data:`TRUTH_SEED`, with the standard error ``truth_stderr`` (nats).

Entropy tasks (:class:`EntropyTask`: ``sample(n, seed)`` gives one (n, d) array, ``entropy``
its true differential entropy in nats), all closed form, from :func:`get_entropy` and
:data:`ENTROPY_TASKS`::

    minee.tasks.get_entropy("beta", shapes=[(0.5, 0.5)]).entropy  # -0.24156...

- "box": :class:`UniformBox`; "exponential": :class:`Exponential`; "beta": :class:`Beta`;
- "half_normal": :class:`HalfNormal`, optionally linearly mixed;
- "laplace": :class:`Laplace` (a kink at 0); "triangular": :class:`Triangular`.
"""

from __future__ import annotations

from typing import Any

from .base import Task
from .bounded import Beta, EntropyTask, Exponential, HalfNormal, Laplace, Triangular, UniformBox
from .gaussian import CorrelatedGaussian, HighDimGaussian, MixedGaussian, NearDeterministic
from .heavy_tailed import Independent, StudentT
from .mixture import GaussianMixturePair
from .periodic import SineNoise
from .shaped_gaussians import CurvedGaussian, PartlyIndependent
from .shapes import TRUTH_DRAWS, TRUTH_SEED, MonteCarloTask, NarrowMixture, Shells
from .transformed import MONOTONE_TRANSFORMS, MonotoneGaussian, SwirlGaussian
from .uniform import UniformNoise

__all__ = ["Task", "MixedGaussian", "HighDimGaussian", "StudentT", "MonotoneGaussian",
           "SwirlGaussian", "GaussianMixturePair", "UniformNoise", "Independent",
           "CorrelatedGaussian", "NearDeterministic", "MONOTONE_TRANSFORMS", "get", "TASKS",
           "NarrowMixture", "Shells", "CurvedGaussian", "PartlyIndependent", "MonteCarloTask",
           "TRUTH_SEED", "TRUTH_DRAWS", "EntropyTask", "UniformBox", "Exponential", "Beta",
           "HalfNormal", "Laplace", "Triangular", "ENTROPY_TASKS", "get_entropy", "SineNoise"]

TASKS: dict[str, type[Task]] = {cls.name: cls for cls in (
    MixedGaussian, HighDimGaussian, StudentT, MonotoneGaussian, SwirlGaussian,
    GaussianMixturePair, UniformNoise, Independent, CorrelatedGaussian, NearDeterministic,
    NarrowMixture, Shells, CurvedGaussian, PartlyIndependent, SineNoise)}

ENTROPY_TASKS: dict[str, type[EntropyTask]] = {cls.name: cls for cls in (
    UniformBox, Exponential, Beta, HalfNormal, Laplace, Triangular)}


def get(name: str, **params: Any) -> Task:
    """The task ``name`` (a key of :data:`TASKS`) with its parameters, e.g.
    ``get("hg", rho=0.9, d=6)``; unknown names and bad parameters raise ValueError."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of {sorted(TASKS)}")
    try:
        return TASKS[name](**params)
    except TypeError as exc:
        raise ValueError(f"bad parameters for task {name!r}: {exc}") from None


def get_entropy(name: str, **params: Any) -> EntropyTask:
    """The entropy task ``name`` (a key of :data:`ENTROPY_TASKS`) with its parameters, e.g.
    ``get_entropy("laplace", scales=[1.0, 2.0])``; unknown names and bad parameters raise
    ValueError."""
    if name not in ENTROPY_TASKS:
        raise ValueError(f"unknown entropy task {name!r}; choose one of {sorted(ENTROPY_TASKS)}")
    try:
        return ENTROPY_TASKS[name](**params)
    except TypeError as exc:
        raise ValueError(f"bad parameters for entropy task {name!r}: {exc}") from None
