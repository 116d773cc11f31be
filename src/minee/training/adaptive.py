r"""The default reference: per problem, the Student-t or a Gaussian mixture, whichever
describes held-out rows better.

MI-NEE allows any reference with a density and a sampler (paper §3.1); the closer it is to
the data, the less the critics must learn, and what a few hundred steps of a small network
cannot learn (many narrow modes, a curved ridge, a share of rows from another law) is
otherwise missed silently. Each member's rows are split 80/20 by the fit's seed; the
Student-t (:func:`~minee.training.student_t.fit_member`, joint or per variable) and the
mixture of the best held-out size (:func:`~minee.training.mixture_fit.select_mixture`)
are fitted on the larger part and scored on the smaller. The mixture replaces the t only
where its held-out log-likelihood is higher by more than twice the standard error of the
paired per-row difference: on elliptical data the t is kept, and with it every estimate
the t gave. The chosen reference is then fitted on all rows, as it would be alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from .heldout import clearly_better, split_rows
from .mixture import GaussianMixture, fit_sample
from .mixture_fit import MixtureFit, RowsCheck, Selection
from .references import Reference, per_distinct
from .student_t import StudentT, fit_member, member_log_density

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["Adaptive", "prefers_mixture"]


def prefers_mixture(z: np.ndarray, groups: list[np.ndarray], seed: int
                    ) -> tuple[Selection | None, float]:
    """Whether a mixture describes the rows ``z`` (n, D) better than the Student-t.

    Returns:
        ``(selection, gain)``: the mixture refitted on all rows where it wins
        (:func:`~minee.training.mixture.fit_sample`), else ``None``; and its mean held-out
        log-likelihood gain over the t, nats per row.
    """
    train, heldout = split_rows(z, seed)  # the rows fit_sample splits off, scored alike
    t_scores = member_log_density(heldout, fit_member(train, groups), groups)
    chosen = fit_sample(z, seed)
    wins = len(chosen.fit.weights) > 1 and clearly_better(chosen.scores, t_scores)
    return (chosen if wins else None), float((chosen.scores - t_scores).mean())


class Adaptive(Reference):
    """Per member the fitted Student-t, or a Gaussian mixture where held-out rows prefer it
    (:func:`prefers_mixture`).

    Attributes:
        student: the Student-t of every member (its tails read the critics' inputs).
        mixture: the mixtures of the members that chose one, or ``None``.
        chosen: whether each member uses its mixture, (P,) bool.
        gain: each member's held-out log-likelihood gain of the mixture, (P,) nats/row.
    """

    @classmethod
    def build(cls, data: Tensor, groups: Tensor, settings: Settings) -> Reference:
        student = StudentT(data, groups)
        masks = list(student.groups.cpu().numpy())
        choices = per_distinct(data, lambda z: prefers_mixture(z, masks, settings.seed))
        return cls(student, choices, rows=data.shape[1], like=data)

    def __init__(self, student: StudentT, choices: list[tuple[Selection | None, float]], *,
                 rows: int, like: Tensor):
        self.student, self.dim = student, student.dim
        self.chosen = torch.tensor([c is not None for c, _ in choices], device=like.device)
        self.gain = torch.tensor([gain for _, gain in choices], dtype=torch.float64)
        self._limited = np.array([c is not None and c.limited for c, _ in choices])
        self.mixture = None
        # read at every pool refill: a Python bool, not a device tensor to synchronise on
        self._all_mixtures = bool(self.chosen.all())
        if bool(self.chosen.any()):
            unit = MixtureFit(np.ones(1), np.zeros((1, self.dim)), np.eye(self.dim)[None])
            fits = [unit if c is None else c.fit for c, _ in choices]
            self.mixture = GaussianMixture(fits, rows=rows, like=like,
                                           checks=[None if c is None else c.check
                                                   for c, _ in choices])

    def sample(self, out: Tensor, generator: torch.Generator) -> Tensor:
        if self.mixture is None:
            return self.student.sample(out, generator)
        if self._all_mixtures:  # no t rows to draw and throw away
            return self.mixture.sample(out, generator)
        self.student.sample(out, generator)
        drawn = self.mixture.sample(torch.empty_like(out), generator)
        return out.copy_(torch.where(self.chosen[:, None, None, None], drawn, out))

    def neg_log_density(self, z: Tensor, masks: Tensor) -> Tensor:
        value = self.student.neg_log_density(z, masks)
        if self.mixture is None:
            return value
        chosen = self.chosen.to(z.device)[:, None, None]
        return torch.where(chosen, self.mixture.neg_log_density(z, masks), value)

    def fit_correction(self, masks: Tensor) -> Tensor:
        value = self.student.fit_correction(masks)
        if self.mixture is None:
            return value
        value = value.expand(len(self.chosen), -1) if value.ndim == 1 else value
        return torch.where(self.chosen.cpu()[:, None], self.mixture.fit_correction(masks), value)

    def shape_limited(self) -> np.ndarray:
        """The members whose chosen mixture reached the most components its rows support
        while still gaining (a member keeping the t is not flagged: its shape is what the
        t describes as well as any mixture its rows allow)."""
        return self._limited

    def rows_check(self, member: int) -> RowsCheck | None:
        """The member's mixture's rows check (a member keeping the t has none: a t's few
        parameters settle on far fewer rows)."""
        return None if self.mixture is None else self.mixture.rows_check(member)

    def elliptical_centre(self, member: int) -> np.ndarray | None:
        """The member's t's, where it keeps the t (a mixture carries more than an
        ellipse)."""
        return None if bool(self.chosen[member]) else self.student.elliptical_centre(member)

    def tails(self) -> tuple[Tensor, Tensor, Tensor]:
        """The Student-t's tails: the critics read their inputs in its units either way."""
        return self.student.tails()
