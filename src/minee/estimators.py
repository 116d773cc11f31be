r"""Estimator classes: NEE (entropy), MINEE (MI by entropies), MINE and CMINEE (conditional MI).

Each is a set of critic *heads*, one per variable set, trained together by the one engine.
With a reference of known density, head S gives the entropy $H(Z_S) = CE_S - D_S$ (eq. 14)
and the target is a signed sum of entropies; MINE's single head gives the MI directly as a
divergence from the product of the marginals.

The classes follow scikit-learn's contract without depending on it: keyword-only
hyperparameters stored unchanged (``None`` means "take it from ``preset``"),
``get_params``/``set_params`` (so ``sklearn.base.clone`` works), ``fit`` returns ``self``,
and learned state ends in ``_``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar

import numpy as np
import torch

from . import diagnostics
from .critics import Critic
from .diagnostics import Z95
from .engine import Engine, EngineConfig
from .estimate import Estimate, History
from .inputs import as_matrix, check_same_rows, resolve_device, resolve_dtype
from .preprocessing import TRANSFORMS, transform
from .presets import AUTO_BATCH, resolve
from .progress import ProgressBar
from .references import Reference, make_reference

__all__ = ["NEE", "MINEE", "MINE", "CMINEE"]

MIN_ROWS = 10  # fewer rows cannot give a held-out split or a bounding box worth the name


@dataclass(frozen=True)
class _Heads:
    """The variable sets of an estimate: names, column masks (H, D), entropy signs (H,)."""

    names: tuple[str, ...]
    masks: np.ndarray
    signs: np.ndarray
    groups: np.ndarray  # the variables' column blocks (for the marginals reference)
    widths: dict[str, int]  # each variable's number of columns, in column order


def _blocks(sizes: dict[str, int], sets: dict[str, tuple[str, ...]],
            signs: dict[str, float]) -> _Heads:
    offsets = np.cumsum([0, *sizes.values()])
    cols = {name: range(offsets[i], offsets[i + 1]) for i, name in enumerate(sizes)}
    dim = int(offsets[-1])
    masks = np.zeros((len(sets), dim), dtype=bool)
    for h, members in enumerate(sets.values()):
        for var in members:
            masks[h, list(cols[var])] = True
    groups = np.zeros((len(sizes), dim), dtype=bool)
    for g, var in enumerate(sizes):
        groups[g, list(cols[var])] = True
    return _Heads(tuple(sets), masks, np.array([signs[s] for s in sets]), groups, dict(sizes))


@dataclass(eq=False)
class Run:
    """A prepared batched model: P problems x K members, ready for ``engine.run``.

    Attributes:
        estimator: the estimator whose settings built it.
        engine: the :class:`~minee.engine.Engine` (train with ``engine.run``, checkpoint
            with ``engine.state_dict``).
        reference, heads, masks: what :meth:`results` needs.
        data: the P samples after preprocessing, (P, n, D) (without the null problems).
        log_scale: per problem, ``ln`` of each column's preprocessing scale, (P, D), added
            back to the entropies; ``None`` after a non-affine transform.
        seed: the resolved seed (what ``seed=None`` drew).
        null: whether the engine's members also hold the P permutation-null problems
            (after the P problems: member index = (P + p) * ensemble + k).
    """

    estimator: _Estimator
    engine: Engine
    reference: Reference
    heads: _Heads
    masks: torch.Tensor
    data: np.ndarray
    log_scale: np.ndarray | None
    seed: int
    null: bool = False

    def results(self) -> list[Estimate]:
        """One :class:`Estimate` per problem from the engine's current state."""
        return self.estimator._summarise(self)


