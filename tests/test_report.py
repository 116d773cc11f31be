"""The table report of ``minee estimate`` and ``minee entropy``: the seed it used (drawn at
random unless given), so that a run can be repeated, and the preprocessing it used."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from minee.cli import main

FAST = ["--max-steps", "20", "--quiet"]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((400, 1))
    path = tmp_path_factory.mktemp("report") / "data.npy"
    np.save(path, np.hstack([a, 0.8 * a + 0.6 * rng.standard_normal((400, 1))]))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_a_drawn_seed_is_printed_and_repeats_the_run(
        data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = run(capsys, "estimate", str(data), "--x", "0", "--y", "1", *FAST)
    found = re.search(r"^  seed +(\d+) \(--seed \1 repeats this run\)$", first, re.MULTILINE)
    assert found, first
    again = run(capsys, "estimate", str(data), "--x", "0", "--y", "1", *FAST,
                "--seed", found[1])
    values = [re.search(r"^  I\(X;Y\) +(-?[\d.]+) nats", out, re.MULTILINE)
              for out in (first, again)]
    assert values[0] and values[1] and values[0][1] == values[1][1]
    assert f"--seed {found[1]} repeats" in again


@pytest.mark.parametrize(("command", "preprocess", "expected"), [
    (["estimate", "--x", "0", "--y", "1"], "none", "preprocess none (the columns as given)"),
    (["estimate", "--x", "0", "--y", "1"], "rank", "MI unchanged; entropies are of the"),
    (["entropy", "--cols", "0"], "rank", "the entropy of the transformed columns"),
    (["entropy", "--cols", "0"], "standardize", "corrected back to the data's scale"),
])
def test_the_preprocessing_is_reported(data: Path, capsys: pytest.CaptureFixture[str],
                                       command: list[str], preprocess: str,
                                       expected: str) -> None:
    out = run(capsys, command[0], str(data), *command[1:], *FAST, "--seed", "0",
              "--preprocess", preprocess)
    assert f"  preprocess {preprocess}" in out and expected in out
