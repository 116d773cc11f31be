r"""Batched MLP critics: every head of every ensemble member in one module.

A critic set for one estimate has K ensemble members and H heads (MI-NEE: joint, X, Y).
Each head sees a subset of the D input columns. The head's 0/1 column mask multiplies the
rows of its first-layer weight, which is exact (a masked column contributes nothing and its
weights get no gradient) and lets all heads share one batched matmul ``torch.baddbmm``
without copying the inputs once per head: rows shared by every head (a reference sample)
are standardised once and broadcast.

Two forms (paper §3.2):

* ``"separate"``: K x H independent MLPs with one output each (the authors' code);
* ``"shared"``: K MLPs with H outputs; head h reads output h on its masked input.

Because Adam is element-wise, one Adam over the batched weights takes exactly the steps
that K x H separate optimisers would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import torch
from torch import Tensor, nn

from .tailmap import asinh, compress_tails

if TYPE_CHECKING:
    from .heads import Heads

__all__ = ["BatchedMLP", "Critic", "DifferenceCritic", "ACTIVATIONS", "asinh",
           "compress_tails"]

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "elu": nn.functional.elu, "relu": nn.functional.relu, "tanh": torch.tanh,
    "softplus": nn.functional.softplus, "gelu": nn.functional.gelu,
    "silu": nn.functional.silu}
# in-place forms whose backward needs only the output, so autograd accepts them
_IN_PLACE: dict[str, Callable[[Tensor], Tensor]] = {
    "elu": lambda x: nn.functional.elu(x, inplace=True),
    "relu": torch.relu_, "tanh": torch.tanh_}


class BatchedMLP(nn.Module):
    """G independent MLPs evaluated together.

    Arguments:
        groups: G, the number of independent networks.
        in_features: input width.
        out_features: output width.
        hidden: hidden width.
        depth: number of hidden layers.
        activation: a key of :data:`ACTIVATIONS`.
        init_std: weights start as N(0, init_std^2) and biases at 0 (the paper: 0.02);
            ``None`` uses PyTorch's default (Kaiming-uniform) scheme per network.
        generator: the source of the initial weights.
    """

    def __init__(self, groups: int, in_features: int, out_features: int, *, hidden: int,
                 depth: int, activation: str, init_std: float | None,
                 generator: torch.Generator):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}")
        widths = [in_features] + [hidden] * depth + [out_features]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
            w = torch.empty(groups, fan_in, fan_out)
            b = torch.zeros(groups, 1, fan_out)
            if init_std is None:
                bound = fan_in**-0.5
                w.uniform_(-bound, bound, generator=generator)
                b.uniform_(-bound, bound, generator=generator)
            else:
                w.normal_(0.0, init_std, generator=generator)
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(b))
        self.activation = ACTIVATIONS[activation]
        self.activation_name = activation

    def forward(self, x: Tensor, *, start: int = 0) -> Tensor:
        """Map (G, M, in_features) to (G, M, out_features).

        Arguments:
            x: inputs, or with ``start`` > 0 the activated output of layer ``start - 1``.
            start: the first layer to apply.
        """
        last = len(self.weights) - 1
        for i in range(start, last + 1):
            x = torch.baddbmm(self.biases[i], x, self.weights[i])
            if i < last:
                x = self.activate(x)
        return x

    def activate(self, x: Tensor) -> Tensor:
        """The nonlinearity, in place where autograd allows it (saves one allocation per
        layer: ``baddbmm``'s backward needs its inputs, not its output)."""
        if self.activation_name in _IN_PLACE:
            return _IN_PLACE[self.activation_name](x)
        return self.activation(x)


class Critic(nn.Module):
    """The K x H critic functions of one estimate.

    Arguments:
        masks: boolean column masks, shape (H, D).
        members: K, ensemble size.
        form: ``"separate"`` or ``"shared"`` (see module docstring).
        shift, scale: fixed per-column affine map applied to inputs before masking, shape
            (K, 1, 1, D); a reparametrisation of the critic that leaves every bound unchanged but
            keeps the first layer well conditioned on data of any scale.
        hidden, depth, activation, init_std, generator: as :class:`BatchedMLP`.
        bound: b bounds every output softly to (-b, b) as ``b * tanh(f / b)`` (``None``:
            unbounded). A bounded critic is still a critic, so every bound stays a bound.
        box: per member and column the (low, high) range of the inputs after ``shift`` and
            ``scale``, each (K, 1, 1, D), or ``None``. Given, inputs are clamped into it:
            the critic is a function of the clamped row, constant along a column beyond
            its edge. A network extrapolates (linearly, for GELU) where it saw no rows,
            and one far row then carries a DV reading; ``minee.estimation.model`` passes the
            range of each member's training rows.
        tails: per member and column the centre, unit and square root of the degrees of
            freedom, (K, 1, 1, D) each, by which :func:`compress_tails` maps inputs before
            ``shift`` and ``scale``, or ``None``.
        parts: (H, H) 0/1, :meth:`Heads.parts <minee.training.heads.Heads.parts>`, or ``None``.
            Given, head h's value is its own network's plus the other networks' marked in
            row h, evaluated on the same rows and *detached*: MI-NEE's joint critic becomes
            $f_{XY} + f_X + f_Y$, so that what the marginal critics learn (each variable's
            own departure from the reference) cancels exactly from
            $D_{XY} - D_X - D_Y$ and the joint network learns only the dependence. Heads
            then must see the same rows (:attr:`shares_rows`).
    """

    # buffers (registered in __init__), declared for type checkers
    mask: Tensor
    shift: Tensor
    scale: Tensor
    parts: Tensor | None
    low: Tensor | None
    high: Tensor | None
    tail_centre: Tensor | None
    tail_unit: Tensor | None
    tail_root: Tensor | None

    def __init__(self, masks: Tensor, *, members: int, form: str, shift: Tensor,
                 scale: Tensor, hidden: int, depth: int, activation: str,
                 init_std: float | None, generator: torch.Generator,
                 bound: float | None = None, parts: Tensor | None = None,
                 box: tuple[Tensor, Tensor] | None = None,
                 tails: tuple[Tensor, Tensor, Tensor] | None = None):
        super().__init__()
        self.bound = bound
        if parts is not None and not bool(parts.any()):
            parts = None  # no head is split by others: nothing to add
        if form not in ("separate", "shared"):
            raise ValueError(f"form must be 'separate' or 'shared', got {form!r}")
        heads, dim = masks.shape
        self.form = form
        self.members, self.heads = members, heads
        self.register_buffer("mask", masks.to(shift.dtype)[None, :, None, :])
        self.register_buffer("shift", shift)
        self.register_buffer("scale", scale)
        self.register_buffer("parts", None if parts is None else parts.to(shift.dtype))
        self.register_buffer("low", None if box is None else box[0].to(shift.dtype))
        self.register_buffer("high", None if box is None else box[1].to(shift.dtype))
        for name, value in zip(("tail_centre", "tail_unit", "tail_root"),
                               (None, None, None) if tails is None else tails, strict=True):
            self.register_buffer(name, None if value is None else value.to(shift.dtype))
        groups, outs = (members * heads, 1) if form == "separate" else (members, heads)
        self.net = BatchedMLP(groups, dim, outs, hidden=hidden, depth=depth,
                              activation=activation, init_std=init_std, generator=generator)

    @property
    def shares_rows(self) -> bool:
        """Whether every head must be evaluated on the same rows (a head adds other heads'
        values on its own rows)."""
        return self.parts is not None

    @torch.no_grad()
    def zero_output_(self) -> Critic:
        """Set the output layer's weights and biases to 0, in place: every head starts as
        f = 0, whose DV bound is exactly 0 on any rows (a random start reads below 0, by
        about half the variance of f, on rows it was not fitted to); the hidden layers keep
        their initialisation, and learn from the first step on."""
        self.net.weights[-1].zero_()
        self.net.biases[-1].zero_()
        return self

    def forward(self, z: Tensor) -> Tensor:
        """Evaluate every head of every member.

        Arguments:
            z: inputs of shape (K, H, M, D), or (K, M, D) or (K, 1, M, D) to give every
                head of member k the same rows (standardised once, not once per head).

        Returns:
            Critic values f_{k,h}(z_{k,h,m}), shape (K, H, M).
        """
        return self.read(self.prepare(z))

    def prepare(self, z: Tensor) -> Tensor:
        """The inputs as the networks read them: tails compressed, standardised, clamped.

        Column by column (each prepared column depends on that column alone). Rows read
        many times (the training and held-out rows) are prepared once
        (:class:`minee.training.feed.Feed`).

        Arguments:
            z: inputs (K, H, M, D), (K, 1, M, D) or (K, M, D).

        Returns:
            (K, H or 1, M, D), a new tensor.
        """
        if z.dim() == 3:
            z = z[:, None]
        if self.tail_root is not None:
            z = compress_tails(z, cast(Tensor, self.tail_centre), cast(Tensor, self.tail_unit),
                               self.tail_root)
        z = (z - self.shift) / self.scale
        if self.low is not None:
            z.clamp_(self.low, self.high)  # z is this call's own tensor
        return z

    def read(self, z: Tensor) -> Tensor:
        """Critic values on inputs :meth:`prepare` made, (K, H or 1, M, D) -> (K, H, M)."""
        if self.parts is not None and z.shape[1] != 1:
            raise ValueError("a critic with parts needs rows shared by its heads, "
                             f"(K, M, D) or (K, 1, M, D); got {tuple(z.shape)}")
        k, h = self.members, self.heads
        m, d = z.shape[2], z.shape[3]
        net = self.net
        # first layer per (member, head): the head's mask zeroes rows of the weight
        if self.form == "separate":
            w0 = net.weights[0].view(k, h, d, -1) * self.mask.view(1, h, d, 1)
            b0 = net.biases[0]
        else:
            w0 = net.weights[0][:, None] * self.mask.view(1, h, d, 1)
            b0 = net.biases[0][:, None].expand(k, h, 1, -1).reshape(k * h, 1, -1)
        z = z.expand(k, h, m, d).reshape(k * h, m, d)
        first = net.activate(torch.baddbmm(b0, z, w0.reshape(k * h, d, -1)))
        if self.form == "separate":
            out = net(first, start=1).view(k, h, m)
        else:
            out = torch.diagonal(net(first.view(k, h * m, -1), start=1).view(k, h, m, h),
                                 dim1=1, dim2=3).permute(0, 2, 1)
        out = out if self.bound is None else self.bound * torch.tanh(out / self.bound)
        if self.parts is not None:
            # (H, H) @ (K, H, M): a batched product, 4x cheaper than the einsum form here
            out = out + self.parts @ out.detach()
        return out


class DifferenceCritic(nn.Module):
    """One critic made of an entropic critic's heads: $T = -\\sum_h s_h f_h$.

    For MI-NEE's heads (xy, x, y) with signs (-1, +1, +1) this is
    $T = f_{XY} - f_X - f_Y$, MINE's critic in the authors' cross-training (eq. 17). It
    presents one head to the engine, so MINE's loss and evaluation run unchanged while one
    Adam updates every network inside. From a critic with ``parts`` (the joint residual)
    $T$ is the joint network's own output, the dependence it learned.

    Arguments:
        critic: the trained :class:`Critic` with one head per variable set.
        heads: its heads; their signs combine the outputs (:meth:`Heads.combine`).
    """

    #: one head, so no rows to share between heads; ``form`` as one network reading the
    #: heads' signed sum (the engine streams references only through separate heads)
    shares_rows = False
    form = "shared"

    def __init__(self, critic: Critic, heads: Heads):
        super().__init__()
        self.inner = critic
        self.combine = heads.combine
        self.members, self.heads = critic.members, 1

    def forward(self, z: Tensor) -> Tensor:
        """(K, 1, M, D) or (K, M, D) -> T values (K, 1, M)."""
        return self.read(self.prepare(z))

    def prepare(self, z: Tensor) -> Tensor:
        """The inner critic's :meth:`Critic.prepare`: (K, 1, M, D) or (K, M, D) ->
        (K, 1, M, D)."""
        return self.inner.prepare(z[:, 0] if z.dim() == 4 else z)

    def read(self, z: Tensor) -> Tensor:
        """T values on prepared rows (K, 1, M, D) -> (K, 1, M)."""
        return self.combine(self.inner.read(z).transpose(1, 2))[:, None]