@dataclass(kw_only=True, eq=False, repr=False)
class _Estimator:
    """Settings shared by every estimator (each ``None`` is filled from ``preset``).

    Arguments:
        preset: ``"default"`` (minee's tuned settings) or ``"paper"`` (the authors').
        lr: Adam learning rate.
        batch_size: rows per minibatch per head; ``"auto"`` = all training rows up to 512.
        ref_factor: reference rows per step as a multiple of the batch (and of the rows at
            evaluation).
        max_steps: the most optimiser steps.
        eval_every: evaluate the full-sample estimate every this many steps.
        ensemble: K, independent critic sets trained together; the estimate is their mean.
        hidden, depth, activation: critic MLP width, number of hidden layers, nonlinearity.
        init: a float s draws weights from N(0, s^2) with zero biases (paper: 0.02);
            ``"torch"`` uses PyTorch's default initialisation.
        val_fraction: share of rows held out; the estimate is read on them and training
            stops when it stops improving (0 = no held-out rows, paper protocol).
        patience: evaluations without held-out improvement before stopping.
        min_steps: never stop early before this step.
        smoothing: rate of the moving average over evaluations (paper: 0.01).
        scale_inputs: standardise the critics' inputs (a reparametrisation; the estimate's
            definition is unchanged).
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``.
        dtype: ``"float32"`` or ``"float64"``.
        seed: integer seed; the same seed gives the same numbers on CPU.
        progress: show a progress bar on stderr.
        preprocess: per-column transform first: ``"none"``, ``"standardize"`` (entropies
            are corrected back to the data's scale) or ``"rank"`` (Gaussian copula: keeps
            MI, changes entropies); see :mod:`minee.preprocessing`.
    """

    preset: str = "default"
    lr: float | None = None
    batch_size: int | str | None = None
    ref_factor: float | None = None
    max_steps: int | None = None
    eval_every: int | None = None
    ensemble: int = 1
    hidden: int | None = None
    depth: int | None = None
    activation: str | None = None
    init: float | str | None = None
    val_fraction: float | None = None
    patience: int | None = None
    min_steps: int | None = None
    smoothing: float | None = None
    scale_inputs: bool | None = None
    device: str = "auto"
    dtype: str = "float32"
    seed: int | None = None
    progress: bool = False
    preprocess: str = "none"

    _kind: ClassVar[str] = "mi"
    _quantity: ClassVar[str] = "mutual_information"
    _value_attr: ClassVar[str] = "mutual_information_"

    # scikit-learn contract ---------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Hyperparameters as passed to the constructor."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def set_params(self, **params: Any) -> _Estimator:
        """Set hyperparameters by name; returns ``self``."""
        valid = {f.name for f in fields(self)}
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        changed = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                   if getattr(self, f.name) != f.default]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __getattr__(self, name: str) -> Any:
        if name.endswith("_") and not name.startswith("_"):
            raise AttributeError(
                f"{type(self).__name__}.{name} exists after fit(); call fit first")
        raise AttributeError(name)

    # the work ----------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """The resolved settings (preset merged with the given hyperparameters); a batch
        size of ``"auto"`` is resolved against the training rows in ``fit``."""
        s = resolve(self.preset, self._kind, self.get_params())
        _check_settings(s, self.ensemble)
        if self._kind != "mine" and s["reference"] == "marginals":
            raise ValueError(
                "reference='marginals' (the product of the marginals) has no known density, "
                "which entropies need; that reference is MINE's: use minee.MINE or "
                "method='mine', or reference='uniform' or 'gaussian'")
        return s

    def _heads(self, widths: dict[str, int]) -> _Heads:
        """The heads for variables of the given widths (class-specific)."""
        raise NotImplementedError

    def _fit_arrays(self, **arrays: Any) -> None:
        """Validate, train on one sample and set the fitted attributes."""
        data, widths = _stack(**arrays)
        self._train(self._prepare_data(data[None], widths))

    def _prepare_arrays(self, **arrays: Any) -> Run:
        data, widths = _stack_batch(**arrays)
        return self._prepare_data(data, widths)

    def _prepare_data(self, data: np.ndarray, widths: dict[str, int]) -> Run:
        """Preprocess P validated samples (P, n, D) and build their model."""
        if self.preprocess not in TRANSFORMS:
            raise ValueError(f"unknown preprocess {self.preprocess!r}; choose one of "
                             f"{', '.join(TRANSFORMS)}")
        parts = [transform(sample, self.preprocess) for sample in data]
        scales = [log_scale for _, log_scale in parts]
        return self._prepare(np.stack([t for t, _ in parts]), self._heads(widths),
                             log_scale=None if scales[0] is None else np.stack(scales))

    def _train(self, run: Run) -> list[Estimate]:
        """Train a prepared run to the end (with the progress bar) and set the fitted
        attributes from its first problem."""
        with ProgressBar(run.engine.config.max_steps, type(self).__name__,
                         enabled=self.progress) as bar:
            run.engine.run(callback=bar.update)
        results = run.results()
        self._set_fitted(run, results[0])
        return results

    def _set_fitted(self, run: Run, est: Estimate) -> None:
        self.run_, self.engine_ = run, run.engine
        self.estimate_, self.history_ = est, est.history
        self.entropies_ = est.entropies
        setattr(self, self._value_attr, est.value)

    def _null_data(self, data: np.ndarray, heads: _Heads, seed: int) -> np.ndarray | None:
        """The permutation-null samples (P, n, D): Y's rows shuffled, or ``None``."""
        return None

    def _prepare(self, data: np.ndarray, heads: _Heads, *, log_scale: np.ndarray | None,
                 seed: int | None = None) -> Run:
        """Build the batched model for P problems with the same heads.

        Arguments:
            data: P samples of the same shape, (P, n, D), already preprocessed; each gets
                ``ensemble`` members (member index = problem * ensemble + k), and with
                ``null=True`` each also gets a shuffled copy (problem P + p).
            heads: the variable sets.
            log_scale: see :class:`Run`.
            seed: the resolved seed (default: from ``self.seed``).

        Returns:
            A :class:`Run` whose ``engine`` is ready to train.
        """
        n_problems, n, dim = data.shape
        k = self.ensemble
        s = self.settings()
        device, dtype = resolve_device(self.device), resolve_dtype(self.dtype)
        seed = _seed(self.seed) if seed is None else seed
        n_val = int(round(s["val_fraction"] * n))
        if s["val_fraction"] and (n_val < 5 or n - n_val < 5):
            raise ValueError(
                f"val_fraction={s['val_fraction']} leaves {n - n_val} training and {n_val} "
                "held-out rows; provide more rows or set val_fraction=0")
        if s["batch_size"] == "auto":
            s["batch_size"] = min(AUTO_BATCH, n - n_val)
        elif s["batch_size"] > n - n_val:
            raise ValueError(
                f"batch_size={s['batch_size']} exceeds the {n - n_val} training rows; lower "
                "batch_size, use batch_size='auto', or provide more rows")
        null = self._null_data(data, heads, seed)
        problems = data if null is None else np.concatenate([data, null])
        order = np.random.default_rng(seed).permutation(n)
        rows = torch.as_tensor(problems, dtype=dtype, device=device).repeat_interleave(k, 0)
        train = rows[:, torch.as_tensor(np.sort(order[n_val:]), device=device)]
        heldout = rows[:, torch.as_tensor(np.sort(order[:n_val]), device=device)] if n_val \
            else None
        masks = torch.as_tensor(heads.masks, device=device)
        reference = make_reference(s["reference"], rows,
                                   groups=torch.as_tensor(heads.groups, device=device),
                                   margin=s["margin"])
        if s["scale_inputs"]:
            shift, scale = rows.mean(1, keepdim=True), rows.std(1, keepdim=True)
        else:
            shift, scale = rows.new_zeros(rows.shape[0], 1, dim), rows.new_ones(1, 1, dim)
        critic = Critic(masks, members=rows.shape[0], form=s["form"], shift=shift[:, None],
                        scale=scale[:, None], hidden=s["hidden"], depth=s["depth"],
                        activation=s["activation"],
                        init_std=None if s["init"] == "torch" else float(s["init"]),
                        generator=torch.Generator().manual_seed(seed)
                        ).to(device=device, dtype=dtype)
        config = EngineConfig(
            lr=s["lr"], batch_size=s["batch_size"], ref_factor=s["ref_factor"],
            max_steps=s["max_steps"], eval_every=s["eval_every"],
            objective="mine" if self._kind == "mine" else "dv", ma_rate=s["ma_rate"],
            patience=s["patience"], min_steps=s["min_steps"], smoothing=s["smoothing"])
        generator = torch.Generator(device=device).manual_seed(seed)
        engine = Engine(critic, reference, train, heldout, config, generator)
        return Run(self, engine, reference, heads, masks, data, log_scale, seed,
                   null=null is not None)

    def _summarise(self, run: Run) -> list[Estimate]:
        """Turn the engine's divergences (members = problems x ensemble) into estimates.

        Every number here comes from the engine's recorded state, so a run can be
        summarised at any point (after an interruption, between checkpoints)."""
        engine, reference, heads, masks = run.engine, run.reference, run.heads, run.masks
        n_problems, k = run.data.shape[0], self.ensemble
        heldout = engine.heldout_rows is not None
        eval_rows = engine.heldout_rows if heldout else engine.train_rows
        signs = torch.as_tensor(heads.signs, dtype=torch.float64)
        density = reference.has_density
        # ln of the preprocessing scales per member and head: H(data) = H(scaled) + this
        offset = torch.zeros(engine.critic.members, len(heads.names), dtype=torch.float64)
        if run.log_scale is not None:
            per_problem = torch.as_tensor(run.log_scale @ heads.masks.T.astype(float))
            offset[: n_problems * k] = per_problem.repeat_interleave(k, 0)

        def ce(rows: torch.Tensor) -> torch.Tensor:
            """Cross-entropy per member and head plus the scale offset, (M, H)."""
            return reference.neg_log_density(rows, masks).mean(-1).double().cpu() + offset

        def combine(div: torch.Tensor, ce_mh: torch.Tensor | None) -> torch.Tensor:
            """Divergences (..., M, H) -> the target per member (..., M)."""
            if not density:
                return div[..., 0].double()
            return ((ce_mh - div.double()) * signs).sum(-1)

        ce_eval, variance = self._evaluation_terms(engine, reference, heads, masks)
        if density:
            ce_eval = ce_eval + offset
        ce_train = ce(engine.train_rows) if density else None
        div = engine.divergences().double()  # (M, H)
        values = combine(div, ce_eval).numpy()
        train_values = combine(engine.smoothed("train"), ce_train).numpy()
        hist = engine.history()
        train_curve = combine(hist["train"], ce_train).numpy()  # (T, M)
        held_curve = combine(hist["heldout"], ce_eval).numpy() if heldout else None
        entropies = (ce_eval - div).numpy() if density else None
        outside = reference.outside(eval_rows).double().mean(1).cpu().numpy()
        diverged = engine.diverged.numpy()

        def summary(p: int) -> Estimate:
            sl = slice(p * k, (p + 1) * k)
            members = values[sl]
            finite = np.isfinite(members)
            value = float(np.mean(members[finite])) if finite.any() else math.nan

            def avg(a: np.ndarray) -> np.ndarray:
                """Mean over this problem's finite members (axis -2 of (..., M, H))."""
                part = a[..., sl, :]
                return part[..., finite, :].mean(-2) if finite.any() else part[..., 0, :]

            def per_head(a: np.ndarray) -> dict[str, Any]:
                return dict(zip(heads.names, a, strict=True))

            history = History(
                steps=hist["steps"].numpy(), train=train_curve[:, sl],
                heldout=None if held_curve is None else held_curve[:, sl],
                divergences=per_head(avg(hist["train"].double().numpy()).T),
                heldout_divergences=per_head(avg(hist["heldout"].double().numpy()).T)
                if heldout else {},
                stopped_early=engine.stopped_early)
            stderr = _stderr(members[finite], variance[sl][finite])
            ci = None if stderr is None else (value - Z95 * stderr, value + Z95 * stderr)
            flags = diagnostics.data_checks(run.data[p % n_problems],
                                            float(outside[sl].mean()))
            flags.update(diagnostics.training_checks(
                history.steps, history.estimate, float(np.nanmean(train_values[sl])), value,
                diverged=int(diverged[sl].sum()), members=k,
                stopped_early=engine.stopped_early, heldout=heldout))
            return Estimate(
                value=value,
                entropies={} if entropies is None
                else {h: float(v) for h, v in per_head(avg(entropies)).items()},
                divergences={h: float(v) for h, v in per_head(avg(div.numpy())).items()},
                history=history, diagnostics=flags, members=members, stderr=stderr, ci=ci,
                quantity=self._quantity, preprocess=self.preprocess)

        results = []
        for p in range(n_problems):
            est = summary(p)
            if run.null:
                null = summary(n_problems + p)
                est = replace(est, null=null.value, null_stderr=null.stderr)
            if self._kind != "entropy":
                est.diagnostics.update(diagnostics.noise_checks(
                    est.value, est.stderr, est.null, est.null_stderr))
            diagnostics.emit(est.diagnostics)
            results.append(est)
        return results

    @torch.no_grad()
    def _evaluation_terms(self, engine: Engine, reference: Reference, heads: _Heads,
                          masks: torch.Tensor) -> tuple[torch.Tensor | None, np.ndarray]:
        r"""The cross-entropy terms the estimate uses, and its sampling variance.

        Each entropy is $H_h = \overline{c_h - f_h}$ over evaluation rows, with
        $c_h = -\ln p_{\mathrm{ref},h}(z)$ and $f_h$ the critic (plus the reference's
        log-mean-exp, whose variance over ``ref_factor * n`` rows is left out). Reading it on
        the held-out rows alone keeps it honest but noisy: for data close to the reference,
        nearly all its variance is the cross-entropy's. The reference's density does not
        depend on the training, so $\bar c_h$ over *all* rows is an unbiased, less noisy
        estimate of the same cross-entropy; it enters as a control variate,
        $H_h = \overline{c_h - f_h}^{\,val} + \beta_h(\bar c_h^{\,all} - \bar c_h^{\,val})$,
        with $\beta_h$ the regression coefficient of $c_h - f_h$ on $c_h$ over held-out rows
        (the variance-minimising choice; 0 for the uniform box, whose $c_h$ is constant).

        Returns:
            ``(cross_entropy, variance)``: per member and head the cross-entropy term (M, H)
            to subtract divergences from (``None`` without a reference density), and per
            member the variance of its estimate over the evaluation rows (M,), nats^2,
            which is what a bootstrap over those rows would give, in closed form. Bias
            from an imperfect critic is not in it.
        """
        heldout = engine.heldout_rows
        rows = engine.train_rows if heldout is None else heldout
        n_eval = rows.shape[1]
        f = engine.critic(rows).double()  # (M, H, n_eval)
        if not reference.has_density:
            return None, (f[:, 0].var(dim=1) / n_eval).cpu().numpy()
        signs = torch.as_tensor(heads.signs, dtype=torch.float64, device=f.device)[:, None]
        c = reference.neg_log_density(rows, masks).double()  # (M, H, n_eval)
        g = c - f
        if heldout is None:
            return c.mean(-1).cpu(), ((g * signs).sum(1).var(dim=1) / n_eval).cpu().numpy()
        n_all = n_eval + engine.train_rows.shape[1]
        c_all = (c.sum(-1) + reference.neg_log_density(engine.train_rows, masks).double()
                 .sum(-1)) / n_all
        dc, dg = c - c.mean(-1, keepdim=True), g - g.mean(-1, keepdim=True)
        var_c = (dc**2).mean(-1)
        beta = torch.where(var_c > 0, (dc * dg).mean(-1) / var_c.clamp_min(1e-300), 0.0)
        cross_entropy = c.mean(-1) + beta * (c_all - c.mean(-1))
        # the estimate is mean_val(G - C) + mean_all(C) for the signed sums G and C below
        big_g, big_c = (g * signs).sum(1), (beta[..., None] * c * signs).sum(1)  # (M, n)
        resid = big_g - big_c
        cov = ((resid - resid.mean(-1, keepdim=True))
               * (big_c - big_c.mean(-1, keepdim=True))).sum(-1) / (n_eval - 1)
        variance = resid.var(dim=1) / n_eval + big_c.var(dim=1) / n_all + 2 * cov / n_all
        return cross_entropy.cpu(), variance.clamp_min(0).cpu().numpy()


