r"""The variable sets of an estimate (its critic *heads*) and how their terms combine.

Each estimate is a signed sum of entropies of variable sets: $I(X;Y) = H(X) + H(Y) - H(X,Y)$,
$I(X;Y|Z) = H(X,Z) + H(Y,Z) - H(X,Y,Z) - H(Z)$, $H(X)$. One critic head learns the
divergence $D_S$ of each set S from its reference, whose cross-entropy $c_S$ is known, and
$H(Z_S) = c_S - D_S$ (eq. 14). :meth:`Heads.combine` is the one place where divergences and
cross-entropies become the target quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Heads", "blocks"]


@dataclass(frozen=True)
class Heads:
    """The variable sets of an estimate.

    Attributes:
        names: one name per head (``"xy"``, ``"x"``, ...), (H,).
        masks: boolean column masks, (H, D).
        signs: each head's sign in the target quantity, (H,).
        groups: the variables' column blocks, (G, D) (what the product-of-marginals
            reference resamples independently).
        widths: each variable's number of columns, in column order.
    """

    names: tuple[str, ...]
    masks: np.ndarray
    signs: np.ndarray
    groups: np.ndarray
    widths: dict[str, int]

    def combine(self, divergences: Any, cross_entropy: Any = None) -> Any:
        r"""The target quantity $\sum_h s_h (c_h - D_h)$ from per-head terms (..., H).

        Without cross-entropies (a reference with no known density) the target is
        $-\sum_h s_h D_h$: MINE's single head (sign -1) gives $I = D(p_{XY} \| p_X p_Y)$,
        and MI-NEE with the uniform box, whose cross-entropies cancel (Proposition 2),
        gives $D_{XY} - D_X - D_Y$.

        Arguments:
            divergences: NumPy array or torch tensor (..., H), nats.
            cross_entropy: the same shape, or ``None``.

        Returns:
            The target per leading index, (...,), nats, of the inputs' type.
        """
        terms = -divergences if cross_entropy is None else cross_entropy - divergences
        return self.signed_sum(terms)

    def parts(self) -> np.ndarray:
        """Which heads split each head's variable set exactly, (H, H) of 0/1.

        Row h marks the other heads whose column sets are disjoint and together make up
        head h's (MI-NEE: the joint head is split by X and Y); a head with no such split
        (every head of an entropy or a conditional MI) has a row of zeros.
        """
        masks = self.masks
        out = np.zeros((len(self.names), len(self.names)))
        for h, mask in enumerate(masks):
            inside = [g for g in range(len(masks))
                      if g != h and not (masks[g] & ~mask).any()]
            if len(inside) > 1 and np.array_equal(masks[inside].sum(0), mask):
                out[h, inside] = 1.0
        return out

    def signed_sum(self, per_head: Any) -> Any:
        """``sum_h signs[h] * per_head[..., h]``: entropies (..., H) -> the target (...,)."""
        signs = self.signs
        if not isinstance(per_head, np.ndarray):  # a torch tensor: signs on its device
            signs = per_head.new_tensor(signs)
        return (per_head * signs).sum(-1)


def blocks(widths: dict[str, int], sets: dict[str, tuple[str, ...]],
           signs: dict[str, float]) -> Heads:
    """The heads for variables of the given widths.

    Arguments:
        widths: each variable's number of columns, in column order (``{"x": 2, "y": 1}``).
        sets: each head's name and the variables it sees (``{"xy": ("x", "y"), ...}``).
        signs: each head's sign in the target quantity.
    """
    offsets = np.cumsum([0, *widths.values()])
    cols = {name: range(offsets[i], offsets[i + 1]) for i, name in enumerate(widths)}
    dim = int(offsets[-1])
    masks = np.zeros((len(sets), dim), dtype=bool)
    for h, members in enumerate(sets.values()):
        for var in members:
            masks[h, list(cols[var])] = True
    groups = np.zeros((len(widths), dim), dtype=bool)
    for g, var in enumerate(widths):
        groups[g, list(cols[var])] = True
    return Heads(tuple(sets), masks, np.array([signs[s] for s in sets], dtype=np.float64),
                 groups, dict(widths))
