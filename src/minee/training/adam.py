"""Adam without ``torch.optim.Optimizer``: torch's own fused Adam kernel through its
functional API, with the same state and the same ``state_dict``.

The first call of any method of a ``torch.optim.Optimizer`` imports ``torch._dynamo``
(its methods are wrapped to disable the compiler), which costs about a CPU-second in
every process before its first estimate and is of no use here. The update itself is
``torch.optim.adam.adam`` (fused where torch has the kernel, as ``torch.optim.Adam(...,
fused=True)`` runs it), so the steps are bit for bit those of ``torch.optim.Adam``, and a
state saved by either loads into the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor
from torch.optim.adam import adam as adam_update

__all__ = ["Adam"]

_BETAS, _EPS = (0.9, 0.999), 1e-8


class Adam:
    """Adam (betas 0.9, 0.999; eps 1e-8; no weight decay) over ``params``.

    Arguments:
        params: the parameters, in a fixed order (their state is indexed by it).
        lr: the learning rate.
        fused: use torch's fused kernel (CPU and CUDA); else its single-tensor loop.
    """

    def __init__(self, params: Iterable[torch.nn.Parameter], *, lr: float, fused: bool):
        self.params = list(params)
        self.lr, self.fused = lr, fused
        self.state: dict[int, dict[str, Tensor]] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop (or zero) every parameter's gradient."""
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def _state(self, i: int, p: Tensor) -> dict[str, Tensor]:
        if i not in self.state:
            # as torch.optim.Adam: a float32 step tensor on the parameter's device when
            # fused, float32 on the CPU otherwise
            step = torch.zeros((), dtype=torch.float32,
                               device=p.device if self.fused else "cpu")
            self.state[i] = {"step": step, "exp_avg": torch.zeros_like(p),
                             "exp_avg_sq": torch.zeros_like(p)}
        return self.state[i]

    @torch.no_grad()
    def step(self) -> None:
        """One Adam update of every parameter that has a gradient."""
        live = [(i, p) for i, p in enumerate(self.params) if p.grad is not None]
        states = [self._state(i, p) for i, p in live]
        adam_update([p for _, p in live], [p.grad for _, p in live],  # type: ignore[misc]
                    [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states], [],
                    [s["step"] for s in states], foreach=False, fused=self.fused or None,
                    amsgrad=False, beta1=_BETAS[0], beta2=_BETAS[1], lr=self.lr,
                    weight_decay=0.0, eps=_EPS, maximize=False)

    def state_dict(self) -> dict[str, Any]:
        """The state as ``torch.optim.Adam.state_dict`` lays it out."""
        group = {"lr": self.lr, "betas": _BETAS, "eps": _EPS, "weight_decay": 0,
                 "amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                 "differentiable": False, "fused": True if self.fused else None,
                 "decoupled_weight_decay": False, "params": list(range(len(self.params)))}
        return {"state": {i: dict(s) for i, s in self.state.items()}, "param_groups": [group]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state written by :meth:`state_dict` or by ``torch.optim.Adam``."""
        self.state = {}
        for i, entry in state["state"].items():
            p = self.params[int(i)]
            self.state[int(i)] = {
                "step": entry["step"].to(torch.float32).to(p.device if self.fused else "cpu"),
                "exp_avg": entry["exp_avg"].to(p), "exp_avg_sq": entry["exp_avg_sq"].to(p)}