def _stderr(members: np.ndarray, variance: np.ndarray) -> float | None:
    """Standard error of the member mean, nats.

    Arguments:
        members: the finite members' estimates, (K,).
        variance: the sampling variance of each over the evaluation rows, (K,), nats^2.
            Members share those rows, so their mean has (about) the mean variance; their
            spread adds what differs between trainings (initialisation, batches).
    """
    if not members.size or not np.isfinite(variance).all():
        return None
    spread = float(np.var(members, ddof=1)) / members.size if members.size > 1 else 0.0
    return math.sqrt(float(variance.mean()) + spread)


def _check_settings(s: dict[str, Any], ensemble: int) -> None:
    def positive(name: str, kind: type | tuple[type, ...] = (int, float)) -> None:
        v = s[name]
        if isinstance(v, bool) or not isinstance(v, kind) or v <= 0:
            raise ValueError(f"{name} must be a positive {getattr(kind, '__name__', 'number')},"
                             f" got {v!r}")

    for name in ("lr", "ref_factor"):
        positive(name)
    for name in ("max_steps", "eval_every", "hidden", "depth"):
        positive(name, int)
    if isinstance(ensemble, bool) or not isinstance(ensemble, int) or ensemble < 1:
        raise ValueError(f"ensemble must be a positive int, got {ensemble!r}")
    if s["batch_size"] != "auto":
        positive("batch_size", int)
    if not 0 <= s["val_fraction"] < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {s['val_fraction']!r}")
    if not 0 < s["smoothing"] <= 1:
        raise ValueError(f"smoothing must be in (0, 1], got {s['smoothing']!r}")
    if not 0 < s["ma_rate"] <= 1:
        raise ValueError(f"ma_rate must be in (0, 1], got {s['ma_rate']!r}")
    if s["patience"] is not None:
        positive("patience", int)
    if s["init"] != "torch" and (isinstance(s["init"], str) or not s["init"] > 0):
        raise ValueError(f"init must be a positive std or 'torch', got {s['init']!r}")
    if isinstance(s["margin"], bool) or not isinstance(s["margin"], (int, float)) \
            or s["margin"] < 0:
        raise ValueError(f"margin must be a number >= 0, got {s['margin']!r}")


