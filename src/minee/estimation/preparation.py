"""Preprocessing P samples before their model is built: each sample's transform chosen
(``preprocess="auto"``, ``"edges"``) and applied, with what the entropies need back.

* a transform of :data:`minee.data.preprocessing.TRANSFORMS` is applied as named;
* ``"auto"`` (MI): per sample ``"rank-t"`` or ``"standardize"``
  (:func:`minee.training.transform_choice.choose_transform`);
* ``"edges"`` (entropies): ``"none"`` first (each column centred and scaled, the scale
  added back to the entropies), then each column with an edge mapped onto the real line
  (:func:`minee.training.edges.edge_maps`, on that scale); the maps' log-Jacobians enter
  the reference's density (:class:`minee.training.edges.Mapped`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..data.discrete import dequantize, discrete_columns
from ..data.inputs import check_rank
from ..data.preprocessing import transform
from ..settings import Seeds, Settings
from ..training.edges import apply_maps, edge_maps
from ..training.transform_choice import choose_transform

__all__ = ["Prepared", "prepare"]


class Prepared(NamedTuple):
    """P preprocessed samples and what was done to them.

    Attributes:
        data: the samples, (P, n, D).
        log_scale: per sample ln of each column's affine scale, (P, D), or ``None`` when
            some sample's transform is not affine.
        transforms: each sample's transform (``"auto"`` resolved).
        maps: each sample's column maps (P, D, 3) for ``"edges"``, else ``None``.
        discrete: per sample the indices of the columns read as discrete (integer codes
            plus uniform noise, :mod:`minee.data.discrete`).
    """

    data: np.ndarray
    log_scale: np.ndarray | None
    transforms: tuple[str, ...]
    maps: np.ndarray | None
    discrete: tuple[tuple[int, ...], ...]


def _method(sample: np.ndarray, groups: list[np.ndarray], settings: Settings,
            entropy: bool) -> str:
    """The transform of one sample: ``settings.preprocess``, with ``"auto"`` chosen."""
    if settings.preprocess != "auto":
        return settings.preprocess
    if entropy:
        raise ValueError("preprocess='auto' may choose rank scores, which change an "
                         "entropy; use preprocess='edges', 'none' or 'standardize' for "
                         "entropies")
    return choose_transform(sample, groups, settings.seed)


def _one(sample: np.ndarray, widths: dict[str, int], groups: list[np.ndarray],
         settings: Settings, entropy: bool
         ) -> tuple[str, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """One sample (n, D) preprocessed: its transform, the result, its log scales (or
    ``None``) and its column maps (``"edges"``, else ``None``)."""
    # on the data as given: a rank transform can hide a linear relation (y = a + b in
    # ranks is no longer linear) and a fit of "auto" would meet it first
    check_rank(sample, widths)
    method = _method(sample, groups, settings, entropy)
    z, log_scale = transform(sample, "none" if method == "edges" else method)
    maps = None
    if method == "edges":
        maps = edge_maps(z, settings.seed)
        z = apply_maps(z, maps)
    check_rank(z, widths)
    return method, z, log_scale, maps


def prepare(data: np.ndarray, widths: dict[str, int], groups: list[np.ndarray],
            settings: Settings, *, entropy: bool) -> Prepared:
    """Preprocess P validated samples (P, n, D) whose variables' columns are ``groups``
    (boolean masks) as ``settings.preprocess`` says; ``entropy``: the estimate is an
    entropy (``"auto"`` is refused: rank scores change it).

    Discrete columns (``settings.discrete``; ``"auto"`` for an MI only) are dequantised
    first.

    Raises:
        ValueError: ``"auto"`` for an entropy, or a sample with collinear columns.
    """
    noise = Seeds.from_seed(settings.seed).dequantize
    # "auto" finds discrete columns for an MI, which dequantising leaves exact; for an
    # entropy it would silently swap a differential entropy for a Shannon one (and the
    # piecewise-constant density it reads is estimated ~5% high): named columns only
    choice = False if entropy and settings.discrete == "auto" else settings.discrete
    discrete = tuple(discrete_columns(sample, widths, choice) for sample in data)
    parts = [_one(dequantize(sample, cols, noise) if cols else sample, widths, groups,
                  settings, entropy) for sample, cols in zip(data, discrete, strict=True)]
    scales = [p[2] for p in parts]
    maps = [p[3] for p in parts if p[3] is not None]
    return Prepared(
        np.stack([p[1] for p in parts]),
        None if any(s is None for s in scales) else np.stack([s for s in scales if s is not None]),
        tuple(p[0] for p in parts), np.stack(maps) if maps else None, discrete)
