r"""The critics' tail map: each input column read in a fitted t's units, its tails
compressed to a log scale (:func:`compress_tails`), and the vectorised ``asinh`` it uses.

:class:`minee.training.critics.Critic` applies the map before standardising its inputs
(``compress_tails``); :mod:`minee.estimation.model` applies it to the rows that set the
standardisation and the box.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["asinh", "compress_tails"]


def compress_tails(z: Tensor, centre: Tensor, unit: Tensor, root: Tensor) -> Tensor:
    r"""Each column read in a fitted t's units, its tails compressed to a log scale.

    $z \mapsto s \operatorname{asinh}\big((z - c) / (u s)\big)$ with $s = \sqrt{\nu}$:
    close to linear within ~$s$ units $u$ of the centre $c$, logarithmic beyond. A t with
    $\nu$ degrees of freedom has rows out to $\sim n^{1/\nu}$ units (Cauchy-like scores
    of 5,000 rows reach 1,600): standardised by their standard deviation, which those rows
    set, the bulk reaches a critic squeezed near 0. For large $\nu$ the map is affine
    (Gaussian-like columns are read as before). Each column takes its reference's $\nu$:
    one for all under a joint t (light-tailed columns beside heavy ones are compressed
    alike), its variable's under a product of per-variable t's. Strictly increasing per
    column: a reparametrisation of the critic, every bound unchanged.

    Arguments:
        z: inputs (..., D).
        centre, unit: ``c`` and ``u``, broadcastable to ``z``.
        root: ``s``, the square root of the degrees of freedom, broadcastable to ``z``.
    """
    return root * asinh((z - centre) / (unit * root))


_LARGE = 2.0**60  # asinh(a) = ln(2a) to float64's precision beyond this


def asinh(t: Tensor) -> Tensor:
    r"""``torch.asinh`` in vectorised element-wise operations: a quarter of its CPU cost
    (its kernel is scalar), to rounding.

    $\operatorname{asinh}(a) = \ln(1 + a + a \cdot a / (1 + \sqrt{1 + a^2}))$ for
    $a = |t|$ (computed as $a \cdot (a / (1 + \operatorname{hypot}(a, 1)))$, so no
    square overflows), odd in $t$: no cancellation near 0; $\ln 2a$ beyond 2^60, where
    $2a$ could overflow float32.
    """
    a = t.abs()
    near = a.hypot(a.new_ones(())).add_(1).reciprocal_().mul_(a).mul_(a).add_(a).log1p_()
    far = a.log().add_(math.log(2.0))
    return torch.where(a > _LARGE, far, near).copysign_(t)
