"""What an engine records of its evaluations (:class:`Records`).

Every evaluation's divergences go on the curves; a member whose values stop being finite
is marked diverged and records NaN from then on; each curve is smoothed
(:func:`minee.smoothing.ema`); the best smoothed held-out divergences are kept (the
reported estimate), and the evaluations since a head last improved are counted for early
stopping. The engine owns one :class:`Records` and decides when to evaluate and stop.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..smoothing import ema
from .engine_config import EngineConfig

__all__ = ["Records"]


class Records:
    """The recorded evaluations of K members x H heads.

    Arguments:
        like: a tensor on the engine's device and of its dtype (the training rows).
        members: K.
        heads: H.
        config: training settings (``smoothing``, ``tol``, ``selection``).
    """

    def __init__(self, like: Tensor, members: int, heads: int, config: EngineConfig):
        self.config = config
        self.diverged = torch.zeros(members, dtype=torch.bool)
        self.curves: dict[str, list[Tensor]] = {"train": [], "heldout": []}
        self.steps: list[int] = []
        self.smooth: dict[str, Tensor] = {}
        self.best = like.new_full((members, heads), -math.inf)
        self.head_best = self.best
        # the smoothed training-row divergences at the state each best was read at: the
        # optimism of the reported estimate is best_train - best, not the last reading's
        self.best_train = like.new_full((members, heads), math.nan)
        self.head_best_train = self.best_train
        if config.selection is not None and len(config.selection) != heads:
            raise ValueError(f"selection has {len(config.selection)} weights for {heads} "
                             "heads; give one weight per head")
        self.selection = None if config.selection is None else like.new_tensor(
            config.selection)
        self.since_best = 0

    def record(self, values: dict[str, Tensor], step: int) -> None:
        """Record one evaluation's divergences ``values`` (name -> (K, H)) at ``step``."""
        finite = torch.stack([torch.isfinite(v).all(dim=1) for v in values.values()]).all(0)
        newly = (~finite).cpu() & ~self.diverged
        self.diverged |= newly
        keep = self.diverged.to(finite.device)[:, None]
        for name, v in values.items():
            v = torch.where(keep, torch.nan, v)  # a diverged member records NaN from now on
            self.curves[name].append(v)
            self.smooth[name] = ema(self.smooth.get(name), v, self.config.smoothing)
        self.steps.append(step)
        if "heldout" in values:
            self._select(self.smooth["heldout"], self.smooth["train"])

    def _select(self, cur: Tensor, train: Tensor) -> None:
        """Keep the best smoothed held-out divergences ``cur`` (K, H) so far: per head, or
        all heads at the state where the selection score was highest. Early stopping
        follows each head's own best either way: a score of differences can stall while
        its heads still improve (stopping on it ended Student-t runs at step 400, 0.06
        nats lower)."""
        better = torch.isfinite(cur) & (cur > self.head_best + self.config.tol)
        self.head_best = torch.where(better, cur, self.head_best)
        self.head_best_train = torch.where(better, train, self.head_best_train)
        self.since_best = 0 if bool(better.any()) else self.since_best + 1
        if self.selection is None:
            self.best, self.best_train = self.head_best, self.head_best_train
            return
        score = (cur * self.selection).sum(-1)
        kept = (self.best * self.selection).sum(-1)  # NaN or -inf before any reading
        higher = torch.isfinite(score) & ~(score <= kept)
        self.best = torch.where(higher[:, None], cur, self.best)
        self.best_train = torch.where(higher[:, None], train, self.best_train)

    def history(self) -> dict[str, Tensor]:
        """Recorded curves: ``steps`` (T,), ``train`` and maybe ``heldout`` (T, K, H)."""
        out = {"steps": torch.tensor(self.steps)}
        for name, rows in self.curves.items():
            if rows:
                out[name] = torch.stack(rows).cpu()
        return out

    def smoothed(self, name: str) -> Tensor:
        """The smoothed curve ``name`` now, (K, H); a diverged member keeps its last finite
        value."""
        return self.smooth[name].cpu()

    def state_dict(self) -> dict:
        """The records' part of the engine's state, under the engine's keys."""
        return {
            "diverged": self.diverged, "records": self.curves,
            "steps": self.steps, "smooth": self.smooth, "best": self.best,
            "head_best": self.head_best,
            "best_train": self.best_train, "head_best_train": self.head_best_train,
            "since_best": self.since_best,
        }

    def load_state_dict(self, state: dict, device: torch.device) -> None:
        """Restore a :meth:`state_dict` (or the engine's), its tensors onto ``device``."""
        self.diverged = state["diverged"]
        self.curves = {name: [v.to(device) for v in rows]
                       for name, rows in state["records"].items()}
        self.steps = state["steps"]
        self.smooth = {name: v.to(device) for name, v in state["smooth"].items()}
        self.best = state["best"].to(device)
        # states saved before the one-state reading (reproduce checkpoints, which hold no
        # held-out rows and so never select) lack it
        self.head_best = state.get("head_best", self.best).to(device)
        # and before the training reading at the best state: the last one stands in (what
        # the allowance read then)
        last = self.smooth.get("train", torch.full_like(self.best, math.nan))
        self.best_train = state.get("best_train", last).to(device)
        self.head_best_train = state.get("head_best_train", last).to(device)
        self.since_best = state["since_best"]
