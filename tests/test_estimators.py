"""Contract tests over every estimator x reference, and identities between their outputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.base import clone

import minee
from minee.estimation.summary import summarise
from minee.settings import AUTO_FOLDS
from tests.conftest import QUICK, quick

rng = np.random.default_rng(1)
X = rng.standard_normal((200, 2))
Y = X[:, :1] + 0.5 * rng.standard_normal((200, 1))
Z = rng.standard_normal((200, 1))

# (estimator factory, fit arguments, names of the entropies it reports)
CASES = {
    "nee-uniform": (lambda **kw: minee.NEE(reference="uniform", **kw), (X,), {"x"}),
    "nee-gaussian": (lambda **kw: minee.NEE(reference="gaussian", **kw), (X,), {"x"}),
    "minee-uniform": (lambda **kw: minee.MINEE(reference="uniform", **kw), (X, Y),
                      {"x", "y", "xy"}),
    "minee-gaussian": (lambda **kw: minee.MINEE(reference="gaussian", **kw), (X, Y),
                       {"x", "y", "xy"}),
    "minee-shared": (lambda **kw: minee.MINEE(**{**kw, "advanced": {
        **kw.get("advanced", {}), "form": "shared"}}), (X, Y), {"x", "y", "xy"}),
    "minee-paper": (lambda **kw: minee.MINEE(preset="paper", **kw), (X, Y), {"x", "y", "xy"}),
    "mine": (lambda **kw: minee.MINE(**kw), (X, Y), set()),
    "mine-paper": (lambda **kw: minee.MINE(preset="paper", **kw), (X, Y), set()),
    "cminee-uniform": (lambda **kw: minee.CMINEE(reference="uniform", **kw), (X, Y, Z),
                       {"xz", "yz", "xyz", "z"}),
    "cminee-gaussian": (lambda **kw: minee.CMINEE(reference="gaussian", **kw), (X, Y, Z),
                        {"xz", "yz", "xyz", "z"}),
}


def _value(est: object) -> float:
    return est.entropy_ if isinstance(est, minee.NEE) else est.mutual_information_


@pytest.mark.parametrize("case", sorted(CASES))
def test_contract(case: str) -> None:
    make, args, names = CASES[case]
    est = make(seed=3, device="cpu", **QUICK)
    with pytest.raises(AttributeError, match="after fit"):
        _ = est.estimate_
    assert est.fit(*args) is est
    result = est.estimate_
    assert math.isfinite(_value(est)) and _value(est) == result.value
    assert set(result.entropies) == names
    # one critic set, or one per fold where the MI default cross-fits a small sample
    members = AUTO_FOLDS if isinstance(est, minee.MINEE | minee.CMINEE) \
        and est.preset == "default" else 1
    assert est.settings_.members == members and result.members.shape == (members,)
    steps = result.history.steps
    assert steps[0] == 0 and steps[-1] <= QUICK["max_steps"]
    assert result.history.train.shape == (steps.size, members)
    assert isinstance(result.diagnostics, dict)
    # Same seed, same numbers; a clone refits to the same numbers too.
    again = make(seed=3, device="cpu", **QUICK).fit(*args)
    assert _value(again) == _value(est)
    twin = clone(est)
    assert twin.get_params() == est.get_params() and not hasattr(twin, "estimate_")
    assert _value(twin.fit(*args)) == _value(est)
    # Refit on other data replaces the fitted state.
    other = tuple(a[::-1].copy() for a in args)
    est.fit(*other)
    assert est.estimate_ is not result


@pytest.mark.parametrize("case", ["minee-uniform", "minee-gaussian", "minee-shared",
                                  "cminee-uniform", "cminee-gaussian"])
def test_entropies_add_up(case: str) -> None:
    make, args, _ = CASES[case]
    est = make(seed=0, **QUICK).fit(*args).estimate_
    h = est.entropies
    conditional = "xyz" in h
    combined = (h["xz"] + h["yz"] - h["xyz"] - h["z"] if conditional
                else h["x"] + h["y"] - h["xy"])
    assert combined == pytest.approx(est.value, abs=1e-9)


def test_uniform_mi_is_the_divergence_identity() -> None:
    # Proposition 2: with the product-box reference the cross-entropies cancel and
    # I = D_xy - D_x - D_y exactly.
    est = minee.MINEE(reference="uniform", seed=0, **QUICK).fit(X, Y).estimate_
    d = est.divergences
    assert d["xy"] - d["x"] - d["y"] == pytest.approx(est.value, abs=1e-6)


def test_seed_changes_numbers() -> None:
    a = minee.MINEE(seed=0, **QUICK).fit(X, Y).mutual_information_
    b = minee.MINEE(seed=1, **QUICK).fit(X, Y).mutual_information_
    assert a != b


def test_a_drawn_seed_is_recorded_and_repeats_the_estimate() -> None:
    drawn = minee.mutual_information(X, Y, **QUICK)  # seed=None: one is drawn
    assert isinstance(drawn.seed, int) and drawn.to_dict()["seed"] == drawn.seed
    again = minee.mutual_information(X, Y, seed=drawn.seed, **QUICK)
    assert again.value == drawn.value and again.seed == drawn.seed


def test_ensemble_members_and_interval() -> None:
    est = minee.MINEE(seed=0, ensemble=3, folds=1, **QUICK).fit(X, Y).estimate_
    assert est.members.shape == (3,)
    assert est.value == pytest.approx(est.members.mean())
    assert len(set(est.members.tolist())) == 3  # members start from different weights
    low, high = est.ci
    assert low < est.value < high and est.stderr > 0


def test_batch_equals_problems() -> None:
    """P problems in one model give one estimate each, in order, each from its own data."""
    xs = np.stack([X, X * 3.0])
    ys = np.stack([Y, Y])
    # entropies of the data as given (rank scores, the MI default, would remove the scale)
    run = minee.MINEE(seed=0, **quick(preprocess="none")).prepare_batch(xs, ys)
    run.engine.run()
    first, second = summarise(run)
    # scaling X by 3 shifts H(X) and H(X,Y) by 2 ln 3 (within training noise) but not I.
    assert second.entropies["x"] - first.entropies["x"] == pytest.approx(
        2 * math.log(3), abs=0.15)


def test_params_roundtrip_and_repr() -> None:
    est = minee.MINEE(ensemble=2, advanced={"lr": 1e-3})
    assert est.get_params()["advanced"] == {"lr": 1e-3}
    assert est.get_params()["preset"] == "default"
    assert est.set_params(advanced={"lr": 2e-3}) is est and est.recipe().lr == 2e-3
    assert "advanced={'lr': 0.002}" in repr(est) and "ensemble=2" in repr(est)
    with pytest.raises(ValueError, match="no parameter"):
        est.set_params(learning_rate=1.0)


def test_paper_preset_settings() -> None:
    s = minee.MINEE(preset="paper").settings(500)
    assert (s.lr, s.batch_size, s.ref_factor, s.hidden, s.init) == (1e-4, 100, 10.0, 100, 0.02)
    assert (s.reference, s.margin, s.val_fraction, s.eval_every) == ("uniform", 0.0, 0.0, 1)
    m = minee.MINE(preset="paper").settings(500)
    assert (m.hidden, m.ma_rate, m.reference, m.objective) == (300, 0.01, "marginals", "ma")


def test_inputs_of_every_kind_agree() -> None:
    pd = pytest.importorskip("pandas")
    torch = pytest.importorskip("torch")
    base = minee.MINEE(seed=0, **QUICK).fit(X, Y).mutual_information_
    frames = (pd.DataFrame(X, columns=["a", "b"]), pd.Series(Y[:, 0]))
    assert minee.MINEE(seed=0, **QUICK).fit(*frames).mutual_information_ == base
    assert minee.MINEE(seed=0, **QUICK).fit(X.tolist(), Y[:, 0].tolist()
                                            ).mutual_information_ == base
    assert minee.MINEE(seed=0, **QUICK).fit(torch.tensor(X), torch.tensor(Y)
                                            ).mutual_information_ == base


def test_float64() -> None:
    est = minee.MINEE(seed=0, **quick(dtype="float64")).fit(X, Y)
    assert est.engine_.train_rows.dtype.is_floating_point
    assert str(est.engine_.train_rows.dtype) == "torch.float64"


def test_divergence_is_caught_and_reported() -> None:
    # A wide init on badly scaled inputs with a huge step overflows exp(f) in MINE's loss.
    with pytest.warns(minee.MineeWarning, match="diverged"):
        recipe = {"lr": 1.0, "init": 1.0, "scale_inputs": False, "eval_every": 5}
        est = minee.MINE(seed=0, val_fraction=0, max_steps=200, advanced=recipe
                         ).fit(X * 100, Y * 100)
    assert "diverged" in est.estimate_.diagnostics
    assert math.isfinite(est.mutual_information_)  # the last finite estimate is kept
    assert est.history_.steps[-1] < 200  # training stopped


def test_api_functions(gaussian_pair: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = gaussian_pair
    a = minee.mutual_information(x, y, seed=0, **QUICK)
    assert isinstance(a, minee.Estimate) and a.quantity == "mutual_information"
    m = minee.mutual_information(x, y, method="mine", seed=0, **QUICK)
    assert m.entropies == {}
    h = minee.entropy(x, seed=0, **QUICK)
    assert h.quantity == "entropy" and set(h.entropies) == {"x"}
    z = np.random.default_rng(5).standard_normal(len(x))
    c = minee.conditional_mutual_information(x, y, z, seed=0, **QUICK)
    assert c.quantity == "conditional_mutual_information"
    with pytest.raises(ValueError, match="unknown method"):
        minee.mutual_information(x, y, method="ksg")
    assert a.to_dict()["units"] == "nats" and a.to_dict()["value"] == a.value


def test_a_history_prints_as_one_line() -> None:
    history = minee.MINEE(seed=0, **QUICK).fit(X, Y).history_
    text = repr(history)
    assert "\n" not in text and len(text) < 250 and "evaluations" in text
    assert f"steps 0-{int(history.steps[-1])}" in text