def _seed(seed: int | None) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
    return int(seed)


_BATCH_DOC = """Build, without training, one batched model for P samples.

        Each argument has shape (P, n, d_var): P problems with the same shapes, each given
        ``ensemble`` members. Train with ``run.engine.run(...)``; ``run.results()`` gives one
        :class:`Estimate` per problem. Used for multi-seed experiments, checkpointed runs and
        many estimates at once.
        """


@dataclass(kw_only=True, eq=False, repr=False)
class _MIEstimator(_Estimator):
    """Settings of the (conditional) MI estimators on top of the shared ones.

    Arguments:
        null: also estimate, in the same batched model, the MI of each sample with Y's
            rows shuffled (dependence destroyed, marginals and Z kept): the permutation
            null level, reported as ``Estimate.null`` and used by the ``noise_level``
            diagnostic. Doubles the work.
    """

    null: bool = False

    def _null_data(self, data: np.ndarray, heads: _Heads, seed: int) -> np.ndarray | None:
        if not self.null:
            return None
        y = heads.groups[list(heads.widths).index("y")]
        rng = np.random.default_rng([seed, 1])  # a stream apart from the split's
        null = data.copy()
        for sample in null:
            sample[:, y] = sample[rng.permutation(sample.shape[0])][:, y]
        return null


