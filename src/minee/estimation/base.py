"""What every estimator shares: hyperparameters, the scikit-learn contract, fitting.

The classes follow scikit-learn's contract without depending on it: keyword-only
hyperparameters stored unchanged (``None`` means "take it from the recipe"),
``get_params``/``set_params`` (so ``sklearn.base.clone`` works), ``fit`` returns ``self``,
and learned state ends in ``_``. Fitting is: resolve the :class:`~minee.settings.Settings`
(validating every value), preprocess, build the batched model (:mod:`minee.estimation.model`), train
it, summarise it (:mod:`minee.estimation.summary`) and raise the estimate's diagnostics as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar

import numpy as np

from .. import diagnostics, registry
from ..data.inputs import stack_batch, stack_variables
from ..presets import recipe
from ..progress import ProgressBar
from ..settings import PUBLIC, Recipe, Settings, read_rows, resolve
from ..training.heads import Heads
from . import model
from .model import Run
from .preparation import prepare
from .summary import summarise

__all__ = ["Estimator", "batch_doc"]


@dataclass(kw_only=True, eq=False, repr=False)
class Estimator:
    """The options every estimator takes; each ``None`` keeps its recipe's value.

    Arguments:
        preset: ``"default"`` (minee's recipes) or ``"paper"`` (the authors' protocol).
        reference: the reference distribution's registered name (see the estimator).
        max_steps: the training budget: the most optimiser steps (training stops earlier
            when the held-out estimate stops improving).
        val_fraction: share of rows held out, in [0, 1): the estimate is read on them (0:
            every row, the paper's protocol). Given alone, it asks for one split.
        folds: F > 1 cross-fits: every row is held out once, by critics that did not train
            on it (F times the cost); 1: one split at ``val_fraction``; ``"auto"`` (the MI
            default): 3 folds below 1,000 rows, else 1.
        ensemble: K independent critic sets per fold, trained together; the estimate is
            their mean and their spread enters its interval.
        seed: integer seed in [0, 2**63); the same seed gives the same numbers on CPU.
            ``None`` draws one, kept as ``settings_.seed``.
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``.
        threads: torch's intra-op threads during ``fit`` (restored afterwards): a positive
            int, or ``"auto"`` (see :mod:`minee.threads`).
        progress: show a progress bar on stderr.
        discrete: which columns are discrete, read as integer codes plus uniform noise on
            [0, 1), which leaves every MI unchanged and makes an entropy of discrete
            columns their Shannon entropy (:mod:`minee.data.discrete`): ``"auto"`` (for
            an MI, a column with at most half as many distinct values as rows; for an
            entropy none: name them), ``True``, ``False``, or the names of the discrete
            variables (``["y"]``).
        advanced: the rest of the recipe (:class:`~minee.settings.Recipe`): a dict of
            fields to change in the preset's recipe (``{"hidden": 128, "lr": 1e-3}``), or
            a whole ``Recipe``, used instead of the preset's. ``None``: the preset's.
    """

    preset: str = "default"
    reference: str | None = None
    max_steps: int | None = None
    val_fraction: float | None = None
    folds: int | str | None = None
    ensemble: int = 1
    seed: int | None = None
    device: str = "auto"
    threads: int | str = "auto"
    progress: bool = False
    discrete: bool | str | list[str] | tuple[str, ...] = "auto"
    advanced: Recipe | dict[str, Any] | None = None

    #: the preset table used (``"mi"``, ``"mine"`` or ``"entropy"``)
    _preset_kind: ClassVar[str] = "mi"
    #: what is estimated, as :attr:`minee.results.Estimate.quantity`
    _quantity: ClassVar[str] = "mutual_information"
    #: the fitted attribute holding the value
    _value_attr: ClassVar[str] = "mutual_information_"
    #: whether the target is made of entropies (the reference needs a known density)
    entropic: ClassVar[bool] = True
    #: the arguments of ``fit``, in order
    variables: ClassVar[tuple[str, ...]] = ("x", "y")

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

    @classmethod
    def from_options(cls, **options: Any) -> Estimator:
        """``cls(**options)``; a field of the recipe given as an option is refused with the
        fix (``advanced={...}``) instead of Python's bare unexpected-keyword error.

        Raises:
            TypeError: an option that is a recipe field, or one the estimator does not take.
        """
        own = {f.name for f in fields(cls)}
        misplaced = sorted(k for k in options if k not in own and k in Recipe.__dataclass_fields__)
        if misplaced:
            name = misplaced[0]
            raise TypeError(f"{name} is a setting of the recipe: pass advanced={{{name!r}: "
                            f"{options[name]!r}}}")
        return cls(**options)

    # settings and model ------------------------------------------------------------------
    def recipe(self) -> Recipe:
        """The recipe this estimator fits with: its preset's, with ``advanced`` applied.

        Raises:
            TypeError: ``advanced`` is neither a dict nor a Recipe, or names no field.
            ValueError: a value out of range, or an option given in ``advanced`` that the
                estimator takes itself.
        """
        base = recipe(self.preset, self._preset_kind)
        if self.advanced is None or isinstance(self.advanced, Recipe):
            return base if self.advanced is None else self.advanced
        if not isinstance(self.advanced, dict):
            raise TypeError("advanced must be a dict of recipe fields or a minee.Recipe, "
                            f"got {type(self.advanced).__name__}")
        own = sorted(set(self.advanced) & set(PUBLIC))
        if own:
            raise ValueError(f"pass {', '.join(own)} to the estimator itself, not in advanced")
        unknown = sorted(set(self.advanced) - {f.name for f in fields(Recipe)})
        if unknown:
            raise TypeError(f"advanced has no field {unknown[0]!r}; the fields are those of "
                            "minee.Recipe")
        return replace(base, **self.advanced)

    def settings(self, rows: int) -> Settings:
        """The settings of a fit on ``rows`` rows, resolved once (see
        :func:`minee.settings.resolve`; ``seed=None`` draws a seed).

        Raises:
            ValueError, TypeError: an option out of range or of the wrong type, or a part
                that is not registered.
        """
        if not isinstance(self.progress, (bool, np.bool_)):
            raise TypeError(f"progress must be True or False, got {self.progress!r}")
        settings = resolve(self.recipe(), self.get_params(), rows)
        registry.check(settings, entropic=self.entropic)
        return settings

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
            settings: the resolved settings (default: :meth:`settings` for these rows).
            extra: passed to :func:`minee.estimation.model.build_run` (``critic=``).

        Above ``max_rows`` rows the model holds the seeded subsample a fit reads.
        """
        settings = self.settings(data.shape[1]) if settings is None else settings
        return model.build_run(read_rows(data, settings, axis=1), self.heads(widths),
                               settings, log_scale=log_scale, quantity=self._quantity,
                               **extra)

    def fitted_from(self, run: Run) -> Estimator:
        """Set the fitted attributes from a trained ``run``'s first problem; returns self.

        ``run_``, ``engine_``, ``settings_``, ``estimate_``, ``history_``, ``entropies_``
        and the value attribute (``mutual_information_`` or ``entropy_``).
        """
        est = summarise(run)[0]
        self.run_, self.engine_, self.settings_ = run, run.engine, run.settings
        self.estimate_, self.history_ = est, est.history
        self.entropies_ = est.entropies
        setattr(self, self._value_attr, est.value)
        return self

    # fitting -----------------------------------------------------------------------------
    def _prepare(self, data: np.ndarray, widths: dict[str, int],
                 settings: Settings | None = None, **extra: Any) -> Run:
        """Preprocess P validated samples (P, n, D) and build their model (with
        ``settings`` already resolved for these rows, or :meth:`settings`)."""
        settings = self.settings(data.shape[1]) if settings is None else settings
        data = read_rows(data, settings, axis=1)
        prepared = prepare(data, widths, list(self.heads(widths).groups), settings,
                           entropy=self._quantity == "entropy")
        return self.build_run(prepared.data, widths, log_scale=prepared.log_scale,
                              settings=settings, transforms=prepared.transforms,
                              maps=prepared.maps, discrete=prepared.discrete, **extra)

    def _fit_arrays(self, **arrays: Any) -> None:
        """Validate, train on one sample, set the fitted attributes and warn of any flags."""
        data, widths = stack_variables(**arrays)
        run = self._prepare(data[None], widths)
        with ProgressBar(run.engine.config.max_steps, type(self).__name__,
                         enabled=bool(self.progress)) as bar:
            run.train(callback=bar.update)
        self.fitted_from(run)
        diagnostics.emit(self.estimate_.diagnostics)

    def _prepare_arrays(self, arrays: dict[str, Any], settings: Settings | None = None,
                        **extra: Any) -> Run:
        """Validate P samples per variable, (P, n, d_var) each, and build their model."""
        data, widths = stack_batch(**arrays)
        return self._prepare(data, widths, settings, **extra)


def batch_doc(signature: str) -> str:
    """The docstring of ``prepare_batch`` for estimators fitted as ``fit(signature)``."""
    return f"""Build, without training, one batched model for P samples: ``({signature})``.

        Each argument has shape (P, n, d_var): P problems with the same shapes, each given
        ``ensemble`` members. Train with ``run.train()`` (or in pieces with
        ``run.engine.run(until=...)``); ``minee.estimation.summary.summarise(run)`` gives one
        :class:`~minee.results.Estimate` per problem (no warnings: the flags are on each
        estimate). Used for multi-seed experiments, checkpointed runs and many estimates
        at once.
        """

