"""What every estimator shares: hyperparameters, the scikit-learn contract, fitting.

The classes follow scikit-learn's contract without depending on it: keyword-only
hyperparameters stored unchanged (``None`` means "take it from ``preset``"),
``get_params``/``set_params`` (so ``sklearn.base.clone`` works), ``fit`` returns ``self``,
and learned state ends in ``_``. Fitting is: resolve the :class:`~minee.settings.Settings`
(validating every value), preprocess, build the batched model (:mod:`minee.model`), train
it, summarise it (:mod:`minee.summary`) and raise the estimate's diagnostics as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, cast

import numpy as np

from . import diagnostics, model
from .heads import Heads
from .inputs import check_rank, stack_batch, stack_variables
from .model import Run
from .preprocessing import transform
from .progress import ProgressBar
from .references import has_density
from .settings import Settings, resolve

__all__ = ["Estimator", "batch_doc"]


@dataclass(kw_only=True, eq=False, repr=False)
class Estimator:
    """Settings shared by every estimator (each ``None`` is filled from ``preset``).

    Arguments:
        preset: ``"default"`` (minee's tuned settings) or ``"paper"`` (the authors').
        lr: Adam learning rate, in (0, 1].
        batch_size: rows per minibatch per head; ``"auto"`` = all training rows up to the
            preset's cap (256 for MI, 512 for entropies).
        ref_factor: reference rows per step as a multiple of the batch (and of the rows at
            evaluation).
        max_steps: the most optimiser steps.
        eval_every: evaluate the full-sample estimate every this many steps.
        ensemble: K, independent critic sets trained together; the estimate is their mean.
        folds: F > 1 cross-fits: the rows are split into F disjoint folds and each fold is
            held out by its own critic set(s) (``ensemble`` per fold, all trained together),
            so every row is read once, by critics that did not train on it, and the
            estimate is the mean over folds (F times the training cost; ``val_fraction``
            is then not used). 1: one split at ``val_fraction``. ``"auto"`` (the MI
            default): :data:`minee.model.AUTO_FOLDS` folds below
            :data:`minee.model.CROSS_FIT_ROWS` rows, else 1; passing ``val_fraction``
            alone means 1.
        hidden, depth, activation: critic MLP width, number of hidden layers, nonlinearity
            (a key of :data:`minee.critics.ACTIVATIONS`: ``"gelu"`` for the MI default,
            ``"elu"`` for the others and the paper).
        critic_bound: b > 0 bounds every critic value softly to (-b, b) nats
            (``b * tanh(f / b)``), so that no single row far from the reference's samples can
            carry the estimate; 0: unbounded (the paper).
        init: a float s in (0, 1] draws weights from N(0, s^2) with zero biases (paper:
            0.02); ``"torch"`` uses PyTorch's default initialisation; ``"zero-output"``
            the same with the output layer at 0, so that every critic starts as f = 0.
        val_fraction: share of rows held out; the estimate is read on them and training
            stops when no critic improves on them (0 = no held-out rows, paper protocol).
        patience: evaluations without held-out improvement before stopping.
        min_steps: never stop early before this step.
        smoothing: rate of the moving average over evaluations (paper: 0.01).
        averaging: decay d in [0, 1) per step of a moving average of the critics' weights
            (Polyak averaging), which the evaluations and the estimate read: averaged
            weights are less noisy than the last step's, so they read higher on rows they
            did not train on (0.99 for MI, reached after a warm-up of
            ``(10 d - 1) / (1 - d)`` steps; 0: the last step's weights).
        weight_decay: decoupled weight decay of the critics' weights (AdamW), per unit
            learning rate; 0: plain Adam.
        scale_inputs: standardise the critics' inputs (a reparametrisation; the estimate's
            definition is unchanged).
        clamp_inputs: hold each critic input inside the range its training rows span
            (per member and column): outside it a critic keeps its value at the edge
            instead of extrapolating, so one far reference or held-out row cannot carry
            an estimate. Still a critic, so every bound stays a bound.
        compress_tails: read each critic input in the fitted Student-t reference's units
            with its tails compressed to a log scale (:func:`minee.critics.compress_tails`):
            heavy tails otherwise reach the critics with their bulk squeezed near 0 by a
            standard deviation their extremes set. A reparametrisation, so every bound is
            unchanged. References that fit no tails (Gaussian, uniform, marginals) have
            none to compress: the inputs are then read as without it.
        whiten: also decorrelate each head's inputs (:func:`minee.critics.whitening`;
            a reparametrisation, so the estimate's definition is unchanged): strongly
            dependent columns no longer make the first layer learn slowly.
        objective: the training objective's name (:data:`minee.objectives.OBJECTIVES`):
            ``"dv"`` (Donsker-Varadhan, eq. 12) or ``"ma"`` (MINE's moving-average loss).
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``.
        dtype: ``"float32"`` or ``"float64"``.
        threads: torch's intra-op threads during ``fit`` (restored afterwards): a positive
            int, or ``"auto"``: one for small models (where more threads only contend),
            all cores for large ones, and a count the user set (``OMP_NUM_THREADS``,
            ``torch.set_num_threads``) left as it is. See :mod:`minee.threads`.
        seed: integer seed in [0, 2**63); the same seed gives the same numbers on CPU.
        progress: show a progress bar on stderr.
        preprocess: per-column transform first: ``"none"``, ``"standardize"`` (entropies
            are corrected back to the data's scale), ``"rank"`` (normal scores: keeps MI,
            changes entropies) or ``"rank-t"`` (Student-t scores of the ranks, with the
            dof of their own t copula: keeps MI, changes entropies); see
            :mod:`minee.preprocessing`. ``None``: the preset's.
    """

    preset: str = "default"
    lr: float | None = None
    batch_size: int | str | None = None
    ref_factor: float | None = None
    max_steps: int | None = None
    eval_every: int | None = None
    ensemble: int = 1
    folds: int | str | None = None
    hidden: int | None = None
    depth: int | None = None
    activation: str | None = None
    critic_bound: float | None = None
    init: float | str | None = None
    val_fraction: float | None = None
    patience: int | None = None
    min_steps: int | None = None
    smoothing: float | None = None
    averaging: float | None = None
    weight_decay: float | None = None
    scale_inputs: bool | None = None
    clamp_inputs: bool | None = None
    compress_tails: bool | None = None
    whiten: bool | None = None
    objective: str | None = None
    device: str = "auto"
    dtype: str = "float32"
    threads: int | str = "auto"
    seed: int | None = None
    progress: bool = False
    preprocess: str | None = None

    #: the preset table used (``"mi"``, ``"mine"`` or ``"entropy"``)
    _preset_kind: ClassVar[str] = "mi"
    #: what is estimated, as :attr:`minee.results.Estimate.quantity`
    _quantity: ClassVar[str] = "mutual_information"
    #: the fitted attribute holding the value
    _value_attr: ClassVar[str] = "mutual_information_"
    #: whether the target is made of entropies (the reference needs a known density)
    _entropic: ClassVar[bool] = True

    # scikit-learn contract ---------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Hyperparameters as passed to the constructor."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def set_params(self, **params: Any) -> Estimator:
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

    # settings and model ------------------------------------------------------------------
    def settings(self) -> Settings:
        """The resolved, validated settings (preset merged with the given hyperparameters;
        ``seed=None`` draws a seed). ``batch_size="auto"`` is resolved against the rows
        when the model is built.

        Raises:
            ValueError, TypeError: a hyperparameter out of range or of the wrong type.
        """
        if not isinstance(self.progress, (bool, np.bool_)):
            raise TypeError(f"progress must be True or False, got {self.progress!r}")
        s = resolve(self.preset, self._preset_kind, self.get_params())
        if self._entropic and not has_density(s.reference):
            raise ValueError(
                f"reference={s.reference!r} has no known density, which entropies need; "
                "that reference is MINE's: use minee.MINE or method='mine', or a reference "
                "with a density such as 'uniform' or 'gaussian'")
        return s

    def heads(self, widths: dict[str, int]) -> Heads:
        """The critic heads for variables of the given widths (``{"x": 2, "y": 1}``)."""
        raise NotImplementedError

    def build_run(self, data: np.ndarray, widths: dict[str, int], *,
                  log_scale: np.ndarray | None = None, settings: Settings | None = None,
                  **extra: Any) -> Run:
        """The batched model, untrained, for P samples that are already preprocessed.

        Arguments:
            data: (P, n, D), the variables' columns side by side in ``widths``' order.
            widths: each variable's number of columns.
            log_scale: per problem, ln of each column's preprocessing scale (P, D).
            settings: default: :meth:`settings`.
            extra: passed to :func:`minee.model.build_run` (``critic=``).
        """
        return model.build_run(data, self.heads(widths),
                               self.settings() if settings is None else settings,
                               log_scale=log_scale, quantity=self._quantity, **extra)

    def fitted_from(self, run: Run) -> Estimator:
        """Set the fitted attributes from a trained ``run``'s first problem; returns self.

        ``run_``, ``engine_``, ``settings_``, ``estimate_``, ``history_``, ``entropies_``
        and the value attribute (``mutual_information_`` or ``entropy_``).
        """
        est = run.results()[0]
        self.run_, self.engine_, self.settings_ = run, run.engine, run.settings
        self.estimate_, self.history_ = est, est.history
        self.entropies_ = est.entropies
        setattr(self, self._value_attr, est.value)
        return self

    # fitting -----------------------------------------------------------------------------
    def _prepare(self, data: np.ndarray, widths: dict[str, int], **extra: Any) -> Run:
        """Preprocess P validated samples (P, n, D) and build their model."""
        settings = self.settings()
        parts = [transform(sample, settings.preprocess) for sample in data]
        for sample, _ in parts:
            check_rank(sample, widths)
        scales = [log_scale for _, log_scale in parts]
        return self.build_run(np.stack([t for t, _ in parts]), widths,
                              log_scale=None if scales[0] is None
                              else np.stack(cast(list[np.ndarray], scales)),
                              settings=settings, **extra)

    def _fit_arrays(self, **arrays: Any) -> None:
        """Validate, train on one sample, set the fitted attributes and warn of any flags."""
        data, widths = stack_variables(**arrays)
        run = self._prepare(data[None], widths)
        with ProgressBar(run.engine.config.max_steps, type(self).__name__,
                         enabled=bool(self.progress)) as bar:
            run.train(callback=bar.update)
        self.fitted_from(run)
        diagnostics.emit(self.estimate_.diagnostics)

    def _prepare_arrays(self, arrays: dict[str, Any], **extra: Any) -> Run:
        """Validate P samples per variable, (P, n, d_var) each, and build their model."""
        data, widths = stack_batch(**arrays)
        return self._prepare(data, widths, **extra)


def batch_doc(signature: str) -> str:
    """The docstring of ``prepare_batch`` for estimators fitted as ``fit(signature)``."""
    return f"""Build, without training, one batched model for P samples: ``({signature})``.

        Each argument has shape (P, n, d_var): P problems with the same shapes, each given
        ``ensemble`` members. Train with ``run.train()`` (or in pieces with
        ``run.engine.run(until=...)``); ``run.results()`` gives one
        :class:`~minee.results.Estimate` per problem (no warnings: the flags are on each
        estimate). Used for multi-seed experiments, checkpointed runs and many estimates
        at once.
        """

