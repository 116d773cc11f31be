"""minee: neural estimation of differential entropy and mutual information, in nats.

MI-NEE (Chan et al. 2019) estimates each entropy as a cross-entropy to a known reference
minus a Donsker-Varadhan divergence learned by a critic network, then
I(X;Y) = H(X) + H(Y) - H(X,Y). MINE is the special case whose reference is the product
of the marginals.

Fitting is: a :class:`Recipe` (every training choice; :mod:`minee.presets` holds each
estimator's) and the estimator's few options are resolved once into the
:class:`Settings` of a fit, which build one batched model (:mod:`minee.estimation.model`) trained by
one engine (:mod:`minee.training.engine`) and read into an :class:`Estimate`
(:mod:`minee.estimation.summary`).
References, objectives and estimators are registered by name in :mod:`minee.registry`.
The layers of the package and the test that keeps them are in ``docs/development.md``.

The package's names are imported on first use, so ``minee --help`` does not load torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__

# public name -> the module that defines it (imported when the name is first used)
_EXPORTS = {
    "mutual_information": "api", "entropy": "api", "conditional_mutual_information": "api",
    "MineeWarning": "diagnostics", "CMINEE": "estimation.estimators",
    "MINE": "estimation.estimators", "MINEE": "estimation.estimators",
    "NEE": "estimation.estimators", "InfoNCE": "estimation.estimators",
    "mi_matrix": "many.matrix", "relevance": "many.matrix", "load": "persistence",
    "save": "persistence", "Estimate": "results", "History": "results",
    "mutual_info_scores": "many.selection", "Settings": "settings", "Recipe": "settings",
}

__all__ = [
    "CMINEE", "MINE", "MINEE", "NEE", "Estimate", "History", "InfoNCE", "MineeWarning",
    "Recipe", "Settings", "conditional_mutual_information", "entropy", "load", "mi_matrix",
    "mutual_info_scores", "mutual_information", "relevance", "save", "__version__",
]

if TYPE_CHECKING:
    from .api import conditional_mutual_information, entropy, mutual_information
    from .diagnostics import MineeWarning
    from .estimation.estimators import CMINEE, MINE, MINEE, NEE, InfoNCE
    from .many.matrix import mi_matrix, relevance
    from .many.selection import mutual_info_scores
    from .persistence import load, save
    from .results import Estimate, History
    from .settings import Recipe, Settings


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value  # cached: later lookups do not come here
        return value
    try:  # a submodule used as an attribute (minee.tasks) after a bare "import minee"
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError:
        raise AttributeError(f"module 'minee' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
