r"""The MI matrix of a table and the relevance of features to a target, in nats.

Both are many entropic estimates at once, computed by :mod:`minee.many.parallel` (batched chunks,
in-process or on Dask) and returned as pandas objects with their standard errors and
diagnostics in ``.attrs``.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Sequence
from typing import Any, cast

import numpy as np

from .. import diagnostics
from ..checks import check_seed, draw_seed
from ..data.inputs import MIN_ROWS, as_matrix
from .parallel import Entropies, PairResult, compute

__all__ = ["mi_matrix", "relevance"]


def _table(data: Any, columns: Sequence[Hashable] | None, name: str = "data"
           ) -> tuple[list[Hashable], np.ndarray]:
    """Column labels and the validated (n, C) float array of the selected columns."""
    if hasattr(data, "columns") and hasattr(data, "to_numpy"):
        labels = list(data.columns)
        if columns is not None:
            missing = [c for c in columns if c not in labels]
            if missing:
                raise ValueError(f"column(s) {missing} not in {name}; it has {labels}")
            data, labels = data[list(columns)], list(columns)
    else:
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be a 2-D table (n_rows, n_columns), got shape "
                             f"{arr.shape}")
        labels = list(range(arr.shape[1]))
        if columns is not None:
            bad = [c for c in columns if not isinstance(c, (int, np.integer))
                   or not 0 <= c < arr.shape[1]]
            if bad:
                raise ValueError(f"column(s) {bad} are not column indices of the "
                               f"{arr.shape[1]}-column array {name}")
            indices = cast(list[int], list(columns))  # integer indices, checked above
            data, labels = arr[:, indices], list(columns)
    if len(set(labels)) != len(labels):
        raise ValueError(f"{name} has repeated column labels; make them unique")
    arr = as_matrix(data, name, min_rows=MIN_ROWS)
    _check_pairs(arr, labels)
    return labels, arr


def _check_pairs(arr: np.ndarray, labels: Sequence[Hashable]) -> None:
    """Name the first pair of columns that are linear functions of each other (their MI is
    infinite) before any work, instead of failing inside that pair's chunk."""
    corr = np.corrcoef(arr, rowvar=False).reshape(arr.shape[1], arr.shape[1])
    i, j = np.nonzero(np.triu(np.abs(corr) > 1 - 1e-9, k=1))
    if i.size:
        raise ValueError(
            f"columns {labels[i[0]]!r} and {labels[j[0]]!r} are linearly related exactly "
            "(a duplicated or rescaled column): their mutual information is infinite; drop "
            "one of them")


_ARGS_DOC = """
        seed: integer seed; the same seed (and ``chunk_size``) gives the same numbers
            in-process and on any Dask cluster. ``None`` draws one; either way the seed
            used is ``.attrs["seed"]`` of the result.
        client: a ``dask.distributed.Client``: each chunk becomes one Dask task (minee must
            be installed on the workers).
        scheduler: address of a Dask scheduler (``"tcp://host:8786"``) to connect to for
            this call, instead of ``client``.
        timeout: seconds to wait for that scheduler to answer (then ``ValueError``).
        chunk_size: problems (columns or pairs) per batched model and per task; ``None``:
            16 on CPU, 256 on a GPU (where wide models pay). Each chunk trains until its
            slowest problem stops improving, so the numbers depend on it (slightly), as
            on the seed.
        progress: show a progress bar of chunks done on stderr.
        retries: times Dask reruns a task that raised (tasks lost with a dead worker
            are rerun regardless).
        store: a folder where each finished chunk is written as it finishes; a call on
            the same data with the same columns, options, seed and ``chunk_size`` reads
            the chunks found there instead of training them again (an interrupted job
            continues; the numbers are those of an uninterrupted one). A folder holding
            another job's chunks is refused.
        options: hyperparameters of :class:`~minee.MINEE` (``max_steps``, ``ensemble``,
            ``reference``, ``device``, ``advanced``, ...) over the table recipe
            (``minee.presets.recipe(preset, "table")``: the MI default's with 16-unit
            critics and 128 data and reference rows a step), which every entropy of the table is
            trained with. The preprocessing (``"auto"`` unless ``advanced`` names one) is
            chosen once for the table and, under ``"auto"``, again for each pair clearly
            above 0 as ``mutual_information`` chooses it; a pair that chooses the other
            scale is estimated again on it (:mod:`minee.many.rescaling`)."""


