"""Saving a fitted estimator and loading it back (minee.save / minee.load)."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import minee
from minee import tasks
from minee.estimation.summary import summarise
from minee.presets import RECIPES
from tests.conftest import QUICK, quick


@pytest.mark.parametrize("kind", ["MINEE", "MINE", "NEE", "CMINEE"])
def test_round_trip(tmp_path: Path, kind: str) -> None:
    x, y = tasks.get("hg", rho=0.8, d=1).sample(300, seed=0)
    arrays = {"NEE": (x,), "CMINEE": (x, y, x + y ** 2)}.get(kind, (x, y))
    options = quick(preprocess="standardize") if kind != "MINE" else {**QUICK, "null": True}
    fitted = getattr(minee, kind)(seed=None, **options).fit(*arrays)
    path = minee.save(fitted, tmp_path / "model.pt")
    loaded = minee.load(path)
    assert type(loaded) is type(fitted)
    assert loaded.estimate_.to_dict() == fitted.estimate_.to_dict()  # same numbers
    np.testing.assert_array_equal(loaded.history_.train, fitted.history_.train)
    assert loaded.get_params()["seed"] == fitted.run_.seed  # the seed that was drawn
    for a, b in zip(loaded.engine_.critic.parameters(), fitted.engine_.critic.parameters(),
                    strict=True):
        assert torch.equal(a, b)
    # the weights the estimate reads (averaged over steps for MI) are restored too
    for a, b in zip(loaded.engine_.reader.parameters(), fitted.engine_.reader.parameters(),
                    strict=True):
        assert torch.equal(a, b)
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]  # no temporary left over


def test_a_model_rebuilds_its_own_settings_when_the_presets_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file holds the resolved settings: a later default (another activation) does not
    turn the saved critic into a different function."""
    x, y = tasks.get("hg", rho=0.8, d=1).sample(300, seed=0)
    fitted = minee.MINEE(seed=0, **QUICK).fit(x, y)
    path = minee.save(fitted, tmp_path / "model.pt")
    monkeypatch.setitem(RECIPES["default"], "mi", replace(RECIPES["default"]["mi"],
                                                          activation="tanh", hidden=7))
    loaded = minee.load(path)
    assert replace(loaded.settings_, device="auto") == fitted.settings_  # device: load's
    assert loaded.estimate_.to_dict() == fitted.estimate_.to_dict()


def test_loaded_model_keeps_training_like_the_original(tmp_path: Path) -> None:
    x, y = tasks.get("hg", rho=0.8, d=1).sample(300, seed=1)
    est = minee.MINEE(seed=0, max_steps=60, advanced={"eval_every": 10, "patience": None})
    run = est.prepare_batch(x[None], y[None])
    run.engine.run(until=30)
    est.fitted_from(run)  # a run stopped half-way, as after Ctrl-C
    loaded = minee.load(minee.save(est, tmp_path / "half.pt"))
    run.engine.run()
    loaded.engine_.run()
    assert summarise(loaded.run_)[0].value == summarise(run)[0].value


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not fitted"):
        minee.save(minee.MINEE(), tmp_path / "m.pt")
    with pytest.raises(TypeError, match="fitted minee estimator"):
        minee.save(object(), tmp_path / "m.pt")
    fitted = minee.NEE(seed=0, **QUICK).fit(np.random.default_rng(0).normal(size=(100, 1)))
    with pytest.raises(FileNotFoundError, match="no such folder"):
        minee.save(fitted, tmp_path / "missing" / "m.pt")
    with pytest.raises(FileNotFoundError, match="no such file"):
        minee.load(tmp_path / "absent.pt")
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(ValueError, match="not a minee model file"):
        minee.load(tmp_path / "junk.pt")
    torch.save({"format": "other"}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="format 'other'"):
        minee.load(tmp_path / "other.pt")


def test_a_fitted_estimator_pickles() -> None:
    """joblib, multiprocessing and ``torch.save(est)`` pickle estimators whole."""
    x, y = tasks.get("hg", rho=0.8, d=1).sample(300, seed=0)
    fitted = minee.MINEE(seed=0, **quick(averaging=0.99)).fit(x, y)
    again = pickle.loads(pickle.dumps(fitted))
    assert again.estimate_.to_dict() == fitted.estimate_.to_dict()
