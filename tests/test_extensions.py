"""A reference, an objective and an estimator registered from outside the package, used
through ``mutual_information``, ``save``/``load`` and the command line; and every
registered estimator saves and loads."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import minee
import minee.estimation.estimators  # noqa: F401  (the built-in estimators register on import)
from minee import registry
from tests.conftest import QUICK

# a plugin module as a user would write it: nothing of it is in src/
PLUGIN = textwrap.dedent('''
    from dataclasses import dataclass, replace

    import torch

    import minee
    from minee import registry
    from minee.training.objectives import ObjectiveBase
    from minee.training.references import Gaussian, Reference


    class WideGaussian(Reference):
        """The fitted Gaussian with its covariance inflated by 1.5^2."""

        @classmethod
        def build(cls, data, groups, settings):
            return cls(data)

        def __init__(self, data):
            self.inner = Gaussian(data)
            centred = data - self.inner.mean[:, None]
            self.inner.cov = centred.transpose(1, 2) @ centred / (data.shape[1] - 1) * 2.25
            self.inner.chol = torch.linalg.cholesky(self.inner.cov)
            self.dim = data.shape[-1]

        def sample(self, out, generator):
            return self.inner.sample(out, generator)

        def neg_log_density(self, z, masks):
            return self.inner.neg_log_density(z, masks)


    class NWJ(ObjectiveBase):
        """The NWJ bound's loss: -(mean f - mean e^(f - 1))."""

        def loss(self, f_data, f_ref):
            return -(f_data.mean(-1) - torch.exp(f_ref - 1).mean(-1))


    @dataclass(kw_only=True, eq=False, repr=False)
    class WideMINEE(minee.MINEE):
        """MI-NEE against the wide Gaussian, trained with NWJ's loss."""

        def recipe(self):
            return replace(super().recipe(), reference="wide", objective="nwj",
                           preprocess="standardize")


    registry.register_reference("wide", WideGaussian)
    registry.register_objective("nwj", lambda settings: NWJ())
    registry.register_estimator(WideMINEE, method="wide")
''')

rng = np.random.default_rng(5)
X = rng.normal(size=(600, 1))
Y = X + rng.normal(size=(600, 1))  # I = 0.5 ln 2 = 0.347 nats


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "minee_plugin_example.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("minee_plugin_example")
    yield module
    for table, key in ((registry.REFERENCES, "wide"), (registry.OBJECTIVES, "nwj"),
                       (registry.ESTIMATORS, "WideMINEE"), (registry.METHODS, "wide")):
        table.pop(key, None)
    sys.modules.pop("minee_plugin_example", None)


def test_an_outside_estimator_reference_and_objective_estimate_and_save(
        plugin, tmp_path: Path) -> None:
    est = minee.mutual_information(X, Y, method="wide", seed=0, max_steps=300)
    assert abs(est.value - 0.5 * np.log(2)) < 0.15
    fitted = plugin.WideMINEE(seed=0, **QUICK).fit(X, Y)
    assert (fitted.settings_.reference, fitted.settings_.objective) == ("wide", "nwj")
    loaded = minee.load(minee.save(fitted, tmp_path / "wide.pt"))
    assert type(loaded) is plugin.WideMINEE
    assert loaded.estimate_.to_dict() == fitted.estimate_.to_dict()


def test_the_command_line_offers_what_a_plugin_registers(plugin, tmp_path: Path) -> None:
    data = tmp_path / "pair.csv"
    np.savetxt(data, np.hstack([X, Y]), delimiter=",", header="a,b", comments="")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "minee.cli", "--plugin", "minee_plugin_example",
               "estimate", str(data), "--x", "a", "--y", "b", "--method", "wide",
               "--max-steps", "30", "--seed", "0", "--json", "--quiet"]
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    settings = json.loads(out.stdout)["settings"]
    assert (settings["reference"], settings["objective"]) == ("wide", "nwj")
    without = subprocess.run(command[:3] + command[5:], capture_output=True, text=True,
                             env=env, timeout=300)
    assert without.returncode == 2 and "wide" in without.stderr


@pytest.mark.parametrize("name", sorted(registry.ESTIMATORS))
def test_every_registered_estimator_saves_and_loads(name: str, tmp_path: Path) -> None:
    cls = registry.ESTIMATORS[name]
    arrays = {"x": X, "y": Y, "z": X ** 2}
    fitted = cls(seed=1, **QUICK).fit(*(arrays[v] for v in cls.variables))
    loaded = minee.load(minee.save(fitted, tmp_path / f"{name}.pt"))
    assert type(loaded) is cls
    assert replace(loaded.settings_, device="auto") == fitted.settings_  # device: load's
    assert loaded.estimate_.to_dict() == fitted.estimate_.to_dict()
