"""Feature selection: mutual information of each feature with a target, for scikit-learn.

:func:`mutual_info_scores` has the signature scikit-learn's ``SelectKBest`` and
``SelectPercentile`` expect of a ``score_func``; every feature's MI with the target is
estimated on the batched path of :func:`minee.relevance` (each feature's and the target's
entropy learned once, the joint entropies in batched chunks).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import diagnostics
from ..data.inputs import MIN_ROWS, as_matrix, check_same_rows
from .parallel import compute

__all__ = ["mutual_info_scores"]


def mutual_info_scores(X: Any, y: Any, *, seed: int = 0, **options: Any) -> np.ndarray:
    """I(X_j; y) for every column j of ``X``, in nats: a scikit-learn ``score_func``.

    Arguments:
        X: features, shape (n, p) (NumPy, pandas, torch, lists).
        y: target, shape (n,) or (n, 1); continuous (a differential entropy must exist).
        seed: integer seed; fixed by default so that a pipeline selects the same features
            every time it is fitted.
        options: hyperparameters of :class:`~minee.MINEE` (``max_steps``, ``ensemble``, ...)
            over the table recipe, and of :func:`minee.relevance` (``chunk_size``,
            ``client``), as for :func:`minee.mi_matrix`.

    Returns:
        Scores, shape (p,), in nats, in column order. Flags of any estimate are raised as
        one :class:`~minee.MineeWarning`.

    Example:
        >>> import functools, numpy as np, minee
        >>> from sklearn.feature_selection import SelectKBest
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(400, 3)); y = X[:, 1] + 0.3 * rng.normal(size=400)
        >>> score = functools.partial(minee.mutual_info_scores, max_steps=100)
        >>> SelectKBest(score, k=1).fit(X, y).get_support().tolist()
        [False, True, False]
    """
    features = as_matrix(X, "X", min_rows=MIN_ROWS)
    target = as_matrix(y, "y", min_rows=MIN_ROWS)
    check_same_rows(X=features, y=target)
    if target.shape[1] != 1:
        raise ValueError(f"y must be one column, shape (n,) or (n, 1), got {target.shape}")
    p = features.shape[1]
    extra = {k: options.pop(k) for k in ("client", "scheduler", "chunk_size", "retries")
             if k in options}
    _, _, result, _ = compute(np.hstack([features, target]), range(p + 1),
                            [(j, p) for j in range(p)], seed=seed,
                            client=extra.get("client"), scheduler=extra.get("scheduler"),
                            chunk_size=extra.get("chunk_size"), progress=False,
                            retries=extra.get("retries", 2), options=options)
    diagnostics.collect([str(j) for j in range(p)],
                        result.diagnostics)
    return result.values
