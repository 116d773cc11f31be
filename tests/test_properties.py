"""Property-based: any input gives a finite value with its diagnostics, or a clear error.

Over shapes, dtypes, scales, offsets, NaN patterns, duplicated columns and options, every
call of the one-call functions returns an :class:`~minee.Estimate` whose value is finite
(or ``+inf`` flagged), or raises ``ValueError``/``TypeError``: never another exception,
never a silent NaN.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import minee

#: a few steps of a small critic (recipe fields go in ``advanced``)
FAST = {"eval_every": 3, "hidden": 8, "min_steps": 0}


@st.composite
def samples(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of random shapes, scales, offsets, dtypes and defects."""
    n = draw(st.sampled_from([2, 9, 10, 40, 60, 80, 120]))
    dx, dy = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dx))
    y = 0.5 * x[:, :1] + rng.standard_normal((n, dy))
    scale = 10.0 ** draw(st.sampled_from([-30, -8, 0, 0, 0, 8, 30]))
    offset = draw(st.sampled_from([0.0, 0.0, 1e8, -1e12, 3.5]))
    x, y = x * scale + offset, y * scale
    defect = draw(st.sampled_from(["none", "none", "nan", "inf", "duplicate", "constant",
                                   "discrete", "outlier", "copy_x"]))
    if defect == "nan":
        x[draw(st.integers(0, n - 1)), 0] = np.nan
    elif defect == "inf":
        y[draw(st.integers(0, n - 1)), 0] = np.inf
    elif defect == "duplicate" and dx > 1:
        x[:, 1] = x[:, 0]
    elif defect == "constant":
        y[:, 0] = 1.0
    elif defect == "discrete":
        x = np.round(x / max(np.abs(x).max(), 1e-300) * 2)
    elif defect == "outlier":
        x[0, 0] = 1e6 * (np.abs(x).max() + 1)
    elif defect == "copy_x":
        y = x[:, :dy].copy() if dy <= dx else y
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64, np.float16]))
    with np.errstate(all="ignore"):
        return x.astype(dtype), y.astype(dtype)


#: the estimators' own options
OPTIONS = st.fixed_dictionaries({}, optional={
    "reference": st.sampled_from(["uniform", "gaussian", "student", "mixture", "auto"]),
    "val_fraction": st.sampled_from([0.0, 0.0, 0.3, 0.5]),
    "ensemble": st.integers(1, 2),
    "discrete": st.sampled_from(["auto", True, False]),
})
#: fields of the recipe, passed as ``advanced``
RECIPE = st.fixed_dictionaries({}, optional={
    "preprocess": st.sampled_from(["none", "standardize", "rank", "rank-t", "auto", "edges"]),
    "clamp_inputs": st.booleans(),
    "compress_tails": st.booleans(),
    "batch_size": st.sampled_from(["auto", "auto", 8, 32]),
    "dtype": st.sampled_from(["float32", "float64"]),
})


def _check(call: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        try:
            est = call()  # type: ignore[operator]
        except (ValueError, TypeError) as exc:
            assert str(exc), "an error must say what is wrong"
            # the harness's own mistake would refuse every call and test nothing
            assert "setting of the recipe" not in str(exc), str(exc)
            event(f"refused: {str(exc)[:40]}")
            return
    event("estimated" + (" (flagged)" if est.diagnostics else ""))
    value = est.value
    assert not math.isnan(value), f"silent NaN with diagnostics {est.diagnostics}"
    assert math.isfinite(value) or est.diagnostics, "an infinite value must be flagged"


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=samples(), options=OPTIONS, recipe=RECIPE,
       method=st.sampled_from(["minee", "mine"]))
def test_mutual_information_never_fails_silently(data: tuple[np.ndarray, np.ndarray],
                                                 options: dict, recipe: dict,
                                                 method: str) -> None:
    x, y = data
    if method == "mine":
        options = {k: v for k, v in options.items() if k != "reference"}
    _check(lambda: minee.mutual_information(x, y, method=method, seed=0, device="cpu",
                                            max_steps=6, advanced={**FAST, **recipe},
                                            **options))


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=samples(), options=OPTIONS, recipe=RECIPE)
def test_entropy_never_fails_silently(data: tuple[np.ndarray, np.ndarray],
                                      options: dict, recipe: dict) -> None:
    _check(lambda: minee.entropy(data[0], seed=0, device="cpu", max_steps=6,
                                 advanced={**FAST, **recipe}, **options))


@pytest.mark.parametrize("bad", [{"lr": 10.0}, {"lr": math.inf}, {"init": 1e6},
                                 {"ref_factor": 1e-9}, {"margin": math.nan},
                                 {"seed": -1}, {"seed": 2**64}, {"max_steps": 1.5}])
def test_absurd_settings_are_refused(bad: dict) -> None:
    x = np.random.default_rng(0).standard_normal((100, 1))
    with pytest.raises((ValueError, TypeError)):
        own = {k: v for k, v in bad.items() if k in ("seed", "max_steps")}
        minee.mutual_information(x, x + np.random.default_rng(1).standard_normal((100, 1)),
                                 **{"seed": 0, "max_steps": 6, **own},
                                 advanced={**FAST, **{k: v for k, v in bad.items()
                                                      if k not in own}})
