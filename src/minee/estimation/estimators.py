r"""The estimators: NEE (entropy), MINEE (MI by entropies), MINE and CMINEE (conditional MI).

Each is a set of critic *heads*, one per variable set, trained together by the one engine
(:mod:`minee.estimation.base` holds what they share). With a reference of known density,
head S gives the entropy $H(Z_S) = CE_S - D_S$ (eq. 14) and the target is a signed sum of
entropies; MINE's single head gives the MI directly as a divergence from the product of the
marginals.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from ..registry import register_estimator
from ..settings import Settings
from ..training.critics import Critic, DifferenceCritic
from ..training.heads import Heads, blocks
from .base import Estimator, batch_doc
from .model import Run

__all__ = ["NEE", "MINEE", "MINE", "InfoNCE", "CMINEE"]


@dataclass(kw_only=True, eq=False, repr=False)
class _MIEstimator(Estimator):
    """Settings of the (conditional) MI estimators on top of the shared ones.

    Arguments:
        null: also estimate, in the same batched model, the MI of each sample with Y's
            rows shuffled (dependence destroyed, marginals and Z kept): the permutation
            null level, reported as ``Estimate.null`` and used by the ``noise_level``
            diagnostic. Doubles the work.
    """

    null: bool = False


@dataclass(kw_only=True, eq=False, repr=False)
class _PairEstimator(_MIEstimator):
    """I(X;Y) estimators: ``fit(x, y)``, ``estimate(x, y)`` and ``prepare_batch(xs, ys)``."""

    def fit(self, x: Any, y: Any) -> _PairEstimator:
        """Estimate I(x; y) from paired samples, shapes (n, dx) and (n, dy)."""
        self._fit_arrays(x=x, y=y)
        return self

    def estimate(self, x: Any, y: Any) -> float:
        """Fit on (x, y) and return I(X;Y) in nats (the interface benchmark harnesses call).

        Example:
            >>> import numpy as np, minee
            >>> x = np.random.default_rng(0).normal(size=(300, 1))
            >>> y = x + np.random.default_rng(1).normal(size=(300, 1))
            >>> value = minee.MINEE(max_steps=50, seed=0).estimate(x, y)
        """
        return float(self.fit(x, y).mutual_information_)

    def prepare_batch(self, xs: Any, ys: Any) -> Run:
        return self._prepare_arrays({"x": xs, "y": ys})

    prepare_batch.__doc__ = batch_doc("xs, ys")


@dataclass(kw_only=True, eq=False, repr=False)
class NEE(Estimator):
    r"""Neural entropic estimation of differential entropy $H(Z)$ in nats (eq. 14).

    Arguments:
        reference: a registered reference with a density (:data:`minee.registry.REFERENCES`):
            ``"student"`` (the default: a multivariate Student-t fitted by maximum
            likelihood, :mod:`minee.training.student_t`; heavy tails and Gaussians alike),
            ``"gaussian"`` (fitted mean and covariance; pass
            ``advanced={"critic_bound": 0}`` with it on heavy-tailed data, whose log
            density ratio to a Gaussian exceeds the default's 20-nat bound in the tails) or
            ``"uniform"`` (the sample's bounding box, eq. 22; the paper).

    Other arguments: see :class:`minee.estimation.base.Estimator`.

    Fitted attributes: ``entropy_`` (nats), ``estimate_`` (:class:`~minee.Estimate`),
    ``history_``, ``settings_``.
    """

    _preset_kind: ClassVar[str] = "entropy"
    _quantity: ClassVar[str] = "entropy"
    variables: ClassVar[tuple[str, ...]] = ("x",)
    _value_attr: ClassVar[str] = "entropy_"

    def heads(self, widths: dict[str, int]) -> Heads:
        return blocks(widths, {"x": ("x",)}, {"x": 1.0})

    def fit(self, x: Any) -> NEE:
        """Estimate H(x) from samples ``x`` of shape (n, d) or (n,)."""
        self._fit_arrays(x=x)
        return self

    def estimate(self, x: Any) -> float:
        """Fit on ``x`` and return H(X) in nats."""
        return float(self.fit(x).entropy_)

    def prepare_batch(self, xs: Any, *, settings: Settings | None = None) -> Run:
        return self._prepare_arrays({"x": xs}, settings)

    prepare_batch.__doc__ = batch_doc("xs") + """
        ``settings``: the settings of the fit, already resolved for these rows
        (:meth:`settings`); many-estimate jobs share one.
        """


@dataclass(kw_only=True, eq=False, repr=False)
class MINEE(_PairEstimator):
    r"""MI-NEE: $I(X;Y) = H(X) + H(Y) - H(X,Y)$ from three entropic critics (eq. 18).

    Arguments:
        reference: ``"uniform"`` (paper; the joint box is the product of the marginal
            boxes, so the cross-entropies cancel, Proposition 2), ``"gaussian"`` (fitted
            mean and covariance; sits close to the data in high dimensions),
            ``"student"`` (a fitted multivariate Student-t, :mod:`minee.training.student_t`; the
            default: it also fits heavy-tailed dependence, and on Gaussian-like data its
            fitted dof is large; one t per variable where a likelihood-ratio test does
            not show X and Y dependent) or any registered reference with a density.

    The recipe's ``form`` (``"separate"``: three critics, the authors' code; ``"shared"``:
    one critic with three outputs, section 3.2) and ``joint_residual`` (the joint critic
    is $f_{XY} + f_X + f_Y$ with the marginal critics' values held fixed, so that what they
    learn cancels exactly from $D_{XY} - D_X - D_Y$) shape the critics.

    Other arguments: see :class:`minee.estimation.base.Estimator`.

    Fitted attributes: ``mutual_information_`` (nats), ``entropies_``, ``estimate_``,
    ``history_``, ``settings_``.
    """

    def heads(self, widths: dict[str, int]) -> Heads:
        return blocks(widths, {"xy": ("x", "y"), "x": ("x",), "y": ("y",)},
                      {"xy": -1.0, "x": 1.0, "y": 1.0})


@dataclass(kw_only=True, eq=False, repr=False)
class _DirectMI(_PairEstimator):
    """An I(X;Y) estimator with one critic head whose divergence is the MI itself (no
    entropies: its reference needs no density)."""

    entropic: ClassVar[bool] = False

    def heads(self, widths: dict[str, int]) -> Heads:
        # one head whose divergence is the MI: Heads.combine's sign convention
        return blocks(widths, {"xy": ("x", "y")}, {"xy": -1.0})


@dataclass(kw_only=True, eq=False, repr=False)
class MINE(_DirectMI):
    r"""MINE: $I(X;Y) = D(p_{XY} \| p_X p_Y)$ by one critic against resampled marginals.

    Trained with the moving-average gradient correction of Belghazi et al. (2018)
    (``objective="ma"``).

    The recipe's ``ma_rate`` is the moving-average rate (the paper's 0.01).

    Other arguments: see :class:`minee.estimation.base.Estimator` (the paper preset uses a 300-wide
    critic).

    Fitted attributes: ``mutual_information_`` (nats), ``estimate_``, ``history_``,
    ``settings_``.
    """

    _preset_kind: ClassVar[str] = "mine"

    def prepare_batch(self, xs: Any, ys: Any, *, critic_from: Run | None = None) -> Run:
        """As for every estimator; with ``critic_from``, MINE's critic starts as a copy of a
        trained MI-NEE run's critics, $T = f_{XY} - f_X - f_Y$ (the authors'
        cross-training, eq. 17), and this estimator's ``hidden``/``depth``/``init``/
        ``scale_inputs``/``clamp_inputs``/``compress_tails`` are not used (the
        copy keeps the trained run's input maps, scaling and box). The copy is trained;
        ``critic_from`` is left as it was.
        """
        if critic_from is None:
            return self._prepare_arrays({"x": xs, "y": ys})
        trained = cast(Critic, critic_from.engine.reader)  # an entropic run's critic
        critic = DifferenceCritic(copy.deepcopy(trained), critic_from.heads)
        return self._prepare_arrays({"x": xs, "y": ys}, critic=critic)


@dataclass(kw_only=True, eq=False, repr=False)
class InfoNCE(_DirectMI):
    r"""InfoNCE (van den Oord et al. 2018): a contrastive lower bound on I(X;Y) in nats.

    One critic $f(x, y)$ scores each batch's B pairs against all B x B re-pairings
    (:mod:`minee.training.infonce`); the estimate is the same bound read on held-out (or training)
    rows in batches of B. **It cannot exceed ln B** (ln 128 = 4.85 nats with the default
    ``batch_size=128``): raise ``batch_size`` for larger MI, at B^2 critic rows per step.
    A value within 0.5 nats of ln B is flagged ``saturated``.

    Arguments: see :class:`minee.estimation.base.Estimator` (``reference`` is the product of the
    marginals, realised inside each batch).

    Fitted attributes: ``mutual_information_`` (nats), ``estimate_``, ``history_``,
    ``settings_``.
    """

    _preset_kind: ClassVar[str] = "infonce"


@dataclass(kw_only=True, eq=False, repr=False)
class CMINEE(_MIEstimator):
    r"""Conditional MI $I(X;Y|Z) = H(X,Z) + H(Y,Z) - H(X,Y,Z) - H(Z)$ with four heads.

    Arguments: as :class:`MINEE`.

    Fitted attributes: ``mutual_information_`` (nats), ``entropies_``, ``estimate_``,
    ``history_``, ``settings_``.
    """

    _quantity: ClassVar[str] = "conditional_mutual_information"
    variables: ClassVar[tuple[str, ...]] = ("x", "y", "z")

    def heads(self, widths: dict[str, int]) -> Heads:
        return blocks(widths, {"xz": ("x", "z"), "yz": ("y", "z"), "xyz": ("x", "y", "z"),
                               "z": ("z",)},
                      {"xz": 1.0, "yz": 1.0, "xyz": -1.0, "z": -1.0})

    def fit(self, x: Any, y: Any, z: Any) -> CMINEE:
        """Estimate I(x; y | z) from paired samples, shapes (n, dx), (n, dy), (n, dz)."""
        self._fit_arrays(x=x, y=y, z=z)
        return self

    def estimate(self, x: Any, y: Any, z: Any) -> float:
        """Fit on (x, y, z) and return I(X;Y|Z) in nats."""
        return float(self.fit(x, y, z).mutual_information_)

    def prepare_batch(self, xs: Any, ys: Any, zs: Any) -> Run:
        return self._prepare_arrays({"x": xs, "y": ys, "z": zs})

    prepare_batch.__doc__ = batch_doc("xs, ys, zs")


register_estimator(NEE)
register_estimator(MINEE, method="minee")
register_estimator(MINE, method="mine")
register_estimator(InfoNCE, method="infonce")
register_estimator(CMINEE)