def mi_matrix(data: Any, columns: Sequence[Hashable] | None = None, *,
              seed: int | None = None, client: Any = None, scheduler: str | None = None,
              timeout: float = 10.0, chunk_size: int | None = None, progress: bool = False,
              retries: int = 2, store: str | os.PathLike[str] | None = None,
              **options: Any) -> Any:
    """Mutual information between every pair of columns of a table, in nats.

    Each column's entropy once, each pair's joint entropy in batched chunks of pairs, then
    $I(X_i;X_j) = H(X_i) + H(X_j) - H(X_i,X_j)$, all read on the same evaluation rows.

    Arguments:
        data: a pandas DataFrame or a 2-D array (n_rows, n_columns) of numeric samples;
            each row is one joint sample.
        columns: labels (DataFrame) or indices (array) of the columns to use; default all.
        {args}

    Returns:
        A symmetric pandas DataFrame (C, C) of MI in nats indexed by the column labels,
        NaN on the diagonal ($I(X;X)$ is infinite). ``.attrs``: ``"entropy"`` (label ->
        the column's entropy in nats as the table read it: after rank-t scores, the
        scores'), ``"preprocess"`` (that scale: ``"rank-t"`` or ``"standardize"``),
        ``"stderr"`` (label -> label -> standard error of the MI over evaluation rows and
        members, nats, no critic bias; ``pandas.DataFrame`` of it is its matrix), ``"seed"``
        and ``"diagnostics"`` ("a ~ b" or label -> flags, only those with flags; a pair's,
        and their numbers, are its two-column entropy's; a warning says when there are
        any).

    Example:
        >>> import numpy as np, pandas as pd, minee
        >>> rng = np.random.default_rng(0); a = rng.normal(size=500)
        >>> df = pd.DataFrame({"a": a, "b": a + rng.normal(size=500), "c": rng.normal(size=500)})
        >>> m = minee.mi_matrix(df, seed=0)  # one machine, batched
        >>> m.shape, list(m.columns)
        ((3, 3), ['a', 'b', 'c'])
    """
    import pandas as pd

    labels, arr = _table(data, columns)
    pairs = _all_pairs(labels)
    seed = draw_seed() if seed is None else check_seed(seed)  # recorded in .attrs
    _, cols, result, scale = compute(
        arr, range(len(labels)), pairs, seed=seed, client=client, scheduler=scheduler,
        timeout=timeout, chunk_size=chunk_size, progress=progress, retries=retries,
        options=options, store=store)
    values, stderr = (_symmetric(v, pairs, len(labels)) for v in (result.values, result.stderr))
    matrix = pd.DataFrame(values, index=labels, columns=labels)
    names = [*map(str, labels), *(f"{labels[a]} ~ {labels[b]}" for a, b in pairs)]
    matrix.attrs = {**_entropy_and_stderr(labels, cols, stderr), "preprocess": scale,
                    "seed": seed, "diagnostics": diagnostics.collect(names, _flags(cols, result))}
    return matrix


def relevance(data: Any, target: Any, features: Sequence[Hashable] | None = None, *,
              seed: int | None = None, client: Any = None, scheduler: str | None = None,
              timeout: float = 10.0, chunk_size: int | None = None, progress: bool = False,
              retries: int = 2, store: str | os.PathLike[str] | None = None,
              **options: Any) -> Any:
    """Mutual information between each feature and a target, in nats, most relevant first.

    Arguments:
        data: a pandas DataFrame or a 2-D array (n_rows, n_columns).
        target: the target: a column label (DataFrame) or index (array) of ``data``, or
            its own samples of shape (n_rows,) (then every column of ``data`` is a feature).
        features: labels or indices of the feature columns; default every other column.
        {args}

    Returns:
        A pandas Series of I(feature; target) in nats indexed by feature, sorted
        descending, named ``"mutual_information"``. ``.attrs``: ``"entropy"`` and
        ``"preprocess"`` (as in :func:`mi_matrix`; the target included), ``"stderr"``
        (feature -> standard error, nats) and ``"diagnostics"`` (as in
        :func:`mi_matrix`).
    """
    import pandas as pd

    labels, arr = _table(data, None)
    labels, arr, name = _with_target(labels, arr, target)
    seed = draw_seed() if seed is None else check_seed(seed)  # recorded in .attrs
    t = labels.index(name)
    feats = _feature_indices(labels, features, t, name)
    needed = [*feats, t]
    index, cols, result, scale = compute(arr, needed, [(f, t) for f in feats], seed=seed,
                                    client=client, scheduler=scheduler, timeout=timeout,
                                    chunk_size=chunk_size, progress=progress,
                                    retries=retries, options=options, store=store)
    names = [labels[f] for f in feats]
    values, stderr = result.values, result.stderr
    order = np.argsort(-values, kind="stable")
    out = pd.Series(values[order], index=[names[k] for k in order], name="mutual_information")
    out.attrs = {
        "seed": seed,
        "entropy": {labels[c]: float(cols.values[index[c]]) for c in needed},
        "preprocess": scale,
        "stderr": {names[k]: float(stderr[k]) for k in order},
        "diagnostics": diagnostics.collect([*(str(labels[c]) for c in needed),
                                            *map(str, names)], _flags(cols, result)),
    }
    return out