@dataclass(kw_only=True, eq=False, repr=False)
class _PairEstimator(_MIEstimator):
    """I(X;Y) estimators: ``fit(x, y)`` and ``prepare_batch(xs, ys)``."""

    def fit(self, x: Any, y: Any) -> _PairEstimator:
        """Estimate I(x; y) from paired samples, shapes (n, dx) and (n, dy)."""
        self._fit_arrays(x=x, y=y)
        return self

    def prepare_batch(self, xs: Any, ys: Any) -> Run:
        return self._prepare_arrays(x=xs, y=ys)

    prepare_batch.__doc__ = _BATCH_DOC


@dataclass(kw_only=True, eq=False, repr=False)
class NEE(_Estimator):
    r"""Neural entropic estimation of differential entropy $H(Z)$ in nats (eq. 14).

    Arguments:
        reference: ``"uniform"`` (the sample's bounding box, eq. 22) or ``"gaussian"``.
        margin: relative widening of the uniform box on each side.
        form: critic form; with one head both forms are the same network.
        (others: see the shared settings.)

    Fitted attributes: ``entropy_`` (nats), ``estimate_`` (:class:`Estimate`),
    ``history_``.
    """

    reference: str | None = None
    margin: float | None = None
    form: str | None = None

    _kind: ClassVar[str] = "entropy"
    _quantity: ClassVar[str] = "entropy"
    _value_attr: ClassVar[str] = "entropy_"

    def _heads(self, widths: dict[str, int]) -> _Heads:
        return _blocks(widths, {"x": ("x",)}, {"x": 1.0})

    def fit(self, x: Any) -> NEE:
        """Estimate H(x) from samples ``x`` of shape (n, d) or (n,)."""
        self._fit_arrays(x=x)
        return self

    def prepare_batch(self, xs: Any) -> Run:
        return self._prepare_arrays(x=xs)

    prepare_batch.__doc__ = _BATCH_DOC


