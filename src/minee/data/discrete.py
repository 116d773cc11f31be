r"""Discrete columns read as continuous ones without changing the mutual information.

For integer-valued X and independent U uniform on [0, 1), X + U has a density (constant on
each unit cell [k, k + 1)), and X is recovered from it as its integer part, so
$I(X + U; Y) = I(X; Y)$ for any Y, discrete or continuous, and the MI of discrete and
mixed columns becomes a problem for the differential estimators. A column's values are
first replaced by integer codes (0, 1, ... in sorted order: a one-to-one map, which no MI
sees). An entropy of discrete columns read this way is their Shannon entropy (a density
constant on unit cells has the differential entropy of the cells' probabilities); of
discrete and continuous columns together, the mixed entropy H(X_d) + h(X_c | X_d).

``discrete="auto"`` takes a column as discrete when it holds at most half as many
distinct values as rows: every value repeated, on average.
"""

from __future__ import annotations

import numpy as np

__all__ = ["discrete_columns", "dequantize", "AUTO_SHARE"]

#: ``"auto"``: a column with at most this share of distinct values among its rows
AUTO_SHARE = 0.5


def discrete_columns(sample: np.ndarray, widths: dict[str, int],
                     choice: bool | str | tuple[str, ...]) -> tuple[int, ...]:
    """The indices of the columns of ``sample`` (n, D) to read as discrete.

    Arguments:
        sample: one sample, the variables' columns side by side in ``widths``' order.
        widths: each variable's number of columns.
        choice: ``"auto"`` (by :data:`AUTO_SHARE`), ``True`` (all), ``False`` (none) or
            the names of the variables whose columns are all discrete.

    Raises:
        ValueError: a name that is not one of the variables.
    """
    if isinstance(choice, bool):
        return tuple(range(sample.shape[1])) if choice else ()
    if choice == "auto":
        limit = AUTO_SHARE * sample.shape[0]
        return tuple(j for j in range(sample.shape[1])
                     if np.unique(sample[:, j]).size <= limit)
    unknown = sorted(set(choice) - set(widths))
    if unknown:
        raise ValueError(f"discrete names {unknown[0]!r}, which is not a variable; the "
                         f"variables are {', '.join(widths)}")
    owner = [name for name, width in widths.items() for _ in range(width)]  # per column
    return tuple(j for j, name in enumerate(owner) if name in choice)


def dequantize(sample: np.ndarray, columns: tuple[int, ...],
               rng: np.random.Generator) -> np.ndarray:
    """``sample`` (n, D) with each of ``columns`` replaced by its values' integer codes
    (0, 1, ... in sorted order) plus independent uniform noise on [0, 1) drawn with
    ``rng``; other columns unchanged (a copy)."""
    out = np.array(sample, dtype=float, copy=True)
    for j in columns:
        codes = np.unique(out[:, j], return_inverse=True)[1].reshape(-1)
        out[:, j] = codes + rng.uniform(size=out.shape[0])
    return out