# the parts both share; diagnostics.collect is called by them, not here: its warning names
# the frame a fixed number of calls above it
def _flags(cols: Entropies, result: PairResult) -> list[dict[str, str]]:
    """Every estimate's flags: the columns' entropies first, then the pairs in order."""
    return [*cols.diagnostics, *result.diagnostics]


# mi_matrix's parts
def _all_pairs(labels: Sequence[Hashable]) -> list[tuple[int, int]]:
    """Every pair (i, j), i < j, of the C columns, row by row; at least two columns."""
    c = len(labels)
    if c < 2:
        raise ValueError(f"an MI matrix needs at least two columns, got {c}")
    return [(i, j) for i in range(c) for j in range(i + 1, c)]


def _symmetric(pair_values: np.ndarray, pairs: Sequence[tuple[int, int]], c: int
               ) -> np.ndarray:
    """(C, C) holding each pair's value at (i, j) and (j, i), NaN on the diagonal."""
    out = np.full((c, c), np.nan)
    i, j = np.array(pairs).T
    out[i, j] = out[j, i] = pair_values
    return out


def _entropy_and_stderr(labels: Sequence[Hashable], cols: Entropies, stderr: np.ndarray
                        ) -> dict[str, Any]:
    """``.attrs``' ``"entropy"`` (label -> H in nats) and ``"stderr"`` (label -> label ->
    the MI's standard error in nats, from the (C, C) ``stderr``), as plain Python."""
    return {"entropy": dict(zip(labels, map(float, cols.values), strict=True)),
            "stderr": {a: {b: float(stderr[q, p]) for q, b in enumerate(labels)}
                       for p, a in enumerate(labels)}}


# relevance's parts
def _with_target(labels: list[Hashable], arr: np.ndarray, target: Any
                 ) -> tuple[list[Hashable], np.ndarray, Hashable]:
    """The labels and the (n, C) table with the target among the columns, and its label:
    ``target`` names a column, or holds its own samples (n,), appended as a column
    ``"target"`` (``"__target__"`` if data has a column ``"target"``)."""
    if np.ndim(target) == 0:
        if target not in labels:
            raise ValueError(f"target {target!r} is not a column of data; it has {labels}")
        return labels, arr, target
    y = as_matrix(target, "target", min_rows=MIN_ROWS)
    if y.shape != (arr.shape[0], 1):
        raise ValueError(f"target must hold one value per row of data ({arr.shape[0]},),"
                         f" got shape {np.shape(target)}")
    name = "target" if "target" not in labels else "__target__"
    return [*labels, name], np.hstack([arr, y]), name


def _feature_indices(labels: list[Hashable], features: Sequence[Hashable] | None, t: int,
                     name: Hashable) -> list[int]:
    """The feature columns' indices: ``features``' labels, or every column but the target
    (column ``t``, label ``name``); at least one."""
    if features is None:
        feats = [k for k in range(len(labels)) if k != t]
    else:
        missing = [f for f in features if f not in labels]
        if missing:
            raise ValueError(f"feature(s) {missing} not in data; it has {labels}")
        feats = [labels.index(f) for f in features]
        if t in feats:
            raise ValueError(f"the target {name!r} is also listed as a feature")
    if not feats:
        raise ValueError("no feature columns: data holds only the target")
    return feats


mi_matrix.__doc__ = (mi_matrix.__doc__ or "").replace("{args}", _ARGS_DOC.strip())
relevance.__doc__ = (relevance.__doc__ or "").replace("{args}", _ARGS_DOC.strip())
