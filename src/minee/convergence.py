"""Whether a reading has converged in the number of rows it was fitted on.

A mixture reference is fitted to a sample's rows; where the law has more shape than the
rows resolve, a fit on twice the rows still reads differently (more components, each
better placed). The rows check (:class:`minee.training.mixture_fit.RowsCheck`) scores
held-out rows under the fit on the fitting rows and under one on half of them;
:class:`RowsMove` is what that says of one estimate, read against what the critics
corrected. If the reading moved clearly when the rows doubled and the critics did not make
up what is left of the move, the estimate is not converged in the rows (flagged
``shape_unresolved``), and its interval reaches further on that side by what is left: for
a bias falling as 1/rows, a fit on n rows is I(n) - I(n/2) short of the limit (the
half-sample jackknife's bias correction, whose corrected reading is 2 I(n) - I(n/2)),
scaled to the rows the reference itself was fitted on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["RowsMove", "LEAST_MOVE", "Z95"]

Z95 = 1.959964  # two-sided 95% normal quantile
#: the least move (nats) of a reading that counts: below it a change is immaterial beside
#: any interval (as for the ``still_increasing`` flag)
LEAST_MOVE = 0.01


@dataclass(frozen=True)
class RowsMove:
    """How the reference's own reading of an estimate's target moved when its fitting rows
    doubled.

    Attributes:
        moved: the move (fit on the fitting rows less fit on half of them), nats: for an
            MI most often up, for an entropy down (a likelier fit lowers it).
        stderr: its standard error over the held-out rows, nats (``inf``: no check).
        correction: what the critics added to the reference's reading, nats.
        share: the share of the reference's rows the check's larger fit had (the check
            holds out a fifth): under a bias falling as 1/rows, ``share * moved`` is what
            the reference's reading has left to go.
    """

    moved: float = 0.0
    stderr: float = math.inf
    correction: float = 0.0
    share: float = 1.0

    @property
    def _side(self) -> float:
        return math.copysign(1.0, self.moved)

    @property
    def unsettled(self) -> bool:
        """Whether the move is clear (above :data:`LEAST_MOVE` and 1.96 standard errors)
        and what is left of it exceeds what the critics corrected in its direction."""
        return abs(self.moved) > max(LEAST_MOVE, Z95 * self.stderr) and \
            self._side * self.correction < self.share * abs(self.moved)

    @property
    def reach(self) -> float:
        """How much further the interval reaches on the side of the move (signed, nats):
        what is left of the move less the critics' correction in its direction, where
        :attr:`unsettled`; else 0."""
        if not self.unsettled:
            return 0.0
        return self._side * (self.share * abs(self.moved)
                             - max(0.0, self._side * self.correction))

    def reason(self) -> str:
        """The move in words, for the ``shape_unresolved`` flag."""
        return (f"the mixture reference's own reading moved by {self.moved:+.3g} nats "
                f"(standard error {self.stderr:.2g}) when its fitting rows doubled, more "
                f"than the critics' correction ({self.correction:+.3g}) makes up; an "
                f"interval reaches {self.reach:+.3g} further on that side")
