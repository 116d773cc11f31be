"""The checkpoint of :func:`minee.paper.experiments.reproduce`: written, read, checked, restored.

A checkpoint is one checksummed file (:func:`minee.files.save_checked`) holding the call's
settings, its horizons, every method's engine state and the seconds each has trained. It
is read back only for the same settings and version, and its horizons are checked
against the call's before any training.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..estimation.model import Run
from ..files import load_checked, save_checked
from .figures import METHODS, Figure

__all__ = ["CHECKPOINT_VERSION", "CHECKPOINT_KIND", "Checkpoints", "read_checkpoint",
           "restore", "horizons"]

CHECKPOINT_VERSION = 4  # 2: objective state, SeedSequence streams; 3: checksummed file;
# 4: the engine's epoch order and reference pool
CHECKPOINT_KIND = f"minee-checkpoint-{CHECKPOINT_VERSION}"
#: the version-3 checkpoints read by migration: they lack only the feed's position
#: (the epoch order and the unread reference pool), which a resumed run draws afresh
_MIGRATED_VERSION = 3
_ADVICE = "delete it and rerun without --resume"


class Checkpoints:
    """Writes the run's checkpoint (when it has a file): right after the first evaluation,
    then once ``every`` seconds have passed, so a run killed outright loses at most that."""

    def __init__(self, path: Path | None, state: Callable[[], dict[str, Any]], every: float):
        self.path, self.state, self.every = path, state, every
        self.last: float | None = None  # time.monotonic() of the last write, in seconds

    def write(self) -> None:
        if self.path is not None:
            save_checked(self.path, self.state(), CHECKPOINT_KIND)
        self.last = time.monotonic()

    def due(self) -> bool:
        return self.last is None or time.monotonic() - self.last >= self.every


def read_checkpoint(ckpt: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint's content, verified and checked against this call's settings.

    Raises:
        FileNotFoundError: no checkpoint.
        ValueError: a damaged, altered or incomplete file, or one written with other
            settings or by another version.
    """
    if not ckpt.exists():
        raise FileNotFoundError(f"no checkpoint to resume: {ckpt}")
    saved = _load_migrated(ckpt)
    if saved.get("version") != CHECKPOINT_VERSION or saved.get("settings") != settings:
        raise ValueError(f"{ckpt} was written with other settings {saved.get('settings')}; "
                         "rerun without --resume")
    engines, elapsed = saved.get("engines"), saved.get("elapsed")
    if not (isinstance(engines, dict) and set(engines) <= set(METHODS)
            and all(isinstance(e, dict) and isinstance(e.get("step"), int)
                    for e in engines.values())
            and ("cross" not in engines or "minee" in engines)
            and all(isinstance(saved.get(k), int) for k in ("steps", "cross_steps"))
            and isinstance(elapsed, dict)
            and all(isinstance(v, float) for v in elapsed.values())):
        raise ValueError(f"{ckpt} is not a complete checkpoint; {_ADVICE}")
    return saved


def _load_migrated(ckpt: Path) -> dict[str, Any]:
    """A checkpoint's content in this version's layout: a version-3 file's engines get a
    fresh feed (a new epoch order and reference pool at the next step: the continued run
    is the same in law, not the same draws as one never interrupted)."""
    saved = load_checked(ckpt, CHECKPOINT_KIND, what="a minee reproduce checkpoint",
                         advice=_ADVICE, older=(f"minee-checkpoint-{_MIGRATED_VERSION}",))
    engines = saved.get("engines")
    if saved.get("version") == _MIGRATED_VERSION and isinstance(engines, dict):
        for state in engines.values():
            if isinstance(state, dict):
                state.setdefault("feed", {"order": None, "epoch_at": 0, "pool": None})
        saved["version"] = CHECKPOINT_VERSION
    return saved


def restore(run: Run, state: dict[str, Any] | None, ckpt: Path | None) -> None:
    """Load a checkpointed engine state into ``run`` (nothing when ``state`` is None)."""
    if state is None:
        return
    try:
        run.engine.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
        # only a checkpoint altered and checksummed again gets here: its parts do not fit
        raise ValueError(f"{ckpt} holds an engine state that does not fit this run "
                         f"({type(exc).__name__}); {_ADVICE}") from None


def horizons(fig: Figure, saved: dict[str, Any], steps: int | None,
             cross_steps: int | None, eval_every: int) -> tuple[int, int]:
    """The horizons: as given, else the checkpoint's, else the paper's; checked against
    the checkpoint's progress."""
    steps = steps or saved.get("steps") or fig.steps
    cross_steps = cross_steps or saved.get("cross_steps") or steps
    for name, v in (("steps", steps), ("cross_steps", cross_steps)):
        if v % eval_every:
            raise ValueError(f"{name}={v} must be a multiple of eval_every={eval_every}")
    engines = saved.get("engines", {})
    for method, state in engines.items():
        limit = steps if method != "cross" else cross_steps
        if state["step"] > limit:
            raise ValueError(f"the checkpoint's {METHODS[method]} run is at step "
                             f"{state['step']}, beyond the requested {limit}")
    if "cross" in engines and engines["minee"]["step"] != steps:
        raise ValueError("the checkpoint's cross-training started from MI-NEE at step "
                         f"{engines['minee']['step']}; it cannot be extended")
    return steps, cross_steps
