"""The rows the engine's critics read: training and held-out rows, minibatches, reference rows.

A critic that prepares its inputs (:meth:`minee.training.critics.Critic.prepare`: tails compressed,
standardised, clamped; column by column) reads the training and held-out rows prepared
once, not at every step and evaluation, and reference rows prepared as they are drawn.
Minibatches come in epochs: each member and head goes through the training rows in its own
random order, B rows a step, so one sort serves many steps. Reference rows are
drawn for many steps at once into a pool that each step reads the next R rows of: every row
is read once, as fresh draws would be, but a draw at 5 + 5 columns (512 rows) costs mostly
its per-call overhead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, cast

import torch
from torch import Tensor

from .references import Reference

__all__ = ["POOL_ELEMENTS", "Feed"]

#: reference values drawn (and prepared) at once: ~50 steps' rows at 5 + 5 columns; a pool
#: holds at least one step's rows
POOL_ELEMENTS = 2**18


class _Preparing(Protocol):
    """A critic module that reads prepared rows (:class:`~minee.training.critics.Critic`)."""

    def prepare(self, z: Tensor) -> Tensor: ...

    def read(self, z: Tensor) -> Tensor: ...


class Feed:
    """The rows of one engine.

    Arguments:
        critic: the trained critic; its ``prepare`` makes every prepared row here (its
            weight average, which evaluations read, has the same input maps).
        reference: what reference rows are drawn from.
        train, heldout: rows per member, (K, n, D) and (K, n_val, D) or ``None``.
        batch: B, minibatch rows per member and head; ``n`` for full batches.
        heads: minibatches drawn per member (H, or 1 where the heads share rows).
        ref_rows: R, reference rows per step.
        prepares: whether the critic's modules read prepared rows (``read``) or raw ones
            (their ``forward``: critics without ``prepare``, objectives that re-pair a
            batch's rows themselves).
        generator: the source of every order and draw.
    """

    def __init__(self, critic: torch.nn.Module, reference: Reference, train: Tensor,
                 heldout: Tensor | None, *, batch: int, heads: int, ref_rows: int,
                 prepares: bool, generator: torch.Generator):
        self.critic, self.reference, self.generator = critic, reference, generator
        self.raw_train, self.raw_heldout = train, heldout
        self.prepares, self.batch_rows, self.heads, self.ref_rows = (
            prepares, batch, heads, ref_rows)
        self.refresh()
        k = train.shape[0]
        steps = max(1, POOL_ELEMENTS // (k * ref_rows * reference.dim))
        self._pool_buffer = train.new_empty(k, 1, steps * ref_rows, reference.dim)
        self._pool, self._pool_at = self._pool_buffer, self._pool_buffer.shape[2]
        # this epoch's order: per member and head, indices into the (K * n, D) rows
        self._order: Tensor | None = None
        self._epoch_at = train.shape[1]
        self._eval_buffer: Tensor | None = None  # allocated at the first evaluation

    @torch.no_grad()
    def refresh(self) -> None:
        """Prepare the training and held-out rows again (after the critic's buffers, its
        input maps, were loaded): :attr:`train` (K, n, D), :attr:`heldout`."""
        self.train = self.prepare(self.raw_train)
        self.heldout = None if self.raw_heldout is None else self.prepare(self.raw_heldout)

    def prepare(self, rows: Tensor) -> Tensor:
        """Raw rows (K, M, D) or (K, 1, M, D) as the critic reads them, the same shape."""
        if not self.prepares:
            return rows
        out = cast(_Preparing, self.critic).prepare(rows)
        return out[:, 0] if rows.dim() == 3 else out

    def read(self, module: torch.nn.Module, rows: Tensor) -> Tensor:
        """``module``'s values (K, H, M) on rows (K, M, D) or (K, H or 1, M, D) from this
        feed (prepared ones when the critic prepares its inputs)."""
        if not self.prepares:
            return module(rows)
        return cast(_Preparing, module).read(rows[:, None] if rows.dim() == 3 else rows)

    def batch(self) -> Tensor:
        """The next minibatch, (K, heads, B, D): drawn without replacement, as the authors
        do, and every row read at most once an epoch; when fewer than B rows of an order
        are left (n mod B), a new order starts and they wait for a later epoch."""
        k, n, b = self.train.shape[0], self.train.shape[1], self.batch_rows
        if b == n:
            return self.train[:, None].expand(k, self.heads, n, -1)
        if self._order is None or self._epoch_at + b > n:
            device = self.train.device
            keys = torch.rand(k, self.heads, n, generator=self.generator, device=device)
            # row i of member m sits at m * n + i of the flattened rows
            offset = torch.arange(k, device=device)[:, None, None] * n
            self._order, self._epoch_at = keys.argsort(dim=2) + offset, 0
        start, self._epoch_at = self._epoch_at, self._epoch_at + b
        index = self._order[:, :, start: start + b].flatten()
        return self.train.reshape(k * n, -1).index_select(0, index).view(k, self.heads, b, -1)

    def reference_rows(self) -> Tensor:
        """A step's fresh reference rows, (K, 1, R, D): the pool's next R."""
        r = self.ref_rows
        if self._pool_at + r > self._pool.shape[2]:
            drawn = self.reference.sample(self._pool_buffer, self.generator)
            with torch.no_grad():
                self._pool = self.prepare(drawn)
            self._pool_at = 0
        start, self._pool_at = self._pool_at, self._pool_at + r
        return self._pool[:, :, start: start + r]

    def fresh_reference(self, rows: int) -> Iterator[Tensor]:
        """``rows`` fresh reference rows, prepared (an evaluation's), in
        blocks (K, 1, <= block, D) of up to :data:`POOL_ELEMENTS` values: drawn and
        prepared a block at a time, so memory stays bounded for 300 x N references."""
        k, dim = self.raw_train.shape[0], self.reference.dim
        block = min(rows, max(1, POOL_ELEMENTS // (k * dim)))
        if self._eval_buffer is None or self._eval_buffer.shape[2] < block:
            self._eval_buffer = self.raw_train.new_empty(k, 1, block, dim)
        for start in range(0, rows, block):
            buffer = self._eval_buffer[:, :, : min(block, rows - start)]
            yield self.prepare(self.reference.sample(buffer, self.generator))

    def state_dict(self) -> dict[str, Any]:
        """Where the next step resumes: this epoch's order and the pool's unread rows (a
        copy; ``None`` when the next step draws a new pool)."""
        unread = self._pool[:, :, self._pool_at:]
        return {"order": self._order, "epoch_at": self._epoch_at,
                "pool": unread.clone() if unread.shape[2] else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` (after the critic's own state), on this feed's
        device."""
        self.refresh()
        device = self.raw_train.device
        order, pool = state["order"], state["pool"]
        self._order = None if order is None else order.to(device)
        self._epoch_at = state["epoch_at"]
        if pool is None:
            self._pool, self._pool_at = self._pool_buffer, self._pool_buffer.shape[2]
        else:
            self._pool, self._pool_at = pool.to(device), 0
