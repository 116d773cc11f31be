"""The one registry: references, objectives and estimators by name, with their capabilities.

Everything that chooses a part by name reads it here: the estimators and the model (which
reference and objective to build), :func:`minee.mutual_information` (``method=``),
:func:`minee.save` / :func:`minee.load` (the estimator classes) and the command line (its
choices). A part declares what it can do where it is defined, never here: a
:class:`~minee.training.references.Reference` subclass its ``has_density``, an
:class:`~minee.training.objectives.Objective` its ``streams_reference`` and ``contrasts``, an
estimator class its ``variables`` and whether it is ``entropic``.

Extensions register from outside the package::

    from minee import registry
    registry.register_reference("laplace", Laplace)          # a Reference subclass
    registry.register_objective("nwj", lambda settings: NWJ())
    registry.register_estimator(MyEstimator, method="mine")  # also mutual_information's

The built-in estimators register themselves when :mod:`minee.estimation.estimators` is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from torch import Tensor

from .training.adaptive import Adaptive
from .training.critics import ACTIVATIONS
from .training.infonce import InfoNCE
from .training.mixture import GaussianMixture
from .training.objectives import DV, Logistic, MovingAverage, Objective
from .training.references import Gaussian, Marginals, Reference, UniformBox
from .training.student_t import StudentT

if TYPE_CHECKING:
    from .settings import Settings

__all__ = ["REFERENCES", "OBJECTIVES", "ESTIMATORS", "METHODS", "EstimatorClass",
           "register_reference", "register_objective", "register_estimator",
           "make_reference", "make_objective", "check", "estimator"]


class EstimatorClass(Protocol):
    """What the registry's readers need of an estimator (instances of a registered class).

    Attributes:
        variables: the arguments of ``fit`` in order (``("x", "y")`` for an MI).
        entropic: whether the estimate is made of entropies (its reference needs a density).
    """

    @property
    def variables(self) -> tuple[str, ...]: ...

    @property
    def entropic(self) -> bool: ...

    def fit(self, *arrays: Any) -> Any: ...

    def get_params(self, deep: bool = True) -> dict[str, Any]: ...

    def build_run(self, data: Any, widths: dict[str, int], **options: Any) -> Any: ...

    def fitted_from(self, run: Any) -> Any: ...


#: references by name: :class:`~minee.training.references.Reference` subclasses
REFERENCES: dict[str, type[Reference]] = {
    "uniform": UniformBox, "gaussian": Gaussian, "marginals": Marginals, "student": StudentT,
    "mixture": GaussianMixture, "auto": Adaptive}

#: objective factories by name: ``factory(settings) -> Objective``, a fresh one per engine
OBJECTIVES: dict[str, Callable[[Settings], Objective]] = {
    "dv": lambda settings: DV(),
    "ma": lambda settings: MovingAverage(settings.ma_rate),
    "logistic": lambda settings: Logistic(),
    "infonce": lambda settings: InfoNCE(),
}

#: estimator classes by class name (what a model file records)
ESTIMATORS: dict[str, type[EstimatorClass]] = {}

#: ``method=`` names of :func:`minee.mutual_information` (and the CLI's ``--method``)
METHODS: dict[str, type[EstimatorClass]] = {}


def _name(kind: str, name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise TypeError(f"a {kind}'s name must be a non-empty string, got {name!r}")
    return name


def register_reference(name: str, cls: type[Reference]) -> None:
    """Make ``reference=name`` available to every estimator and the command line.

    Arguments:
        name: the name users pass.
        cls: a :class:`~minee.training.references.Reference` subclass; its ``build`` classmethod
            fits it to the rows, its ``has_density`` says whether entropies can use it.
    """
    if not (isinstance(cls, type) and issubclass(cls, Reference)):
        raise TypeError(f"a reference must be a minee.training.references.Reference subclass, "
                        f"got {cls!r}")
    REFERENCES[_name("reference", name)] = cls


def register_objective(name: str, factory: Callable[[Settings], Objective]) -> None:
    """Make ``objective=name`` (a recipe field) available to every estimator.

    Arguments:
        name: the name users pass.
        factory: called with the fit's :class:`~minee.settings.Settings`; returns a new
            :class:`~minee.training.objectives.Objective` (subclass
            :class:`~minee.training.objectives.ObjectiveBase` for its defaults).
    """
    if not callable(factory):
        raise TypeError(f"an objective factory must be callable, got {factory!r}")
    OBJECTIVES[_name("objective", name)] = factory


def register_estimator(cls: type[EstimatorClass], *, method: str | None = None) -> None:
    """Make an estimator class known to :func:`minee.save` / :func:`minee.load` and, with
    ``method``, to :func:`minee.mutual_information` and ``minee estimate --method``.

    Arguments:
        cls: a subclass of :class:`minee.estimation.base.Estimator`; saved files name it
            by its class name, which must be unique.
        method: the ``method=`` name of an I(X;Y) estimator (``variables == ("x", "y")``).
    """
    variables = tuple(cast(Any, cls).variables)  # a class variable (the protocol's property)
    if method is not None and variables != ("x", "y"):
        raise ValueError(f"method={method!r} needs an estimator of I(X;Y); "
                         f"{cls.__name__} fits {variables}")
    ESTIMATORS[_name("estimator", cls.__name__)] = cls
    if method is not None:
        METHODS[_name("method", method)] = cls


def _lookup(table: dict[str, Any], kind: str, name: str) -> Any:
    if name not in table:
        raise ValueError(f"unknown {kind} {name!r}; choose one of {', '.join(sorted(table))}")
    return table[name]


def make_reference(data: Tensor, groups: Tensor, settings: Settings) -> Reference:
    """The reference ``settings.reference`` names, fitted to ``data`` (M, n, D)."""
    return _lookup(REFERENCES, "reference", settings.reference).build(data, groups, settings)


def make_objective(settings: Settings) -> Objective:
    """A fresh objective as ``settings.objective`` names it."""
    return _lookup(OBJECTIVES, "objective", settings.objective)(settings)


def estimator(name: str, *, method: bool = False) -> type[EstimatorClass]:
    """The registered estimator class of that class name (or ``method=`` name)."""
    return _lookup(METHODS if method else ESTIMATORS, "method" if method else "estimator",
                   name)


def check(settings: Settings, *, entropic: bool) -> None:
    """Check the names ``settings`` gives against the registry, before any work.

    Raises:
        ValueError: an unregistered reference, objective or activation, or a reference
            without a density for an estimate made of entropies (naming the fix).
    """
    reference = _lookup(REFERENCES, "reference", settings.reference)
    _lookup(OBJECTIVES, "objective", settings.objective)
    _lookup(ACTIVATIONS, "activation", settings.activation)
    if entropic and not reference.has_density:
        raise ValueError(
            f"reference={settings.reference!r} has no known density, which entropies need; "
            "that reference is MINE's: use minee.MINE or method='mine', or a reference "
            "with a density such as 'student', 'gaussian' or 'uniform'")
