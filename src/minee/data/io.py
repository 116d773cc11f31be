"""Reading data files into tables and picking columns by name, index or range.

Used by the ``minee`` command line and reusable by any caller that starts from a file::

    df = read_table("data.csv")                 # CSV, TSV, Parquet, .npy or .npz
    cols = select_columns(df, "a1,a2", option="--x")   # -> ["a1", "a2"]
    x = numeric_matrix(df, cols)                # float64, shape (n, 2)

Column specifications (``COLS``) are comma-separated items, each one of

* a column name (names win over every other reading, so a column named ``"3"`` is found
  by ``3``);
* a 0-based integer index, negative from the end (``-1`` is the last column);
* a half-open index range ``START:STOP`` (either end optional: ``:3`` is the first three);
* an inclusive name range ``FIRST:LAST`` (``a1:a4``, in file order);
* for ``.npz`` files, the name of a 2-D array, which selects all its columns.

Every failure raises ``FileNotFoundError`` or ``ValueError`` with a one-line message that
names the file or column and says what to do.
"""

from __future__ import annotations

import gzip
import itertools
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SUFFIXES", "read_table", "select_columns", "numeric_matrix", "one_line"]

#: File suffixes understood by :func:`read_table` and the reader each maps to.
SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "text", ".parquet": "parquet",
            ".pq": "parquet", ".npy": "npy", ".npz": "npz"}

_RANGE = re.compile(r"^\s*(-?\d*)\s*:\s*(-?\d*)\s*$")