@dataclass(kw_only=True, eq=False, repr=False)
class MINEE(_PairEstimator):
    r"""MI-NEE: $I(X;Y) = H(X) + H(Y) - H(X,Y)$ from three entropic critics (eq. 18).

    Arguments:
        reference: ``"uniform"`` (paper; the joint box is the product of the marginal
            boxes, so the cross-entropies cancel, Proposition 2) or ``"gaussian"`` (fitted
            mean and covariance; sits close to the data in high dimensions).
        margin: relative widening of the uniform box on each side.
        form: ``"separate"`` (three critics, the authors' code) or ``"shared"`` (one critic
            with three outputs, §3.2).
        (others: see the shared settings.)

    Fitted attributes: ``mutual_information_`` (nats), ``entropies_``, ``estimate_``,
    ``history_``.
    """

    reference: str | None = None
    margin: float | None = None
    form: str | None = None

    def _heads(self, widths: dict[str, int]) -> _Heads:
        return _blocks(widths, {"xy": ("x", "y"), "x": ("x",), "y": ("y",)},
                       {"xy": -1.0, "x": 1.0, "y": 1.0})


@dataclass(kw_only=True, eq=False, repr=False)
class MINE(_PairEstimator):
    r"""MINE: $I(X;Y) = D(p_{XY} \| p_X p_Y)$ by one critic against resampled marginals.

    Trained with the moving-average gradient correction of Belghazi et al. (2018).

    Arguments:
        ma_rate: the moving-average rate (paper: 0.01).
        (others: see the shared settings; the paper preset uses a 300-wide critic.)

    Fitted attributes: ``mutual_information_`` (nats), ``estimate_``, ``history_``.
    """

    ma_rate: float | None = None

    _kind: ClassVar[str] = "mine"

    def _heads(self, widths: dict[str, int]) -> _Heads:
        return _blocks(widths, {"xy": ("x", "y")}, {"xy": 1.0})


