"""Turning user data into validated 2-D float tensors, with errors that say what to do."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

__all__ = ["as_matrix", "check_same_rows", "stack_variables", "stack_batch", "resolve_device",
           "resolve_dtype", "check_rank", "MIN_ROWS"]

MIN_ROWS = 10  # fewer rows cannot give a held-out split or a bounding box worth the name


def _to_numpy(data: Any, name: str) -> np.ndarray:
    if isinstance(data, torch.Tensor):
        tensor = data.detach().cpu()
        if tensor.is_floating_point() and tensor.dtype not in (torch.float32, torch.float64):
            tensor = tensor.double()  # bfloat16, float16, float8: NumPy has no (or no safe) type
        return tensor.numpy()
    if type(data).__module__.startswith("pandas"):
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        dtypes = data.dtypes if hasattr(data.dtypes, "__iter__") else [data.dtypes]
        for dt in dtypes:
            if not (is_numeric_dtype(dt) or is_bool_dtype(dt)):
                raise TypeError(
                    f"{name} has a non-numeric column (dtype {dt}); select numeric columns "
                    "or encode categories as numbers first"
                )
        return data.to_numpy(dtype=np.float64)
    if isinstance(data, (str, bytes, numbers.Number)):
        raise TypeError(f"{name} must be an array of samples, got {type(data).__name__}")
    if type(data).__module__.startswith("scipy.sparse"):  # np.asarray gives a 0-d object
        raise TypeError(f"{name} is a sparse matrix ({type(data).__name__}); pass a dense "
                        "array (.toarray()): the estimators read every value")
    try:
        arr = np.asarray(data)
    except Exception as exc:  # ragged lists and other unconvertible objects
        raise TypeError(f"{name} could not be converted to a numeric array: {exc}") from None
    return arr


def as_matrix(data: Any, name: str, *, min_rows: int = 2) -> np.ndarray:
    """Validate samples and return them as a float64 array of shape (n, d).

    Arguments:
        data: NumPy array, list, pandas DataFrame/Series or torch tensor; 1-D means one
            column (n samples of a scalar).
        name: the argument's name, used in error messages.
        min_rows: the fewest rows accepted.

    Returns:
        A C-contiguous float64 array of shape (n, d).

    Raises:
        TypeError: non-numeric data.
        ValueError: more than two dimensions, too few rows, NaN/inf or a constant column.
    """
    arr = _check_numeric(_to_numpy(data, name), name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 1-D (n,) or 2-D (n, d), got {arr.ndim} dimensions with shape "
            f"{arr.shape}; reshape to (n_samples, n_features)"
        )
    n, d = arr.shape
    if d == 0:
        raise ValueError(f"{name} has no columns")
    if n < min_rows:
        raise ValueError(f"{name} has {n} rows; at least {min_rows} samples are needed")
    # a DataFrame's column names, so that a message names the column as the user does
    labels = list(data.columns) if hasattr(data, "columns") else None
    return _check_values(np.ascontiguousarray(arr, dtype=np.float64), name, labels)


def _check_numeric(arr: np.ndarray, name: str) -> np.ndarray:
    """``arr``, once its dtype is real numbers or booleans (``TypeError`` otherwise)."""
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
    ):
        raise TypeError(
            f"{name} must be numeric, got dtype {arr.dtype}; convert or drop non-numeric columns"
        )
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} is complex; pass real and imaginary parts as separate columns")
    return arr


def _check_values(arr: np.ndarray, name: str, labels: list[Any] | None = None
                  ) -> np.ndarray:
    """``arr`` (n, d), once every value is finite and no column constant (``ValueError``
    naming the first bad row or column otherwise: by its label in ``labels`` if given)."""
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        raise ValueError(
            f"{name} contains NaN or inf in {rows.size} row(s) (first: row {rows[0]}); "
            "drop or impute those rows before estimating"
        )
    constant = np.flatnonzero(np.ptp(arr, axis=0) == 0)
    if constant.size:
        k = int(constant[0])
        which = f"{labels[k]!r} (index {k})" if labels is not None else str(k)
        raise ValueError(
            f"{name} column {which} is constant: its entropy is -inf and the uniform "
            "reference box has zero width (support condition (6) fails); drop the column"
        )
    return arr


def check_same_rows(**arrays: np.ndarray) -> int:
    """Return the common number of rows, or raise ``ValueError`` naming the mismatch."""
    sizes = {name: a.shape[0] for name, a in arrays.items()}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{k} has {v}" for k, v in sizes.items())
        raise ValueError(f"row counts differ ({listed}); each row must be one joint sample")
    return next(iter(sizes.values()))


def stack_variables(**arrays: Any) -> tuple[np.ndarray, dict[str, int]]:
    """Validate the variables and join them column-wise: (n, D) and each one's width."""
    mats = {name: as_matrix(a, name, min_rows=MIN_ROWS) for name, a in arrays.items()}
    check_same_rows(**mats)
    return np.hstack(list(mats.values())), {k: m.shape[1] for k, m in mats.items()}