def read_table(path: str | os.PathLike[str]) -> Any:
    """Read a data file into a pandas DataFrame (one row per sample).

    Arguments:
        path: a ``.csv`` (``;``-separated with decimal commas where every line holds a
            ``;``), ``.tsv``/``.tab``, ``.txt`` (delimiter sniffed), ``.parquet``/
            ``.pq``, ``.npy`` (a 1-D or 2-D array; columns are named ``"0"``, ``"1"``, ...)
            or ``.npz`` file (1-D arrays become a column of the array's name, a 2-D array
            ``x`` of width d the columns ``x[0]`` ... ``x[d-1]``; all must have the same
            number of rows). Compressed CSV/TSV (``.csv.gz`` ...) also works.

    Returns:
        A ``pandas.DataFrame`` with string column names, in file order.

    Raises:
        FileNotFoundError: no such file.
        ValueError: an unknown suffix, or a file that cannot be parsed as its suffix says.
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not a data file")
    kind = _kind(path)
    try:
        if kind in ("csv", "tsv", "text"):
            df = _read_text(path, kind)
        elif kind == "parquet":
            df = pd.read_parquet(path)
        else:
            df = _read_numpy(path, kind)
    # Parsers raise their own exception types (pandas, pyarrow, zipfile, OSError), which
    # vary by version; each means "this file is not what its suffix says".
    except Exception as exc:
        raise ValueError(f"cannot read {path} as {kind.upper()}: {one_line(exc)}") from None
    df.columns = [str(c).strip() for c in df.columns]  # "a, b": columns a and b
    if kind in ("csv", "tsv", "text") and not df.index.equals(pd.RangeIndex(len(df))):
        # pandas makes the surplus leading fields of every row an index, silently
        raise ValueError(f"{path}: the rows have more fields than the header names; every "
                         "row needs one field per header name (check the delimiter and "
                         "for a missing header name)")
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise ValueError(f"{path} holds no data ({df.shape[0]} rows, {df.shape[1]} columns)")
    return df


def _read_text(path: Path, kind: str) -> Any:
    """A delimited text file: ``,`` (CSV), tab (TSV) or sniffed (TXT); a CSV whose lines
    all hold ``;`` is read as the European form, ``;``-separated with decimal commas."""
    import pandas as pd

    sep = {"csv": ",", "tsv": "\t", "text": None}[kind]
    decimal = "."
    if kind == "csv":
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", errors="replace") as fh:
            head = [line for line in itertools.islice(fh, 20) if line.strip()]
        if head and all(";" in line for line in head):
            sep, decimal = ";", ","
    return pd.read_csv(path, sep=sep, decimal=decimal, engine="python" if sep is None else "c")


def select_columns(df: Any, spec: str | Sequence[str | int], *, option: str = "columns"
                   ) -> list[str]:
    """Resolve a column specification against a table's columns.

    Arguments:
        df: a DataFrame (or anything with ``.columns``).
        spec: ``"a,b,3,5:7"`` or a list of such items (see the module docstring).
        option: how the user gave ``spec`` (``"--x"``), named in error messages.

    Returns:
        Column names in the order given, without repeats.

    Raises:
        ValueError: an unknown column, an index out of range or an empty selection.
    """
    names = [str(c) for c in df.columns]
    items = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else \
        [str(s).strip() for s in spec]
    items = [s for s in items if s]
    if not items:
        raise ValueError(f"{option} selects no columns; give names, indices or ranges")
    chosen: list[str] = []
    for item in items:
        for name in _resolve(item, names, option):
            if name not in chosen:
                chosen.append(name)
    if not chosen:
        raise ValueError(f"{option} {_quote(spec)} selects no columns (an empty range?)")
    return chosen


def numeric_matrix(df: Any, columns: Sequence[str], *, option: str = "columns") -> np.ndarray:
    """The given columns as a float64 array of shape (n, len(columns)).

    Raises:
        ValueError: a non-numeric column (text, dates) or missing values, named.
    """
    import pandas as pd

    for name in columns:
        col = df[name]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            first = col.dropna().iloc[0] if col.notna().any() else None
            raise ValueError(
                f"{option}: column {name!r} is not numeric (dtype {col.dtype}, e.g. "
                f"{first!r}); encode it as numbers or leave it out")
    arr = df[list(columns)].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise ValueError(
            f"{option}: column {columns[cols[0]]!r} has {int(bad[:, cols[0]].sum())} row(s) "
            f"with a missing, NaN or infinite value (first: row {rows[0]}); drop or impute them")
    return arr


def _kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if len(suffixes) > 1 and suffixes[-1] in (".gz", ".bz2", ".xz", ".zst", ".zip"):
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix not in SUFFIXES:
        raise ValueError(
            f"cannot read {path}: unknown file type {suffix or '(no suffix)'!r}; use one of "
            f"{', '.join(SUFFIXES)}")
    return SUFFIXES[suffix]


def _read_numpy(path: Path, kind: str) -> Any:
    import pandas as pd

    # allow_pickle=False: a data file must never run code when it is read
    if kind == "npy":
        return _frame({"": np.load(path, allow_pickle=False)}, path, single=True)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    if not arrays:
        return pd.DataFrame()
    return _frame(arrays, path, single=False)


def _frame(arrays: dict[str, np.ndarray], path: Path, *, single: bool) -> Any:
    import pandas as pd

    columns: dict[str, np.ndarray] = {}
    rows = {key: a.shape[0] if a.ndim else 0 for key, a in arrays.items()}
    if len(set(rows.values())) > 1:
        listed = ", ".join(f"{k} has {v}" for k, v in rows.items())
        raise ValueError(f"arrays have different numbers of rows ({listed})")
    for key, a in arrays.items():
        if a.ndim == 1:
            columns[key or "0"] = a
        elif a.ndim == 2:
            for j in range(a.shape[1]):
                columns[str(j) if single else f"{key}[{j}]"] = a[:, j]
        else:
            raise ValueError(f"array {key or path.name!r} has shape {a.shape}; "
                             "need 1-D (n,) or 2-D (n, d)")
    return pd.DataFrame(columns)


def _resolve(item: str, names: list[str], option: str) -> list[str]:
    if item in names:
        return [item]
    group = [n for n in names if n.startswith(f"{item}[") and n.endswith("]")]
    if group:  # an .npz array name
        return group
    if re.fullmatch(r"-?\d+", item):
        i = int(item)
        if not -len(names) <= i < len(names):
            raise ValueError(f"{option}: column index {i} is out of range for "
                             f"{len(names)} columns (0 to {len(names) - 1})")
        return [names[i]]
    match = _RANGE.match(item)
    if match:
        start, stop = (int(v) if v else None for v in match.groups())
        return names[slice(start, stop)]
    if ":" in item:
        first, _, last = (part.strip() for part in item.partition(":"))
        if first in names and last in names:
            i, j = names.index(first), names.index(last)
            return names[i:j + 1] if i <= j else names[j:i + 1][::-1]
    shown = ", ".join(names[:12]) + (f", ... ({len(names)} in all)" if len(names) > 12 else "")
    raise ValueError(f"{option}: unknown column {item!r}; the file has columns: {shown}")


def _quote(spec: Any) -> str:
    return repr(spec if isinstance(spec, str) else ",".join(map(str, spec)))


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name if it has none)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
