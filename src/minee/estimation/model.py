"""Building the batched model of an estimate: rows, split, reference, critic, objective, engine.

:func:`build_run` turns P preprocessed samples and a :class:`~minee.settings.Settings` into a
:class:`Run`: one :class:`~minee.training.engine.Engine` holding P problems x K ensemble members
(and, with ``null=True``, P permutation-null problems after them). A run is summarised into
:class:`~minee.results.Estimate` objects by :func:`minee.estimation.summary.summarise` at any point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch

from ..data.inputs import resolve_device, resolve_dtype
from ..diagnostics import still_rising
from ..registry import make_objective, make_reference
from ..settings import Seeds, Settings, split_sizes
from ..threads import thread_limit
from ..training.critics import Critic, compress_tails
from ..training.edges import Mapped
from ..training.engine import Engine
from ..training.engine_config import EngineConfig
from ..training.heads import Heads
from ..training.references import Reference

__all__ = ["Run", "build_run"]


@dataclass(eq=False)
class Run:
    """A prepared batched model: P problems x K members, ready for ``engine.run``.

    Attributes:
        settings: the settings of the fit (:func:`minee.settings.resolve`).
        engine: the :class:`~minee.training.engine.Engine` (train with ``engine.run``, checkpoint
            with ``engine.state_dict``).
        reference: the reference of every member.
        heads: the variable sets; ``masks`` is ``heads.masks`` on the engine's device.
        data: the P samples after preprocessing, (P, n, D) (without the null problems).
        log_scale: per problem, ``ln`` of each column's preprocessing scale, (P, D), added
            back to the entropies; ``None`` after a non-affine transform.
        quantity: what the target is (``"mutual_information"``, ``"entropy"``, ...).
        transforms: per problem, the preprocessing applied (``preprocess="auto"`` resolves
            per problem); ``None``: ``settings.preprocess`` for every problem.
        maps: per problem the column maps of ``preprocess="edges"`` (P, D, 3), or ``None``.
        discrete: per problem the columns read as discrete, or ``None`` (none recorded).
    """

    settings: Settings
    engine: Engine
    reference: Reference
    heads: Heads
    masks: torch.Tensor
    data: np.ndarray
    log_scale: np.ndarray | None
    quantity: str
    transforms: tuple[str, ...] | None = None
    maps: np.ndarray | None = None
    discrete: tuple[tuple[int, ...], ...] | None = None

    def transform(self, problem: int) -> str:
        """The preprocessing applied to problem ``problem`` (its null copy: the same)."""
        if self.transforms is None:
            return self.settings.preprocess
        return self.transforms[problem % len(self.transforms)]

    def discrete_columns(self, problem: int) -> tuple[int, ...]:
        """The columns of problem ``problem`` read as discrete (its null copy: the same)."""
        return () if self.discrete is None else self.discrete[problem % len(self.discrete)]

    @property
    def null(self) -> bool:
        """Whether the engine's members also hold the P permutation-null problems (after the
        P problems: member index = (P + p) * members + k)."""
        return self.settings.null

    @property
    def seed(self) -> int:
        """The seed the run was built from."""
        return self.settings.seed

    def train(self, callback: Callable[[Engine], None] | None = None) -> None:
        """Train to the end (``settings.max_steps``, divergence or early stop; beyond
        ``max_steps`` while the estimate still rises, up to :attr:`budget`) with the
        thread count :func:`minee.threads.thread_limit` chooses for this model; ``callback``
        as for :meth:`Engine.run <minee.training.engine.Engine.run>`."""
        with thread_limit(self.settings.threads, self.engine.step_work()):
            self.engine.run(callback=callback)
            while self._extend():
                self.engine.run(callback=callback)

    @property
    def budget(self) -> int:
        """The most steps this run may train: ``extend * max_steps``."""
        return int(self.settings.extend * self.settings.max_steps)

    def _extend(self) -> bool:
        """Raise the engine's step limit by ``max_steps`` (within :attr:`budget`) when it
        stopped there with the estimate's curve still rising; whether it did."""
        engine = self.engine
        limit = engine.config.max_steps
        if engine.finished or engine.step < limit or limit >= self.budget:
            return False
        curves = engine.history()
        curve = curves.get("heldout", curves["train"]).double()  # (T, K, H)
        weights = torch.tensor(engine.config.selection or (1.0,) * curve.shape[-1],
                               dtype=torch.float64)
        target = (curve * weights).sum(-1).nanmean(-1).numpy()
        if still_rising(target) is None:
            return False
        engine.config = replace(engine.config,
                                max_steps=min(self.budget, limit + self.settings.max_steps))
        return True