@dataclass(kw_only=True, eq=False, repr=False)
class CMINEE(_MIEstimator):
    r"""Conditional MI $I(X;Y|Z) = H(X,Z) + H(Y,Z) - H(X,Y,Z) - H(Z)$ with four heads.

    Arguments: as :class:`MINEE`.

    Fitted attributes: ``mutual_information_`` (nats), ``entropies_``, ``estimate_``,
    ``history_``.
    """

    reference: str | None = None
    margin: float | None = None
    form: str | None = None

    _quantity: ClassVar[str] = "conditional_mutual_information"

    def _heads(self, widths: dict[str, int]) -> _Heads:
        return _blocks(widths, {"xz": ("x", "z"), "yz": ("y", "z"), "xyz": ("x", "y", "z"),
                                "z": ("z",)},
                       {"xz": 1.0, "yz": 1.0, "xyz": -1.0, "z": -1.0})

    def fit(self, x: Any, y: Any, z: Any) -> CMINEE:
        """Estimate I(x; y | z) from paired samples, shapes (n, dx), (n, dy), (n, dz)."""
        self._fit_arrays(x=x, y=y, z=z)
        return self

    def prepare_batch(self, xs: Any, ys: Any, zs: Any) -> Run:
        return self._prepare_arrays(x=xs, y=ys, z=zs)

    prepare_batch.__doc__ = _BATCH_DOC


def _stack(**arrays: Any) -> tuple[np.ndarray, dict[str, int]]:
    """Validate the variables and join them column-wise: (n, D) and each one's width."""
    mats = {name: as_matrix(a, name, min_rows=MIN_ROWS) for name, a in arrays.items()}
    check_same_rows(**mats)
    return np.hstack(list(mats.values())), {k: m.shape[1] for k, m in mats.items()}


def _stack_batch(**arrays: Any) -> tuple[np.ndarray, dict[str, int]]:
    """Like :func:`_stack` for P problems: each array (P, n, d) -> (P, n, D)."""
    batches = {name: np.asarray(a.detach().cpu() if isinstance(a, torch.Tensor) else a,
                                dtype=np.float64) for name, a in arrays.items()}
    for name, a in batches.items():
        if a.ndim != 3:
            raise ValueError(f"{name} must have shape (P, n, d) for a batch, got {a.shape}")
    sizes = {a.shape[0] for a in batches.values()}
    if len(sizes) > 1:
        raise ValueError(f"batches hold different numbers of problems: {sorted(sizes)}")
    per_problem = [_stack(**{k: a[p] for k, a in batches.items()})
                   for p in range(next(iter(sizes)))]
    return np.stack([d for d, _ in per_problem]), per_problem[0][1]
