"""Inputs and options that used to fail obscurely now get a clear error naming the fix:
sparse matrices, constant columns named by their label, absurd critic widths, a
non-finite checkpoint interval; and the command-line report names the ensemble and the
folds apart."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import minee
from minee.cli import main
from minee.commands.report import report_table
from tests.conftest import QUICK

RNG = np.random.default_rng(0)
X = RNG.normal(size=(300, 2))
Y = X[:, :1] + RNG.normal(size=(300, 1))


def test_a_sparse_matrix_is_refused_with_the_fix() -> None:
    with pytest.raises(TypeError, match=r"sparse matrix \(csr_matrix\).*toarray"):
        minee.mutual_information(sp.csr_matrix(X), Y, seed=0, **QUICK)


def test_a_constant_column_is_named_by_its_label() -> None:
    df = pd.DataFrame({"a": X[:, 0], "flat": 1.0, "c": Y[:, 0]})
    with pytest.raises(ValueError, match=r"column 'flat' \(index 1\) is constant"):
        minee.mi_matrix(df, seed=0, **QUICK)
    with pytest.raises(ValueError, match=r"y column 'flat' \(index 0\) is constant"):
        minee.mutual_information(df[["a"]], df[["flat"]], seed=0, **QUICK)


def test_a_critic_too_wide_to_allocate_is_refused_before_training() -> None:
    with pytest.raises(ValueError, match="hidden=100,000 is wider than the 8,192 accepted"):
        minee.mutual_information(X, Y, seed=0, advanced={"hidden": 100_000})


@pytest.mark.parametrize("every", ["nan", "inf", "-5"])
def test_a_checkpoint_interval_must_be_a_finite_number_of_seconds(
        every: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["reproduce", "fig1", "--checkpoint-every", every, "--seeds", "1", "--steps",
            "10", "--eval-every", "5", "--out", str(tmp_path), "--no-plot", "--quiet"]
    if every in ("nan", "inf"):  # refused by the parser
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2
    else:  # refused by reproduce() before any training
        assert main(argv) == 2
    assert "finite" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_the_report_names_the_ensemble_and_the_folds_apart() -> None:
    est = minee.MINEE(seed=0, folds=3, ensemble=1, **QUICK).fit(X[:200], Y[:200])
    args = argparse.Namespace(plot=None, save=None)
    head = report_table(est.estimate_, "d.csv", {"x": ["a"], "y": ["b"]}, 200, "MINEE",
                        args, settings=est.settings_).splitlines()[0]
    assert "3 cross-fitted folds" in head and "ensemble" not in head
    assert f"seed       {est.settings_.seed}" in report_table(
        est.estimate_, "d.csv", {"x": ["a"], "y": ["b"]}, 200, "MINEE", args,
        settings=est.settings_)
    two = minee.MINEE(seed=0, folds=1, ensemble=2, **QUICK).fit(X, Y)
    head = report_table(two.estimate_, "d.csv", {"x": ["a"], "y": ["b"]}, 300, "MINEE",
                        args, settings=two.settings_).splitlines()[0]
    assert "ensemble 2" in head and "folds" not in head