def build_run(data: np.ndarray, heads: Heads, settings: Settings, *,
              log_scale: np.ndarray | None, quantity: str,
              critic: torch.nn.Module | None = None,
              transforms: tuple[str, ...] | None = None,
              maps: np.ndarray | None = None,
              discrete: tuple[tuple[int, ...], ...] | None = None) -> Run:
    """Build the batched model for P problems with the same heads.

    Arguments:
        data: P samples of the same shape, (P, n, D), already preprocessed; each gets
            ``settings.members`` members (member index = problem * members + k; with
            ``folds`` F > 1 member k holds out fold k mod F), and with
            ``settings.null`` each also gets a copy with Y's rows shuffled (problem P + p).
        heads: the variable sets.
        settings: the fit's settings, resolved for these rows (nothing is resolved here).
        log_scale: see :class:`Run`.
        quantity: see :class:`Run`.
        critic: a critic module to train instead of a new one from ``settings`` (with
            ``members`` and ``heads`` matching; MINE's cross-training passes one).
        transforms: see :class:`Run`.
        maps: per problem its column maps onto the real line (P, D, 3)
            (:func:`minee.training.edges.edge_maps`), read back by the reference's density.
        discrete: see :class:`Run`.

    Raises:
        ValueError: the split or the batch does not fit the rows, or the reference cannot
            be built on them (naming the fix).
    """
    n = data.shape[1]
    device, dtype = resolve_device(settings.device), resolve_dtype(settings.dtype)
    seeds = Seeds.from_seed(settings.seed)
    heldout_idx, train_idx = _split(seeds.split.permutation(n), settings)
    problems = data if not settings.null else np.concatenate(
        [data, _shuffled(data, heads, seeds.null)])
    rows = torch.as_tensor(problems, dtype=dtype, device=device).repeat_interleave(
        settings.members, 0)
    train = _member_rows(rows, train_idx, settings.members)
    heldout = _member_rows(rows, heldout_idx, settings.members) if heldout_idx.shape[1] \
        else None
    masks = torch.as_tensor(heads.masks, device=device)
    reference = _reference(rows, heads, settings, maps)
    if critic is None:
        critic = _critic(rows, train, masks, heads, settings, seeds.init, reference)
    critic = critic.to(device=device, dtype=dtype)
    config = engine_config(settings, _selection(heads, quantity))
    engine = Engine(critic, reference, make_objective(settings), train, heldout, config,
                    torch.Generator(device=device).manual_seed(seeds.engine))
    return Run(settings, engine, reference, heads, masks, data, log_scale, quantity,
               transforms, maps, discrete)


def _reference(rows: torch.Tensor, heads: Heads, settings: Settings,
               maps: np.ndarray | None) -> Reference:
    """The reference ``settings.reference`` names fitted to every member's rows (M, n, D);
    with column ``maps`` (P, D, 3), read as the density it implies on the data's scale."""
    reference = make_reference(rows, torch.as_tensor(heads.groups, device=rows.device),
                               settings)
    if maps is None:
        return reference
    per_problem = maps if not settings.null else np.concatenate([maps, maps])
    return Mapped(reference, torch.as_tensor(per_problem, device=rows.device)
                  .repeat_interleave(settings.members, 0))


def engine_config(settings: Settings,
                  selection: tuple[float, ...] | None = None) -> EngineConfig:
    """The engine's training settings, derived from ``settings``; ``selection`` as
    :class:`~minee.training.engine.EngineConfig`'s."""
    return EngineConfig(
        lr=settings.lr, batch_size=settings.batch_size, ref_factor=settings.ref_factor,
        max_steps=settings.max_steps, eval_every=settings.eval_every,
        patience=settings.patience, min_steps=settings.min_steps,
        smoothing=settings.smoothing, averaging=settings.averaging, selection=selection)


