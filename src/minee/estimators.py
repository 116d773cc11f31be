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
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
import torch

from . import diagnostics
from .critics import Critic
from .engine import Engine, EngineConfig
from .estimate import Estimate, History
from .inputs import as_matrix, check_same_rows, resolve_device, resolve_dtype
from .presets import AUTO_BATCH, resolve
from .progress import ProgressBar
from .references import Reference, make_reference

__all__ = ["NEE", "MINEE", "MINE", "CMINEE"]

MIN_ROWS = 10


@dataclass(frozen=True)
class _Heads:
    """The variable sets of an estimate: names, column masks (H, D), entropy signs (H,)."""

    names: tuple[str, ...]
    masks: np.ndarray
    signs: np.ndarray
    groups: np.ndarray  # the variables' column blocks (for the marginals reference)


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
    return _Heads(tuple(sets), masks, np.array([signs[s] for s in sets]), groups)


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
    def settings(self, n_rows: int | None = None) -> dict[str, Any]:
        """The resolved settings (preset merged with the given hyperparameters)."""
        s = resolve(self.preset, self._kind, self.get_params())
        _check_settings(s, self.ensemble)
        if s["batch_size"] == "auto" and n_rows is not None:
            s["batch_size"] = min(AUTO_BATCH, n_rows)
        return s

    def _reference_kind(self, s: dict[str, Any]) -> str:
        return s["reference"]

    def _fit(self, data: np.ndarray, heads: _Heads) -> Estimate:
        """Train the heads on ``data`` (n, D); set the fitted attributes; return the result."""
        n, dim = data.shape
        s = self.settings()
        device, dtype = resolve_device(self.device), resolve_dtype(self.dtype)
        seed = _seed(self.seed)
        rng = np.random.default_rng(seed)
        n_val = int(round(s["val_fraction"] * n))
        if s["val_fraction"] and (n_val < 5 or n - n_val < 5):
            raise ValueError(
                f"val_fraction={s['val_fraction']} leaves {n - n_val} training and {n_val} "
                "held-out rows; provide more rows or set val_fraction=0")
        order = rng.permutation(n)
        all_rows = torch.as_tensor(data, dtype=dtype, device=device)
        train = all_rows[torch.as_tensor(np.sort(order[n_val:]), device=device)]
        heldout = (all_rows[torch.as_tensor(np.sort(order[:n_val]), device=device)]
                   if n_val else None)
        if s["batch_size"] == "auto":
            s["batch_size"] = min(AUTO_BATCH, n - n_val)
        elif s["batch_size"] > n - n_val:
            raise ValueError(
                f"batch_size={s['batch_size']} exceeds the {n - n_val} training rows; lower "
                "batch_size, use batch_size='auto', or provide more rows")
        masks = torch.as_tensor(heads.masks, device=device)
        reference = make_reference(self._reference_kind(s), all_rows,
                                   groups=torch.as_tensor(heads.groups, device=device),
                                   margin=s["margin"])
        if s["scale_inputs"]:
            shift, scale = all_rows.mean(0), all_rows.std(0)
        else:
            shift, scale = all_rows.new_zeros(dim), all_rows.new_ones(dim)
        init_gen = torch.Generator().manual_seed(seed)
        critic = Critic(masks, members=self.ensemble, form=s["form"], shift=shift,
                        scale=scale, hidden=s["hidden"], depth=s["depth"],
                        activation=s["activation"],
                        init_std=None if s["init"] == "torch" else float(s["init"]),
                        generator=init_gen).to(device=device, dtype=dtype)
        config = EngineConfig(
            lr=s["lr"], batch_size=s["batch_size"], ref_factor=s["ref_factor"],
            max_steps=s["max_steps"], eval_every=s["eval_every"],
            objective="mine" if self._kind == "mine" else "dv", ma_rate=s["ma_rate"],
            patience=s["patience"], min_steps=s["min_steps"], smoothing=s["smoothing"])
        generator = torch.Generator(device=device).manual_seed(seed)
        engine = Engine(critic, reference, train, heldout, config, generator)
        with ProgressBar(config.max_steps, type(self).__name__, enabled=self.progress) as bar:
            engine.run(callback=bar.update)
        self.engine_ = engine
        est = self._summarise(engine, reference, heads, masks, data)
        self.estimate_, self.history_ = est, est.history
        self.entropies_ = est.entropies
        setattr(self, self._value_attr, est.value)
        return est

    def _summarise(self, engine: Engine, reference: Reference, heads: _Heads,
                   masks: torch.Tensor, data: np.ndarray) -> Estimate:
        eval_rows = engine.heldout_rows if engine.heldout_rows is not None else engine.train_rows
        signs = torch.as_tensor(heads.signs, dtype=torch.float64)
        density = reference.has_density

        def ce(rows: torch.Tensor) -> torch.Tensor:
            return reference.neg_log_density(rows, masks).mean(1).double().cpu()

        def combine(div: torch.Tensor, ce_h: torch.Tensor | None) -> torch.Tensor:
            """Divergences (..., H) -> the target per member (...)."""
            if not density:
                return div[..., 0].double()
            return ((ce_h - div.double()) * signs).sum(-1)

        ce_eval = ce(eval_rows) if density else None
        ce_train = ce(engine.train_rows) if density else None
        div = engine.divergences()  # (K, H)
        members = combine(div, ce_eval).numpy()
        finite = np.isfinite(members)
        value = float(np.mean(members[finite])) if finite.any() else math.nan

        hist = engine.history()
        train_curve = combine(hist["train"], ce_train).numpy()
        held_curve = combine(hist["heldout"], ce_eval).numpy() if "heldout" in hist else None
        history = History(
            steps=hist["steps"].numpy(), train=train_curve, heldout=held_curve,
            divergences={name: np.nanmean(hist["train"][..., h].numpy(), axis=1)
                         if np.isfinite(hist["train"][..., h].numpy()).any()
                         else hist["train"][:, 0, h].numpy()
                         for h, name in enumerate(heads.names)})
        mean_div = np.nanmean(div.numpy(), axis=0) if finite.any() else div.numpy()[0]
        divergences = {name: float(mean_div[h]) for h, name in enumerate(heads.names)}
        entropies: dict[str, float] = {}
        if density:
            ent = (ce_eval.numpy() - div.double().numpy())
            ent_mean = np.nanmean(ent, axis=0) if finite.any() else ent[0]
            entropies = {name: float(ent_mean[h]) for h, name in enumerate(heads.names)}
        stderr = self._stderr(engine, reference, heads, masks, eval_rows, members[finite])
        ci = None if stderr is None else (value - 1.959964 * stderr, value + 1.959964 * stderr)

        outside = float(reference.outside(eval_rows).double().mean())
        train_value = float(np.nanmean(combine(engine.smoothed("train"), ce_train).numpy()))
        flags = diagnostics.data_checks(data, outside)
        flags.update(diagnostics.training_checks(
            history.steps, history.estimate, train_value, value,
            diverged=int(engine.diverged.sum()), members=self.ensemble,
            stopped_early=engine.stopped_early, heldout=engine.heldout_rows is not None))
        diagnostics.emit(flags)
        return Estimate(value=value, entropies=entropies, divergences=divergences,
                        history=history, diagnostics=flags, members=members, stderr=stderr,
                        ci=ci, quantity=self._quantity)

    @torch.no_grad()
    def _stderr(self, engine: Engine, reference: Reference, heads: _Heads,
                masks: torch.Tensor, rows: torch.Tensor, members: np.ndarray) -> float | None:
        """Standard error: sampling error of the mean over evaluation rows, plus spread.

        The estimate is a mean over evaluation rows of a pointwise quantity
        sum_h sign_h (-ln p_ref,h(z) - f_h(z)) plus constants, so its sampling variance is
        the rows' variance / n (the bootstrap's answer, in closed form). Different ensemble
        members add the variance of their mean. Bias from an imperfect critic is not in it.
        """
        f = engine.critic(rows).double()  # (K, H, n)
        if not bool(torch.isfinite(f).any()):
            return None
        if reference.has_density:
            pointwise = reference.neg_log_density(rows, masks).double()[None] - f
            pointwise = (pointwise * torch.as_tensor(heads.signs)[None, :, None]).sum(1)
        else:
            pointwise = f[:, 0]
        ok = torch.isfinite(pointwise).all(1)
        var_rows = pointwise[ok].var(dim=1).mean().item() / rows.shape[0]
        var_members = float(np.var(members, ddof=1)) / members.size if members.size > 1 else 0.0
        return math.sqrt(var_rows + var_members)


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


