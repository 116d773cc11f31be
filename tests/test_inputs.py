"""Every bad input gives a clear ValueError or TypeError naming the problem and the fix."""

from __future__ import annotations

import numpy as np
import pytest

import minee
from tests.conftest import QUICK, quick

rng = np.random.default_rng(0)
X = rng.standard_normal((100, 2))
Y = rng.standard_normal((100, 1))


def _with(a: np.ndarray, row: int, col: int, value: float) -> np.ndarray:
    b = a.copy()
    b[row, col] = value
    return b


@pytest.mark.parametrize(
    ("x", "y", "error", "match"),
    [
        (_with(X, 3, 1, np.nan), Y, ValueError, "NaN or inf.*row 3"),
        (_with(X, 7, 0, np.inf), Y, ValueError, "NaN or inf.*row 7"),
        (X, Y[:90], ValueError, "row counts differ.*x has 100.*y has 90"),
        (X[:5], Y[:5], ValueError, "5 rows; at least 10"),
        (X.reshape(100, 2, 1), Y, ValueError, "3 dimensions.*reshape"),
        (np.array(["a", "b"] * 50), Y, TypeError, "numeric"),
        (np.c_[X, np.ones(100)], Y, ValueError, "column 2 is constant"),
        ("not an array", Y, TypeError, "array of samples"),
        (X + 1j, Y, TypeError, "complex"),
        (np.empty((100, 0)), Y, ValueError, "no columns"),
    ],
)
def test_bad_data(x: object, y: object, error: type, match: str) -> None:
    for method in ("minee", "mine"):
        with pytest.raises(error, match=match):
            minee.mutual_information(x, y, method=method, seed=0, **QUICK)


def test_non_numeric_dataframe_column() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": X[:, 0], "b": ["u", "v"] * 50})
    with pytest.raises(TypeError, match="non-numeric column"):
        minee.entropy(df, seed=0, **QUICK)


def test_batch_larger_than_sample() -> None:
    with pytest.raises(ValueError, match="batch_size=500 exceeds the 80 training rows"):
        minee.mutual_information(X, Y, val_fraction=0.2, seed=0, **quick(batch_size=500))
    with pytest.raises(ValueError, match="batch_size=101 exceeds the 100 training rows"):
        minee.MINEE(preset="paper", **quick(batch_size=101)).fit(X, Y)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"lr": -1.0}, "lr must be a number in"),
        ({"lr": "fast"}, "lr must be a number in"),
        ({"max_steps": 0}, "max_steps must be a positive"),
        ({"eval_every": 2.5}, "eval_every must be a positive"),
        ({"ensemble": 0}, "ensemble must be a positive"),
        ({"val_fraction": 1.0}, "val_fraction must be a number in"),
        ({"smoothing": 0.0}, "smoothing must be a number in"),
        ({"averaging": 1.0}, "averaging must be a number in"),
        ({"preset": "fastest"}, "unknown preset"),
        ({"reference": "cauchy"}, "unknown reference"),
        ({"reference": "marginals"}, "MINE"),
        ({"form": "tree"}, "unknown form"),
        ({"activation": "sigmoidish"}, "unknown activation"),
        ({"init": "xavier"}, "init must be"),
        ({"margin": -0.1}, "margin must be a number in"),
        ({"dtype": "float16"}, "dtype must be"),
        ({"device": "tpu"}, "unknown device"),
        ({"val_fraction": 0.01}, "val_fraction=0.01 leaves"),
    ],
)
def test_bad_hyperparameters(params: dict, match: str) -> None:
    own = {k: v for k, v in params.items() if k in minee.MINEE().get_params()}
    recipe = {k: v for k, v in params.items() if k not in own}
    with pytest.raises(ValueError, match=match):
        minee.MINEE(seed=0, **{**quick(**recipe), **own}).fit(X, Y)


def test_bad_seed_type() -> None:
    with pytest.raises(TypeError, match="seed must be an int"):
        minee.MINEE(seed=1.5, **QUICK).fit(X, Y)


def test_cuda_requested_without_cuda() -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ValueError, match="CUDA is not available"):
        minee.MINEE(device="cuda", **QUICK).fit(X, Y)


def test_mps_requested_without_mps() -> None:
    torch = pytest.importorskip("torch")
    if torch.backends.mps.is_available():
        pytest.skip("MPS is available here")
    with pytest.raises(ValueError, match="no MPS"):
        minee.MINEE(device="mps", **QUICK).fit(X, Y)


def test_entropy_rejects_marginals_reference() -> None:
    with pytest.raises(ValueError, match="known density"):
        minee.entropy(X, reference="marginals", **QUICK)


def test_collinear_columns_with_gaussian_reference() -> None:
    with pytest.raises(ValueError, match=r"collinear\) columns \(0, 2\)"):
        minee.entropy(np.c_[X, X[:, 0] * 2.0], reference="gaussian", **QUICK)
