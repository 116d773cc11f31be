"""How an estimate is trained: the :class:`Recipe`, and the :class:`Settings` of one fit.

A :class:`Recipe` is every training choice, typed, validated and with the MI default's
values on its fields (:mod:`minee.presets` holds the other estimators' and the paper's).
:func:`resolve` turns a recipe, the estimator's few public options and the number of rows
into the :class:`Settings` of a fit, once: the seed drawn or checked, ``folds="auto"``
and ``batch_size="auto"`` resolved against the rows, every split checked. Nothing
downstream resolves again; the fitted estimator keeps that object as ``settings_``, model
files and distributed jobs carry it as data, and :class:`Seeds` derives every random stream
of the fit from its one seed.

Names of registered parts (reference, objective, activation) are checked against the
registry by :func:`minee.registry.check`, which the estimators call right after
:func:`resolve`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from .checks import SEED_LIMIT, draw_seed
from .setting_checks import VALIDATORS

__all__ = ["Recipe", "Settings", "Seeds", "resolve", "split_sizes", "PUBLIC",
           "AUTO_FOLDS", "CROSS_FIT_ROWS"]

#: ``folds="auto"`` (the MI default) cross-fits with AUTO_FOLDS folds below CROSS_FIT_ROWS
#: rows (chosen on tuning problems at 500 and 1,000 rows: benchmarks/README.md).
AUTO_FOLDS, CROSS_FIT_ROWS = 3, 1000
#: the rows a fit reads at most by default. On a 5 + 5 Gaussian (MI 0.44; one thread) the
#: default's 95% interval was 0.076 nats wide at 5,000 rows, 0.072 at 10,000, 0.064 at
#: 20,000 and 0.061 at 200,000 (its bias allowance dominates) while its CPU time grew
#: 1.8x, 3.3x and 17x: past 10,000 rows the interval narrows little for much more time
#: (benchmarks/README.md, "Cost and row count"); ``max_rows=None`` reads every row.
MAX_ROWS = 10_000


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """Every choice of how an estimate trains, with the MI default's values.

    The estimators take ``reference``, ``max_steps``, ``val_fraction`` and ``folds`` as
    options of their own; the rest is passed as ``advanced=`` (a dict of fields to change,
    or a whole recipe). Each estimator's default recipe is ``minee.presets.recipe(preset,
    kind)``; why each value was chosen is in ``benchmarks/README.md``.

    Attributes:
        reference: the reference distribution's registered name (``"student"``: a
            fitted multivariate Student-t; ``"gaussian"``, ``"uniform"``, ``"marginals"``).
        max_steps: the most optimiser steps.
        val_fraction: share of rows held out, in [0, 1): the estimate is read on them and
            training stops when they stop improving (0: no held-out rows, the paper).
        folds: F > 1 cross-fits F disjoint folds, each held out by its own critics (F
            times the training cost; ``val_fraction`` is then not used); 1: one split;
            ``"auto"``: :data:`AUTO_FOLDS` below :data:`CROSS_FIT_ROWS` rows, else 1.
        lr: Adam learning rate, in (0, 1].
        batch_size: rows per minibatch per head, or ``"auto"``: all training rows up to
            ``auto_batch``.
        auto_batch: the cap of ``batch_size="auto"``.
        ref_factor: reference rows per step as a multiple of the batch.
        eval_every: steps between evaluations of the estimate.
        hidden, depth, activation: critic width, hidden layers, nonlinearity (a key of
            :data:`minee.training.critics.ACTIVATIONS`).
        critic_bound: b > 0 bounds every critic value softly to (-b, b) nats; 0: none.
        init: a float s in (0, 1] draws weights from N(0, s^2) with zero biases (the
            paper's 0.02); ``"torch"`` PyTorch's initialisation; ``"zero-output"`` the
            same with the last layer at 0.
        patience: evaluations without held-out improvement before stopping (None: never).
        extend: the training budget as a multiple of ``max_steps``, in [1, 100]: a run
            that reaches ``max_steps`` with its estimate still rising
            (:func:`minee.diagnostics.still_rising`) trains on, ``max_steps`` more at a
            time, up to ``extend * max_steps`` steps (1: never).
        min_steps: never stop early before this step.
        smoothing: rate of the moving average over evaluations (the paper's 0.01).
        averaging: decay in [0, 1) of the moving average of the critics' weights that
            evaluations read (Polyak averaging; 0: the last step's weights).
        margin: relative widening of the uniform reference's box on each side.
        form: ``"separate"`` (one network per head) or ``"shared"`` (one network with a
            head per output, the paper's section 3.2).
        joint_residual: the joint critic adds the marginal critics' values, held fixed,
            so that what they learn cancels exactly from the MI.
        objective: the training objective's registered name (``"dv"``, ``"ma"``,
            ``"infonce"``).
        ma_rate: MINE's moving-average rate.
        scale_inputs: standardise the critics' inputs (a reparametrisation).
        clamp_inputs: hold each critic input inside its training rows' range.
        compress_tails: read critic inputs in the fitted Student-t's units with
            log-compressed tails (:func:`minee.training.tailmap.compress_tails`).
        preprocess: per-column transform first, a key of
            :data:`minee.data.preprocessing.TRANSFORMS` (``"rank-t"`` keeps MI, changes
            entropies; ``"standardize"`` is corrected back to the data's scale).
        dtype: ``"float32"`` or ``"float64"``.
        max_rows: above this many rows a fit reads a seeded subsample of this many, so
            that its cost stops growing with the rows; ``None``: every row. Its interval
            is that of the rows it read (``Estimate.rows``).
    """

    reference: str = "auto"
    max_steps: int = 2000
    val_fraction: float = 0.3
    folds: int | str = "auto"
    lr: float = 3e-3
    batch_size: int | str = "auto"
    auto_batch: int = 256
    ref_factor: float = 2.0
    eval_every: int = 20
    hidden: int = 64
    depth: int = 2
    activation: str = "gelu"
    critic_bound: float = 0.0
    init: float | str = "torch"
    patience: int | None = 10
    min_steps: int = 400
    extend: float = 3.0
    smoothing: float = 0.3
    averaging: float = 0.99
    margin: float = 0.05
    form: str = "separate"
    joint_residual: bool = True
    objective: str = "dv"
    ma_rate: float = 0.01
    scale_inputs: bool = True
    clamp_inputs: bool = True
    compress_tails: bool = True
    preprocess: str = "auto"
    dtype: str = "float32"
    max_rows: int | None = MAX_ROWS

    def __post_init__(self) -> None:
        for f in fields(self):
            check = VALIDATORS.get(f.name)
            if check is not None:
                object.__setattr__(self, f.name, check(f.name, getattr(self, f.name)))

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class Settings(Recipe):
    """The settings of one fit: its recipe with every choice resolved against its rows.

    Built by :func:`resolve` (or rebuilt from :meth:`to_dict` by a model file); validated
    on construction, so a ``Settings`` that exists is one the engine can run.

    Attributes:
        folds: the folds actually used (``"auto"`` resolved).
        batch_size: rows per minibatch (``"auto"`` resolved).
        ensemble: independent critic sets per fold.
        null: whether the fit also trains the permutation null.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ... or ``"auto"``.
        threads: torch's intra-op threads during training, or ``"auto"``.
        seed: the seed the fit used (drawn when none was given).
        discrete: which columns are discrete (read as integer codes plus uniform noise):
            ``"auto"``, ``True``, ``False`` or the names of discrete variables.
    """

    folds: int
    batch_size: int
    ensemble: int = 1
    null: bool = False
    device: str = "auto"
    threads: int | str = "auto"
    discrete: bool | str | tuple[str, ...] = "auto"
    seed: int

    @property
    def members(self) -> int:
        """Critic sets trained per problem: ``ensemble`` for each of the folds."""
        return self.ensemble * self.folds


#: the recipe's fields an estimator also takes as options of its own
PUBLIC = ("reference", "max_steps", "val_fraction", "folds")


def resolve(recipe: Recipe, options: dict[str, Any], rows: int) -> Settings:
    """The settings of one fit on ``rows`` rows: ``recipe`` with ``options`` applied.

    Arguments:
        recipe: the estimator's recipe (its preset's, with ``advanced`` applied).
        options: the estimator's own options by name; ``None`` keeps the recipe's value
            (a seed of ``None`` is drawn). A ``val_fraction`` given without ``folds``
            asks for one split of that share. ``ensemble``, ``null``, ``device``,
            ``threads`` and ``discrete`` are taken as given; other names are ignored.
        rows: the sample's number of rows (a fit reads at most ``max_rows`` of them).

    Raises:
        ValueError, TypeError: an invalid value, or a split or batch the rows cannot hold
            (naming the fix).
    """
    values = recipe.to_dict()
    values.update({k: options[k] for k in PUBLIC if options.get(k) is not None})
    if options.get("val_fraction") is not None and options.get("folds") is None:
        values["folds"] = 1  # a share to hold out asks for one split of that share
    checked = Recipe(**values)  # every value validated before it is used below
    rows = rows if checked.max_rows is None else min(rows, checked.max_rows)
    folds = checked.folds if checked.folds != "auto" else \
        AUTO_FOLDS if rows < CROSS_FIT_ROWS else 1
    train_rows = rows - split_sizes(rows, int(folds), checked.val_fraction)
    values.update(folds=folds, batch_size=_batch_size(checked, train_rows))
    seed = options.get("seed")
    extra = {k: options[k] for k in ("ensemble", "null", "device", "threads", "discrete")
             if options.get(k) is not None}
    return Settings(**values, **extra, seed=draw_seed() if seed is None else seed)


def split_sizes(rows: int, folds: int, val_fraction: float) -> int:
    """Held-out rows per fold: ``rows // folds`` with F > 1 folds, else the share.

    Raises:
        ValueError: fewer than 5 training or held-out rows where there are any.
    """
    n_val = rows // folds if folds > 1 else int(round(val_fraction * rows))
    name = f"folds={folds}" if folds > 1 else f"val_fraction={val_fraction}"
    if (n_val or folds > 1) and (n_val < 5 or rows - n_val < 5):
        raise ValueError(
            f"{name} leaves {rows - n_val} training and {n_val} held-out rows; provide more "
            "rows" + (" or fewer folds" if folds > 1 else " or set val_fraction=0"))
    return n_val


def _batch_size(recipe: Recipe, rows: int) -> int:
    if recipe.batch_size == "auto":
        return min(recipe.auto_batch, rows)
    assert isinstance(recipe.batch_size, int)
    if recipe.batch_size > rows:
        raise ValueError(
            f"batch_size={recipe.batch_size} exceeds the {rows} training rows; lower "
            "batch_size, use batch_size='auto', or provide more rows")
    return recipe.batch_size


@dataclass(frozen=True)
class Seeds:
    """The distinct random streams of one estimate, all derived from its seed.

    ``numpy.random.SeedSequence(seed).spawn`` gives statistically independent children,
    so the held-out split, the permutation null, the critic's initial weights and the
    engine's batches never share a state.

    Attributes:
        split: NumPy generator for the held-out split.
        null: NumPy generator for the permutation null's shuffles.
        init: integer seed of the torch generator that draws the initial weights.
        engine: integer seed of the torch generator for minibatches and references.
        dequantize: NumPy generator for the uniform noise added to discrete columns.
        rows: NumPy generator for the subsample of ``max_rows`` rows.
    """

    split: np.random.Generator
    null: np.random.Generator
    init: int
    engine: int
    dequantize: np.random.Generator
    rows: np.random.Generator

    @classmethod
    def from_seed(cls, seed: int) -> Seeds:
        # a new child leaves the earlier ones as they were (children are indexed)
        split, null, init, engine, noise, rows = np.random.SeedSequence(seed).spawn(6)
        return cls(np.random.default_rng(split), np.random.default_rng(null),
                   _torch_seed(init), _torch_seed(engine), np.random.default_rng(noise),
                   np.random.default_rng(rows))


def row_subsample(rows: int, settings: Settings) -> np.ndarray | None:
    """The rows, in order, a fit of ``rows`` rows reads under ``settings.max_rows``
    (a seeded draw without replacement), or ``None`` when it reads them all."""
    if settings.max_rows is None or rows <= settings.max_rows:
        return None
    return np.sort(Seeds.from_seed(settings.seed).rows.choice(rows, settings.max_rows,
                                                              replace=False))


def read_rows(data: np.ndarray, settings: Settings, axis: int = 0) -> np.ndarray:
    """``data`` with only the rows (along ``axis``) a fit reads (:func:`row_subsample`)."""
    read = row_subsample(data.shape[axis], settings)
    return data if read is None else np.take(data, read, axis=axis)


def _torch_seed(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(1, np.uint64)[0] % SEED_LIMIT)

