r"""The one training loop behind every estimator.

Every estimate in minee is the same computation: K ensemble members x H heads of critics
$f_{k,h}$, each maximising the Donsker-Varadhan objective
$\bar f(Z_S) - \ln \overline{e^{f(Z'_S)}}$ of its column set S against a reference, all in
one batched module with one optimiser. The engine takes the minibatches and reference
samples from its feed (:mod:`minee.training.feed`: rows prepared once, epochs, pooled reference
draws), steps the optimiser, evaluates the full-sample divergences every ``eval_every``
steps (on training rows and, if given, held-out rows, against one shared fresh reference),
guards against divergence, stops early on the held-out objective and records the curves.
It knows nothing of entropies or MI: the estimators combine the divergences it returns.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import cast

import torch
from torch import Tensor
from torch.optim.swa_utils import AveragedModel

from .averaging import moving_average, pairs, update_average
from .engine_config import EngineConfig, adam
from .feed import Feed
from .objectives import Objective
from .records import Records
from .references import Reference
from .streaming import STREAM_CHUNK, dv_backward_streamed

__all__ = ["Engine"]

_EVAL_CHUNK = 3072  # rows x (members x heads) per evaluation pass
_MIN_CHUNK = 256  # rows per pass at least, so that Python overhead stays small


class Engine:
    """Train a critic module against a reference.

    Arguments:
        critic: the K x H critic module: a :class:`~minee.training.critics.Critic`, a
            :class:`~minee.training.critics.DifferenceCritic`, or any module that declares the same
            capabilities: ``members``, ``heads``, ``shares_rows`` (heads read the same
            rows), ``form``, ``prepare(z)`` (rows prepared once, :mod:`minee.training.feed`) and
            ``read(prepared) -> (K, H, M)``.
        reference: the reference distribution on all D columns, one per member.
        objective: what each head minimises (:mod:`minee.training.objectives`); the engine never
            looks at which one it is.
        train: training rows per member, shape (K, n, D) (an ``expand`` of one sample
            when all members share it; different samples train different problems at once).
        heldout: held-out rows, shape (K, n_val, D), or ``None``.
        config: training settings.
        generator: the only source of randomness for batches and reference samples.

    After :meth:`run`, :meth:`history` gives the recorded curves and :meth:`divergences`
    the reported divergences, shape (K, H), in nats.
    """

    def __init__(self, critic: torch.nn.Module, reference: Reference, objective: Objective,
                 train: Tensor, heldout: Tensor | None, config: EngineConfig,
                 generator: torch.Generator):
        self.critic, self.reference, self.config = critic, reference, config
        self.objective = objective
        # an objective may bring its own contrast rows and bound (InfoNCE): looked up once
        # here, not at every step
        self._own_contrast = objective.contrast if objective.contrasts else None
        self._own_bound = objective.bound if objective.contrasts else None
        self.train_rows, self.heldout_rows, self.generator = train, heldout, generator
        n = train.shape[1]
        batch = n if config.batch_size is None else config.batch_size
        if batch > n:
            raise ValueError(
                f"batch_size={batch} exceeds the {n} training rows; lower batch_size, pass "
                "batch_size=None for full batches, or provide more rows"
            )
        self.batch = batch
        # K members x H heads: plain ints on every critic (nn.Module's attribute typing
        # cannot know them)
        k, h = cast(int, critic.members), cast(int, critic.heads)
        self._members, self._heads = k, h
        # heads draw their own minibatches unless the critic adds heads' values on shared
        # rows (a critic with parts)
        batch_heads = 1 if critic.shares_rows else h
        ref_rows = max(1, math.ceil(config.ref_factor * batch))
        # a critic that prepares its inputs (Critic, DifferenceCritic) reads prepared rows;
        # an objective that re-pairs a batch's rows itself (InfoNCE) reads raw ones
        self.feed = Feed(critic, reference, train, heldout, batch=batch,
                         heads=batch_heads, ref_rows=ref_rows, generator=generator,
                         prepares=self._own_contrast is None)
        # reference rows per backward pass: a large reference is streamed through the
        # critic in cache-sized chunks (~2x faster on CPU, same gradient) when the loss is
        # minus the DV bound and every head is its own network; None: one pass
        self.stream_chunk: int | None = (
            STREAM_CHUNK if (objective.streams_reference and critic.form == "separate"
                             and self._own_contrast is None
                             and ref_rows > 2 * STREAM_CHUNK) else None)
        # evaluation rows per pass: activations of ~_EVAL_CHUNK rows x groups stay in
        # cache (15% faster on CPU than one pass) and memory stays bounded for
        # 300 x N references
        self._eval_rows = max(_MIN_CHUNK, _EVAL_CHUNK // (k * h))
        self.optimizer = adam(critic, config, train.device)
        self._average = None if not config.averaging else pairs(
            moving_average(critic, config.averaging), critic)
        self.step = 0
        self.stopped_early = False
        # the curves, their smoothing, the best state and the early-stopping count
        self.records = Records(train, k, h, config)

    def step_work(self) -> float:
        """Multiply-adds of one training step's forward pass (a size for thread choices):
        every network's weights meet each of its data and reference rows once."""
        params = sum(p.numel() for p in self.critic.parameters())
        return float((self.batch + self.feed.ref_rows) * params)

    # one optimiser step ------------------------------------------------------------------
    def train_step(self) -> None:
        """Draw minibatches (K, H or 1, B, D) and a fresh reference; take one optimiser
        step."""
        feed = self.feed
        data = feed.batch()
        self.optimizer.zero_grad(set_to_none=True)
        if self.stream_chunk is not None:
            dv_backward_streamed(self.critic, data, feed.reference_rows(), self.stream_chunk,
                                 read=partial(feed.read, self.critic))
        else:
            f = feed.read(self.critic, torch.cat([data, self._contrast(data)], dim=2))
            f_data, f_ref = f[..., : self.batch], f[..., self.batch:]
            self.objective.loss(f_data, f_ref).sum().backward()
        self.optimizer.step()
        if self._average is not None:
            update_average(self._average, first=self.step == 0)
        self.step += 1

    @property
    def averaged(self) -> AveragedModel | None:
        """The critic's weights averaged over steps (``averaging`` > 0), else ``None``."""
        return None if self._average is None else self._average.averaged

    @property
    def reader(self) -> torch.nn.Module:
        """The critic that evaluations and estimates read: the weights' moving average
        when ``averaging`` is on, else the trained critic itself."""
        return self.critic if self.averaged is None else self.averaged.module

    def _contrast(self, data: Tensor) -> Tensor:
        """The rows the batch ``data`` (K, H, B, D) is contrasted with: fresh reference
        samples, shared by the heads, or what the objective builds from the batch itself
        (an objective with a ``contrast(data, reference)`` method, such as InfoNCE)."""
        if self._own_contrast is not None:
            return self._own_contrast(data, self.reference)
        return self.feed.reference_rows().expand(self._members, data.shape[1], -1, -1)

    # evaluation ---------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self) -> dict[str, Tensor]:
        """Full-sample bounds on training (and held-out) rows, each (K, H), in nats.

        The Donsker-Varadhan divergence, both row sets sharing one fresh reference of
        ``ref_factor * n_train`` rows; or, for an objective with its own
        ``bound(critic, rows, reference, batch)`` (InfoNCE), that bound.
        """
        bound = self._own_bound
        if bound is not None:
            out = {"train": bound(self.reader, self.train_rows, self.reference, self.batch)}
            if self.heldout_rows is not None:
                out["heldout"] = bound(self.reader, self.heldout_rows, self.reference,
                                       self.batch)
            return out
        lme = self._reference_lme()
        out = {"train": self._mean_critic(self.feed.train) - lme}
        if self.feed.heldout is not None:
            out["heldout"] = self._mean_critic(self.feed.heldout) - lme
        return out

    def _reference_lme(self) -> Tensor:
        """ln of the mean of exp(critic) over ``ref_factor * n_train`` fresh reference rows,
        (K, H), read in cache-sized chunks; the heads share the rows."""
        total = max(1, math.ceil(self.config.ref_factor * self.train_rows.shape[1]))
        chunk = self._eval_rows
        parts = [torch.logsumexp(self.feed.read(self.reader, ref[:, :, i: i + chunk]), dim=-1)
                 for ref in self.feed.fresh_reference(total)
                 for i in range(0, ref.shape[2], chunk)]
        return torch.logsumexp(torch.stack(parts), dim=0) - math.log(total)

    def _mean_critic(self, rows: Tensor) -> Tensor:
        """Mean critic value over ``rows`` (K, n, D), chunked like the reference: (K, H)."""
        n = rows.shape[1]
        step = self._eval_rows
        total = cast(Tensor, sum(self.feed.read(self.reader, rows[:, i: i + step]).sum(-1)
                                 for i in range(0, n, step)))
        return total / n

    def _record(self, values: dict[str, Tensor]) -> None:
        """Record one evaluation's divergences (:class:`~minee.training.records.Records`)."""
        self.records.record(values, self.step)

    def run(self, callback: Callable[[Engine], None] | None = None,
            until: int | None = None) -> None:
        """Train until ``max_steps`` (or ``until``), divergence of every member, or early stop.

        Arguments:
            callback: called after every evaluation with the engine (progress bars,
                checkpoints); it may raise ``KeyboardInterrupt`` safely between steps.
            until: stop at this step instead of ``max_steps`` (for chunked runs).
        """
        cfg = self.config
        end = cfg.max_steps if until is None else min(until, cfg.max_steps)
        if self.step == 0 and not self.records.steps:
            self._record(self.evaluate())
        while self.step < end and not self.finished:
            self.train_step()
            if self.step % cfg.eval_every == 0 or self.step == cfg.max_steps:
                self._record(self.evaluate())
                if callback is not None:
                    callback(self)
                if (cfg.patience is not None and self.heldout_rows is not None
                        and self.step >= cfg.min_steps
                        and self.records.since_best >= cfg.patience):
                    self.stopped_early = True

    @property
    def finished(self) -> bool:
        """True once every member diverged or early stopping triggered."""
        return bool(self.diverged.all()) or self.stopped_early

    @property
    def diverged(self) -> Tensor:
        """Which members diverged, (K,) on the CPU."""
        return self.records.diverged

    # results ------------------------------------------------------------------------------
    def history(self) -> dict[str, Tensor]:
        """Recorded curves: ``steps`` (T,), ``train`` and maybe ``heldout`` (T, K, H)."""
        return self.records.history()

    def divergences(self) -> Tensor:
        """Reported divergences (K, H) in nats.

        With held-out rows: the best smoothed held-out divergences (a DV bound is a
        supremum over critics, so the best critic on unseen rows is the estimate), each
        head's own best, or with ``selection`` every head's at the one state where the
        selection score was highest (``EngineConfig.selection``). Without: the last finite
        smoothed training-row divergence.
        """
        if self.heldout_rows is not None:
            return self.records.best.cpu()
        return self.smoothed("train")

    def train_at_best(self) -> Tensor:
        """The smoothed training-row divergences (K, H) at the state
        :meth:`divergences` reads (the last ones without held-out rows): the training
        reading whose distance to the estimate is its optimism."""
        if self.heldout_rows is not None:
            return self.records.best_train.cpu()
        return self.smoothed("train")

    def smoothed(self, name: str) -> Tensor:
        """The smoothed curve ``name`` now, (K, H); a diverged member keeps its last finite
        value."""
        return self.records.smoothed(name)

    def state_dict(self) -> dict:
        """Everything needed to resume bit-for-bit on CPU (critic, Adam, RNG, curves)."""
        return {
            "critic": self.critic.state_dict(), "optimizer": self.optimizer.state_dict(),
            "averaged": None if self.averaged is None else self.averaged.state_dict(),
            "generator": self.generator.get_state(),
            "objective": self.objective.state_dict(),
            "step": self.step, **self.records.state_dict(),
            "stopped_early": self.stopped_early,
            "feed": self.feed.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict`."""
        self.critic.load_state_dict(state["critic"])
        if self.averaged is not None:
            self.averaged.load_state_dict(state["averaged"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.objective.load_state_dict(state["objective"])
        self.step = state["step"]
        # on this engine's device: a saved state is read onto the CPU
        self.records.load_state_dict(state, self.train_rows.device)
        self.stopped_early = state["stopped_early"]
        self.feed.load_state_dict(state["feed"])  # after the critic's buffers
