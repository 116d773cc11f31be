r"""The Donsker-Varadhan gradient over a large reference, one cache-sized chunk at a time.

With a reference of R rows per step (the paper's Figure 2: R = 30,000), the plain step
keeps every layer's activations of all R rows for the backward pass: hundreds of MB per
step, each element written and read from main memory, and a fresh allocation of each
buffer every step. The gradient of $\ln \overline{e^{f(Z')}}$ is a softmax-weighted sum
$\sum_i w_i \nabla f(z'_i)$, $w_i = e^{f(z'_i)} / \sum_j e^{f(z'_j)}$, so it can be summed
chunk by chunk with the online-softmax rescaling: each chunk's forward and backward pass
stay in cache, and the result is the same gradient (to float rounding; tests compare it
with the plain step).

Exact per head only when every parameter belongs to one head, which is so for the
``"separate"`` critic form (a head's running scale can change without touching another
head's gradient); the engine uses this path only then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

__all__ = ["STREAM_CHUNK", "scale_group_grads_", "dv_backward_streamed"]

#: reference rows per chunk: (members x heads) x chunk x hidden activations stay in cache
STREAM_CHUNK = 512


def scale_group_grads_(params: Sequence[Tensor], factor: Tensor) -> None:
    """Multiply, in place, each network's accumulated gradient by its own factor.

    Arguments:
        params: parameters whose leading dimension indexes the G independent networks.
        factor: one factor per network, shape (G,).
    """
    for p in params:
        if p.grad is not None:
            p.grad.mul_(factor.view(-1, *([1] * (p.dim() - 1))))


def dv_backward_streamed(critic: torch.nn.Module, data: Tensor, ref: Tensor,
                         chunk: int = STREAM_CHUNK, *,
                         read: Callable[[Tensor], Tensor] | None = None) -> None:
    r"""Accumulate into ``.grad`` the gradient of minus the DV bound, summed over heads.

    The same gradient as ``(-(f(data).mean(-1) - log_mean_exp(f(ref)))).sum().backward()``
    on a critic whose K x H heads are independent networks (parameters with a leading
    dimension of K * H).

    Arguments:
        critic: the critic module, ``forward(z) -> (K, H, M)``.
        data: minibatch rows, (K, H, B, D).
        ref: reference rows shared by the heads, (K, 1, R, D).
        chunk: reference rows per forward and backward pass.
        read: the critic's values (K, H, M) on rows as ``data`` and ``ref`` hold them
            (the engine's rows are prepared: :meth:`minee.training.critics.Critic.read`);
            default: ``critic`` itself.
    """
    read = critic if read is None else read
    params = [p for p in critic.parameters() if p.requires_grad]
    peak: Tensor | None = None  # running max of f over the reference rows, (K, H)
    total = torch.zeros(())  # running sum of exp(f - peak), (K, H)
    for start in range(0, ref.shape[2], chunk):
        f = read(ref[:, :, start: start + chunk])  # (K, H, c)
        top = f.detach().amax(-1)
        if peak is None:
            peak = top
        elif bool((top > peak).any()):
            # a new maximum: what was summed so far was scaled by exp(-old peak)
            new = torch.maximum(peak, top)
            rescale = torch.exp(peak - new)
            scale_group_grads_(params, rescale.flatten())
            total, peak = total * rescale, new
        weight = torch.exp(f.detach() - peak[..., None])
        total = total + weight.sum(-1)
        (weight * f).sum().backward()
    if peak is None:
        raise ValueError("the reference has no rows")
    scale_group_grads_(params, total.reciprocal().flatten())  # softmax weights sum to 1
    # after the normalisation, so that it leaves the data term alone
    (-read(data).mean(-1)).sum().backward()