def _selection(heads: Heads, quantity: str) -> tuple[float, ...] | None:
    r"""How held-out readings pick the critic state an estimate is read at.

    An MI (or conditional MI) is read at the one state where its own held-out value is
    highest, all heads together: heads read at their separate best states do not cancel
    (with the joint residual the marginal critics' values enter the joint head exactly,
    and cancel only at the same state), and on independent heavy-tailed columns the sum
    of the marginal heads' separate maxima read the MI 0.02-0.17 nats low. The target is
    $\sum_h s_h (c_h - D_h)$ with constant cross-entropies $c_h$, so the weights of the
    divergences are $-s_h$. An entropy keeps each head's own best divergence.
    """
    return None if quantity == "entropy" else tuple(float(-s) for s in heads.signs)


def _split(order: np.ndarray, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Held-out and training row indices, (F, n_val) and (F, n - n_val), each row sorted:
    one split at ``val_fraction`` (F = 1), or F disjoint folds of ``n // F`` rows of the
    permutation ``order`` (the ``n mod F`` rows left over train every member and are read
    by none)."""
    folds = settings.folds
    n_val = split_sizes(order.size, folds, settings.val_fraction)
    heldout = order[: folds * n_val].reshape(folds, n_val)
    train = np.stack([np.setdiff1d(order, fold) for fold in heldout])  # sorted
    return np.sort(heldout, axis=1), train


def _member_rows(rows: torch.Tensor, idx: np.ndarray, members: int) -> torch.Tensor:
    """``rows`` (M, n, D) at each member's indices, (M, r, D): row ``m mod members mod F``
    of ``idx`` (F, r) for member m."""
    per_member = torch.as_tensor(idx, device=rows.device)[
        torch.arange(rows.shape[0], device=rows.device) % members % idx.shape[0]]
    return torch.gather(rows, 1, per_member[..., None].expand(-1, -1, rows.shape[2]))


def _shuffled(data: np.ndarray, heads: Heads, rng: np.random.Generator) -> np.ndarray:
    """The permutation-null samples (P, n, D): Y's rows shuffled, X (and Z) kept."""
    y = heads.groups[list(heads.widths).index("y")]
    null = data.copy()
    for sample in null:
        sample[:, y] = sample[rng.permutation(sample.shape[0])][:, y]
    return null


def _critic(rows: torch.Tensor, train: torch.Tensor, masks: torch.Tensor, heads: Heads,
            settings: Settings, seed: int, reference: Reference) -> Critic:
    """The critic of every member (``rows`` (K, n, D) all its rows, ``train`` (K, r, D)
    those it trains on); inputs read in the reference's tail units when
    ``compress_tails``, then standardised per member when ``scale_inputs`` and clamped
    to the training rows' range when ``clamp_inputs``; a head split by others adds their
    values when ``joint_residual``."""
    tails = _tails(reference) if settings.compress_tails else None
    if tails is not None:
        rows, train = (compress_tails(r, *(t[:, 0] for t in tails)) for r in (rows, train))
    members, _, dim = rows.shape
    if settings.scale_inputs:
        shift, scale = rows.mean(1, keepdim=True), rows.std(1, keepdim=True)
    else:
        shift, scale = rows.new_zeros(members, 1, dim), rows.new_ones(1, 1, dim)
    box = None
    if settings.clamp_inputs:
        scaled = (train - shift) / scale
        box = (scaled.amin(1, keepdim=True)[:, None], scaled.amax(1, keepdim=True)[:, None])
    parts = torch.as_tensor(heads.parts(), device=rows.device) if settings.joint_residual \
        else None
    critic = Critic(masks, members=members, form=settings.form, shift=shift[:, None],
                    scale=scale[:, None], hidden=settings.hidden, depth=settings.depth,
                    activation=settings.activation, bound=settings.critic_bound or None,
                    init_std=None if isinstance(settings.init, str) else float(settings.init),
                    generator=torch.Generator().manual_seed(seed), parts=parts,
                    box=box, tails=tails)
    if settings.init == "zero-output":
        critic.zero_output_()
    return critic


def _tails(reference: Reference) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """The reference's fitted tails as :class:`Critic`'s ``tails``, (K, 1, 1, D) each;
    ``None`` for a reference that fits none (a Gaussian is the t with infinite dof, whose
    map is affine: the standardisation alone)."""
    fitted = reference.tails()
    if fitted is None:
        return None
    centre, unit, dof = fitted
    # copies: the critic's buffers are loaded in place (minee.load) and must not be the
    # reference's own location
    return (centre[:, None, None].clone(), unit[:, None, None].clone(),
            dof.sqrt()[:, None, None])
