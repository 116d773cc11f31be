"""The recipes of the estimators: minee's defaults and the paper's protocol.

``recipe(preset, kind)`` is the :class:`~minee.settings.Recipe` an estimator of ``kind``
(``"mi"``, ``"entropy"``, ``"mine"``, ``"infonce"``; ``"table"``: every entropy of
:func:`minee.mi_matrix` and :func:`minee.relevance`) starts from. The MI default is
``Recipe()`` itself; the others differ from it where stated. Why each value was chosen
(the tuning problems, the numbers, what was tried and not adopted) is in
``benchmarks/README.md``, "How the default recipe was chosen".
"""

from __future__ import annotations

from dataclasses import replace

from .checks import one_of
from .settings import Recipe

__all__ = ["RECIPES", "recipe"]

# Entropies keep the data's scale (rank scores would change them) and read every row: no
# held-out split, 1,000 steps, ELU critics with a Gaussian-like start; a fitted Student-t
# reference with critics bounded to +-20 nats (a far row cannot carry the estimate).
_ENTROPY = replace(
    Recipe(), max_steps=1000, val_fraction=0.0, folds=1, auto_batch=512, activation="elu",
    critic_bound=20.0, min_steps=200, extend=1.0, averaging=0.0, joint_residual=False,
    clamp_inputs=False, compress_tails=False, preprocess="none")

# the authors' protocol: batch 100, N(0, 0.02^2) weights, the uniform box reference, no
# held-out rows, evaluation after every step, estimates smoothed at rate 0.01
_PAPER = replace(
    _ENTROPY, reference="uniform", max_steps=20000, lr=1e-4, batch_size=100,
    ref_factor=10.0, eval_every=1, hidden=100, critic_bound=0.0, init=0.02, patience=None,
    min_steps=0, smoothing=0.01, margin=0.0, scale_inputs=False)

_TABLE = replace(Recipe(), hidden=16, auto_batch=128, ref_factor=1.0)

#: per preset, per estimator kind, the recipe it starts from
RECIPES: dict[str, dict[str, Recipe]] = {
    "default": {
        "mi": Recipe(),
        # columns with an edge (a box, a half-line) mapped onto the real line, the maps'
        # log-Jacobians counted (minee.training.edges)
        "entropy": replace(_ENTROPY, preprocess="edges"),
        "mine": replace(_ENTROPY, reference="marginals", objective="ma", lr=1e-3,
                        ref_factor=1.0, critic_bound=0.0),
        # batch 128: the B x B contrast grid costs B^2 critic rows a step and the bound
        # cannot exceed ln B = 4.85 nats; every 50 steps: an evaluation reads n / B grids
        "infonce": replace(_ENTROPY, reference="marginals", objective="infonce", lr=1e-3,
                           batch_size=128, eval_every=50, critic_bound=0.0),
        # the entropies of a table's columns and pairs (mi_matrix, relevance): the MI
        # default's recipe with 16-unit critics, minibatches of 128 rows and as many
        # reference rows. In one or two columns the reference carries nearly all of the
        # law and the critic corrects it: on 1 + 1 problems these read as the MI default's
        # critics do (mean error 0.018 nats either way) at a fifth of the cost per pair
        # (benchmarks/README.md, "The MI matrix: table recipe and each pair's scale")
        "table": _TABLE,
    },
    "paper": {
        "mi": _PAPER,
        "entropy": _PAPER,
        "mine": replace(_PAPER, reference="marginals", objective="ma", hidden=300,
                        ref_factor=1.0),
        "infonce": replace(_PAPER, reference="marginals", objective="infonce"),
        "table": _PAPER,
    },
}


def recipe(preset: str = "default", kind: str = "mi") -> Recipe:
    """The recipe estimators of ``kind`` start from under ``preset``.

    Example:
        >>> from minee.presets import recipe
        >>> recipe("paper", "mine").hidden
        300
    """
    one_of(RECIPES)("preset", preset)
    one_of(RECIPES[preset])("kind", kind)
    return RECIPES[preset][kind]
