"""Saving a fitted estimator to one file and loading it back (``minee.save`` / ``minee.load``).

The file holds the estimator's class and hyperparameters (with the seed it actually used),
the preprocessed sample it was fitted on, and the engine's full state (critic weights,
optimiser, random state, curves). Loading rebuilds the same batched model and restores that
state, so the loaded estimator reports the same :class:`~minee.Estimate` and can keep
training (``est.engine_.run(until=...)``) as if it had never stopped. The sample is stored
because the references, the held-out split and the curves are defined by it: do not share
a model file where the data may not go.

Files are written atomically (a temporary file in the same folder, then a rename), so an
interrupted save never leaves a truncated model, and they are read with
``torch.load(weights_only=True)``: loading a file cannot run code.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import torch

from .diagnostics import MineeWarning
from .estimators import CMINEE, MINE, MINEE, NEE

__all__ = ["save", "load", "FORMAT"]

FORMAT = "minee-model-1"
_CLASSES = {cls.__name__: cls for cls in (NEE, MINEE, MINE, CMINEE)}


def save(estimator: Any, path: str | os.PathLike[str]) -> Path:
    """Write a fitted estimator to ``path`` atomically.

    Arguments:
        estimator: a fitted :class:`~minee.NEE`, :class:`~minee.MINEE`,
            :class:`~minee.MINE` or :class:`~minee.CMINEE`.
        path: the file to write (conventionally ``.pt``); its folder must exist.

    Returns:
        The path written.

    Raises:
        TypeError: not an estimator.
        ValueError: an estimator that has not been fitted.
        FileNotFoundError: the folder does not exist.
    """
    name = type(estimator).__name__
    if _CLASSES.get(name) is not type(estimator):
        raise TypeError(f"save() takes a fitted minee estimator, got {name}")
    run = getattr(estimator, "run_", None)
    if run is None:
        raise ValueError(f"{name} is not fitted; call fit() before saving")
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"no such folder: {path.parent}")
    from . import __version__

    params = estimator.get_params()
    params["seed"] = run.seed
    state = {
        "format": FORMAT, "minee": __version__, "class": name, "params": params,
        "widths": dict(run.heads.widths), "data": torch.as_tensor(run.data),
        "log_scale": None if run.log_scale is None else torch.as_tensor(run.log_scale),
        "device": run.engine.train_rows.device.type, "engine": run.engine.state_dict(),
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(state, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
        ValueError: not a minee model file, or one from an incompatible version.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises pickle, zip and runtime errors for a bad file
        raise ValueError(f"{path} is not a minee model file ({exc.__class__.__name__})"
                         ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a minee model file (format "
                         f"{state.get('format') if isinstance(state, dict) else None!r}, "
                         f"expected {FORMAT!r})")
    params = dict(state["params"])
    if device is None:
        device = state["device"] if state["device"] == "cpu" or torch.cuda.is_available() \
            else "cpu"
    params["device"] = device
    estimator = _CLASSES[state["class"]](**params)
    data = state["data"].numpy()
    log_scale = None if state["log_scale"] is None else state["log_scale"].numpy()
    run = estimator._prepare(data, estimator._heads(state["widths"]), log_scale=log_scale,
                             seed=params["seed"])
    engine_state = dict(state["engine"])
    if run.engine.generator.device.type != state["device"]:
        engine_state["generator"] = run.engine.generator.get_state()
    run.engine.load_state_dict(engine_state)
    with warnings.catch_warnings():
        # the diagnostics were raised when the model was fitted; they stay on the estimate
        warnings.simplefilter("ignore", MineeWarning)
        estimator._set_fitted(run, run.results()[0])
    return estimator