def stack_batch(**arrays: Any) -> tuple[np.ndarray, dict[str, int]]:
    """Like :func:`stack_variables` for P problems: each array (P, n, d) -> (P, n, D)."""
    batches = {name: np.asarray(_to_numpy(a, name), dtype=np.float64)
               for name, a in arrays.items()}
    for name, a in batches.items():
        if a.ndim != 3:
            raise ValueError(f"{name} must have shape (P, n, d) for a batch, got {a.shape}")
    sizes = {a.shape[0] for a in batches.values()}
    if len(sizes) > 1:
        raise ValueError(f"batches hold different numbers of problems: {sorted(sizes)}")
    per_problem = [stack_variables(**{k: a[p] for k, a in batches.items()})
                   for p in range(next(iter(sizes)))]
    return np.stack([d for d, _ in per_problem]), per_problem[0][1]


_DEVICE_TYPES = ("cpu", "cuda", "mps")


def resolve_device(device: str | torch.device) -> torch.device:
    """Map ``"auto"`` to CUDA when available, else CPU; validate anything else."""
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(f"device must be 'cpu', 'cuda' or 'auto', got {device!r}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device='cuda' was requested but CUDA is not available; use 'cpu'")
    if device.startswith("mps") and not torch.backends.mps.is_available():
        raise ValueError("device='mps' was requested but this PyTorch build or machine has "
                         "no MPS (Apple GPU) support; use 'cpu'")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        resolved = None
    if resolved is None or resolved.type not in _DEVICE_TYPES:
        raise ValueError(f"unknown device {device!r}; use 'cpu', 'cuda' or 'auto'")
    return resolved


def resolve_dtype(dtype: str | torch.dtype) -> torch.dtype:
    """Accept ``"float32"``/``"float64"`` or the torch dtypes."""
    table = {"float32": torch.float32, "float64": torch.float64}
    if isinstance(dtype, torch.dtype) and dtype in table.values():
        return dtype
    if isinstance(dtype, str) and dtype in table:
        return table[dtype]
    raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")


def check_rank(data: np.ndarray, widths: dict[str, int]) -> None:
    """Raise ``ValueError`` naming the true cause when the columns are linearly dependent.

    Arguments:
        data: one sample, (n, D), the variables' columns side by side in ``widths``' order.
        widths: each variable's number of columns.

    The causes, in the order checked: fewer rows than columns; collinear columns within
    one variable (named); a linear relation between variables, which makes the mutual
    information infinite (a deterministic relation, not an estimate's failure).
    """
    n, dim = data.shape
    if n <= dim:
        raise ValueError(f"{n} rows for {dim} columns: fewer rows than columns leave the "
                         "covariance singular; provide more rows than columns")
    corr = np.corrcoef(data, rowvar=False).reshape(dim, dim)
    start = 0
    for name, width in widths.items():
        block = slice(start, start + width)
        bad = _dependent(corr[block, block])
        if bad:
            cols = ", ".join(str(j) for j in bad)
            raise ValueError(f"{name} has linearly dependent (collinear) columns ({cols}); "
                             "drop duplicated or derived columns")
        start += width
    if len(widths) > 1 and _dependent(corr):
        raise ValueError(
            f"the variables {', '.join(widths)} are linearly related exactly (one is a "
            "linear function of the others): the information between them is infinite or "
            "undefined, not estimable from samples; check for a duplicated or derived column")


def _dependent(corr: np.ndarray, tol: float = 1e-9) -> list[int]:
    """The columns of a correlation matrix loading on its (near) null space, or []."""
    values, vectors = np.linalg.eigh(corr)
    if values[0] > tol:
        return []
    return [int(j) for j in np.flatnonzero(np.abs(vectors[:, 0]) > 0.1)]