def _seed(seed: int | None) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
    return int(seed)


@dataclass(kw_only=True, eq=False, repr=False)
class NEE(_Estimator):
    r"""Neural entropic estimation of differential entropy $H(Z)$ in nats (eq. 14).

    Arguments:
        reference: ``"uniform"`` (the sample's bounding box, eq. 22) or ``"gaussian"``.
        margin: relative widening of the uniform box on each side.
        form: ignored for one head; kept so that all estimators share the critic settings.
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

    def fit(self, x: Any) -> NEE:
        """Estimate H(x) from samples ``x`` of shape (n, d) or (n,)."""
        if self.settings()["reference"] == "marginals":
            raise ValueError("entropy needs a reference with a known density: "
                             "use reference='uniform' or 'gaussian'")
        data, (dx,) = _stack(x=x)
        self._fit(data, _blocks({"x": dx}, {"x": ("x",)}, {"x": 1.0}))
        return self


@dataclass(kw_only=True, eq=False, repr=False)
class MINEE(_Estimator):
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

    def fit(self, x: Any, y: Any) -> MINEE:
        """Estimate I(x; y) from paired samples, shapes (n, dx) and (n, dy)."""
        if self.settings()["reference"] == "marginals":
            raise ValueError("MINEE's reference must have a known density ('uniform' or "
                             "'gaussian'); the product of marginals is MINE: use minee.MINE")
        data, (dx, dy) = _stack(x=x, y=y)
        self._fit(data, _blocks({"x": dx, "y": dy},
                                {"xy": ("x", "y"), "x": ("x",), "y": ("y",)},
                                {"xy": -1.0, "x": 1.0, "y": 1.0}))
        return self


@dataclass(kw_only=True, eq=False, repr=False)
class MINE(_Estimator):
    r"""MINE: $I(X;Y) = D(p_{XY} \| p_X p_Y)$ by one critic against resampled marginals.

    Trained with the moving-average gradient correction of Belghazi et al. (2018).

    Arguments:
        ma_rate: the moving-average rate (paper: 0.01).
        (others: see the shared settings; the paper preset uses a 300-wide critic.)

    Fitted attributes: ``mutual_information_`` (nats), ``estimate_``, ``history_``.
    """

    ma_rate: float | None = None

    _kind: ClassVar[str] = "mine"

    def _reference_kind(self, s: dict[str, Any]) -> str:
        return "marginals"

    def fit(self, x: Any, y: Any) -> MINE:
        """Estimate I(x; y) from paired samples, shapes (n, dx) and (n, dy)."""
        data, (dx, dy) = _stack(x=x, y=y)
        self._fit(data, _blocks({"x": dx, "y": dy}, {"xy": ("x", "y")}, {"xy": 1.0}))
        return self


@dataclass(kw_only=True, eq=False, repr=False)
class CMINEE(_Estimator):
    r"""Conditional MI $I(X;Y|Z) = H(X,Z) + H(Y,Z) - H(X,Y,Z) - H(Z)$ with four heads.

    Arguments: as :class:`MINEE`.

    Fitted attributes: ``mutual_information_`` (nats), ``entropies_``, ``estimate_``,
    ``history_``.
    """

    reference: str | None = None
    margin: float | None = None
    form: str | None = None

    _quantity: ClassVar[str] = "conditional_mutual_information"

    def fit(self, x: Any, y: Any, z: Any) -> CMINEE:
        """Estimate I(x; y | z) from paired samples, shapes (n, dx), (n, dy), (n, dz)."""
        if self.settings()["reference"] == "marginals":
            raise ValueError("CMINEE needs reference='uniform' or 'gaussian'")
        data, (dx, dy, dz) = _stack(x=x, y=y, z=z)
        self._fit(data, _blocks({"x": dx, "y": dy, "z": dz},
                                {"xz": ("x", "z"), "yz": ("y", "z"), "xyz": ("x", "y", "z"),
                                 "z": ("z",)},
                                {"xz": 1.0, "yz": 1.0, "xyz": -1.0, "z": -1.0}))
        return self


def _stack(**arrays: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    """Validate the variables and join them column-wise: (n, D) and each one's width."""
    mats = {name: as_matrix(a, name, min_rows=MIN_ROWS) for name, a in arrays.items()}
    check_same_rows(**mats)
    return np.hstack(list(mats.values())), tuple(m.shape[1] for m in mats.values())
