"""Saving a fitted estimator to one file and loading it back (``minee.save`` / ``minee.load``).

The file holds the estimator's class and hyperparameters (with the seed it actually used),
the preprocessed sample it was fitted on, and the engine's full state (critic weights,
optimiser, random state, curves). Loading rebuilds the same batched model and restores that
state, so the loaded estimator reports the same :class:`~minee.Estimate` and can keep
training (``est.engine_.run(until=...)``) as if it had never stopped. The sample is stored
because the references, the held-out split and the curves are defined by it: do not share
a model file where the data may not go.

Files are written atomically (a temporary file in the same folder, then a rename), so an
interrupted save never leaves a truncated model. They hold only tensors, numbers, strings and
plain containers, are read with ``torch.load(weights_only=True)`` (loading a file cannot run
code) and carry a SHA-256 checksum verified on loading, so a damaged file, or one edited
without recomputing it, is refused with a ``ValueError`` rather than giving different
numbers. The checksum is not a signature: a file edited and checksummed again loads (its
parts are still checked to fit the model); trust a model file as you trust its source.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from .data.inputs import resolve_device
from .estimation import estimators  # noqa: F401  (the built-in estimators register on import)
from .files import load_checked, save_checked
from .registry import ESTIMATORS
from .settings import Recipe, Settings
from .version import __version__

__all__ = ["save", "load", "FORMAT"]

# 2: checksummed container (files.save_checked); 3: the resolved settings, not the
# preset's blanks, so a file rebuilds the critic it was trained with whatever the
# presets become; 4: the critic's averaged weights (``averaging``); 5: the held-out
# selection state (an MI read at one critic state for all heads); 6: the critics' input
# box (``clamp_inputs``); 7: the critics' tail map (``compress_tails``); 8: the tail map's
# dof per column (a Student-t reference may be one t per variable); 9: the engine's
# epoch order and reference pool; 10: the fit's settings as one record (the estimator's
# options kept as given), any registered estimator class; 11: each problem's preprocessing
# (``preprocess="auto"`` chooses per problem) and column maps (``"edges"``); 12: the
# training reading at the state an estimate is read at (its allowance) and ``max_rows``
FORMAT = "minee-model-12"
_ADVICE = "save the fitted estimator again with minee.save"
# the state's entries and their types; a file lacking one is refused, not half-loaded
_FIELDS: dict[str, type | tuple[type, ...]] = {
    "minee": str, "class": str, "params": dict, "settings": dict, "widths": dict,
    "data": torch.Tensor, "log_scale": (torch.Tensor, type(None)), "device": str, "engine": dict,
    "transforms": (list, type(None)), "maps": (torch.Tensor, type(None)),
    "discrete": (list, type(None))}


def save(estimator: Any, path: str | os.PathLike[str]) -> Path:
    """Write a fitted estimator to ``path`` atomically.

    Arguments:
        estimator: a fitted estimator of any registered class
            (:data:`minee.registry.ESTIMATORS`: NEE, MINEE, MINE, InfoNCE, CMINEE and
            any registered from outside).
        path: the file to write (conventionally ``.pt``); its folder must exist.

    Returns:
        The path written.

    Raises:
        TypeError: not an estimator.
        ValueError: an estimator that has not been fitted.
        FileNotFoundError: the folder does not exist.
    """
    name = type(estimator).__name__
    if ESTIMATORS.get(name) is not type(estimator):
        raise TypeError(f"save() takes a fitted minee estimator, got {name}")
    run = getattr(estimator, "run_", None)
    if run is None:
        raise ValueError(f"{name} is not fitted; call fit() before saving")
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"no such folder: {path.parent}")
    params = dict(estimator.get_params(), seed=run.settings.seed)
    if isinstance(params["advanced"], Recipe):  # plain data: the file is read weights-only
        params["advanced"] = params["advanced"].to_dict()
    state = {
        "minee": __version__, "class": name, "params": params,
        "settings": run.settings.to_dict(),
        "widths": dict(run.heads.widths), "data": torch.as_tensor(run.data),
        "log_scale": None if run.log_scale is None else torch.as_tensor(run.log_scale),
        "device": run.engine.train_rows.device.type, "engine": run.engine.state_dict(),
        "transforms": None if run.transforms is None else list(run.transforms),
        "maps": None if run.maps is None else torch.as_tensor(run.maps),
        "discrete": None if run.discrete is None else [list(c) for c in run.discrete],
    }
    return save_checked(path, state, FORMAT)


def load(path: str | os.PathLike[str], *, device: str | None = None) -> Any:
    """Read an estimator written by :func:`save`.

    Arguments:
        path: the model file.
        device: where to rebuild it (default: where it was trained if available, else
            CPU). Across devices the restored random state cannot carry over, so resumed
            training draws different (equally valid) batches.

    Returns:
        The fitted estimator, with ``estimate_``, ``history_``, ``engine_`` and its value
        attribute (``mutual_information_`` or ``entropy_``) as after ``fit``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a minee model file, one from an incompatible version, or one
            truncated, damaged or altered (the message says to save the model again).
    """
    state = load_checked(path, FORMAT, what="a minee model file", advice=_ADVICE)
    if any(not isinstance(state.get(k), t) for k, t in _FIELDS.items()) \
            or state["class"] not in ESTIMATORS:
        raise ValueError(f"{path} is not a complete minee model (missing or invalid "
                         f"entries); {_ADVICE}")
    if device is None:
        device = state["device"] if state["device"] == "cpu" or torch.cuda.is_available() \
            else "cpu"
    resolve_device(device)  # an unusable device is the caller's error, reported as such
    try:
        return _rebuild(state, device)
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
        # only a file altered and checksummed again gets here: its parts do not fit
        raise ValueError(f"{path} holds an inconsistent minee model ({type(exc).__name__}: "
                         f"{exc}); {_ADVICE}") from None


def _rebuild(state: dict[str, Any], device: str) -> Any:
    """The fitted estimator described by a model file's ``state``, built on ``device``."""
    estimator = ESTIMATORS[state["class"]](**state["params"])
    settings = Settings(**dict(state["settings"], device=device))  # validated, not resolved
    log_scale = None if state["log_scale"] is None else state["log_scale"].numpy()
    transforms = None if state["transforms"] is None else tuple(state["transforms"])
    maps = None if state["maps"] is None else state["maps"].numpy()
    discrete = None if state["discrete"] is None else tuple(tuple(c) for c in state["discrete"])
    run = estimator.build_run(state["data"].numpy(), state["widths"], log_scale=log_scale,
                              settings=settings, transforms=transforms, maps=maps,
                              discrete=discrete)
    engine_state = dict(state["engine"])
    if run.engine.generator.device.type != state["device"]:
        engine_state["generator"] = run.engine.generator.get_state()
    run.engine.load_state_dict(engine_state)
    estimator.fitted_from(run)  # no warnings: they were raised when the model was fitted
    return estimator
