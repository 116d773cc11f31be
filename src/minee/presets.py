"""Named settings: the paper's, and minee's defaults (chosen by the sweep in benchmarks/).

A preset fills every hyperparameter an estimator leaves as ``None``. ``"paper"`` is the
authors' protocol (REFERENCE-NOTES): batch 100, tiny N(0, 0.02^2) initialisation, no
held-out rows, evaluation after every step, estimates smoothed at rate 0.01.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PRESETS", "resolve"]

_PAPER = {
    "lr": 1e-4, "batch_size": 100, "ref_factor": 10.0, "max_steps": 20000, "eval_every": 1,
    "hidden": 100, "depth": 2, "activation": "elu", "init": 0.02, "val_fraction": 0.0,
    "patience": None, "min_steps": 0, "smoothing": 0.01, "reference": "uniform",
    "margin": 0.0, "form": "separate", "ma_rate": 0.01, "scale_inputs": False,
}

_DEFAULT = {
    "lr": 3e-3, "batch_size": "auto", "ref_factor": 4.0, "max_steps": 3000, "eval_every": 20,
    "hidden": 64, "depth": 2, "activation": "elu", "init": "torch", "val_fraction": 0.2,
    "patience": 10, "min_steps": 200, "smoothing": 0.3, "reference": "gaussian",
    "margin": 0.05, "form": "separate", "ma_rate": 0.01, "scale_inputs": True,
}

#: Per preset, per estimator kind ("mi", "mine", "entropy"), the full settings.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "paper": {
        "mi": _PAPER,
        "entropy": _PAPER,
        "mine": {**_PAPER, "hidden": 300, "ref_factor": 1.0, "reference": "marginals"},
    },
    "default": {
        "mi": _DEFAULT,
        "entropy": _DEFAULT,
        "mine": {**_DEFAULT, "ref_factor": 1.0, "reference": "marginals", "lr": 1e-3},
    },
}

AUTO_BATCH = 512  # "auto" batch: all training rows up to this many


def resolve(preset: str, kind: str, given: dict[str, Any]) -> dict[str, Any]:
    """Merge the preset's settings for ``kind`` with the non-``None`` values in ``given``."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    settings = dict(PRESETS[preset][kind])
    settings.update({k: v for k, v in given.items() if v is not None and k in settings})
    return settings
