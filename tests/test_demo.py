"""``minee demo``: minee, KSG and the Gaussian estimate on built-in data, run as a user runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import minee.tasks
from minee.baselines import gaussian_mi, ksg
from minee.cli import main
from minee.commands.demo import parse_task
from tests.test_readme import short_training

# one thread: on the shared test machine a second one only spins (2x the CPU time)
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def test_demo_prints_the_table_and_writes_the_plot(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    short_training(monkeypatch)
    monkeypatch.chdir(tmp_path)
    # a small sample keeps it fast; the default (N = 2000) is what users run
    assert main(["demo", "--n", "400", "--seed", "1", "--task", "hg:rho=0.8,d=2",
                 "--plot", "d.png", "--quiet", "--threads", "1"]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    lines = out.out.splitlines()
    assert lines[0].startswith("I(X;Y) on HighDimGaussian(rho=0.8, d=2): 400 rows")
    task = minee.tasks.get("hg", rho=0.8, d=2)
    x, y = task.sample(400, seed=1)
    rows = {line.split()[0]: line for line in lines[2:6]}
    assert set(rows) == {"truth", "minee", "KSG", "Gaussian"}
    # every number is computed at run time on the same sample
    assert f"{task.mutual_information:.4f}" in rows["truth"]
    assert f"{ksg(x, y):.4f}" in rows["KSG"] and f"{gaussian_mi(x, y):.4f}" in rows["Gaussian"]
    interval = re.search(r"\[(-?[\d.]+), (-?[\d.]+)\]", rows["minee"])
    assert interval is not None
    value = float(rows["minee"].split()[1])
    assert float(interval[1]) <= value <= float(interval[2])
    error = float(rows["minee"].split()[2])
    assert error == pytest.approx(value - task.mutual_information, abs=2e-4)
    cpu_seconds = [float(rows[m].split()[-2]) for m in ("minee", "KSG", "Gaussian")]
    assert all(t >= 0 for t in cpu_seconds) and cpu_seconds[0] > 0
    assert any(line.startswith("minee: default settings") for line in lines)
    assert any("nats" in line.lower() and "truth" in line for line in lines[6:])
    assert lines[-1] == "plot: d.png"
    assert (tmp_path / "d.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.png"]


@pytest.mark.parametrize(("argv", "message"), [
    (["demo", "--task", "nope"], "unknown task 'nope'"),
    (["demo", "--task", "hg:rho"], "expected NAME:KEY=VALUE"),
    (["demo", "--task", "hg:rho=2"], "rho must be"),
    (["demo", "--task", "hg:colour=3"], "bad parameters for task 'hg'"),
    (["demo", "--plot", "demo.gif"], "cannot write a figure"),
    (["demo", "--plot", "no/such/folder/demo.png"], "no/such/folder"),
])
def test_errors_exit_2_before_any_work(argv: list[str], message: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("training started")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("minee.api.mutual_information", forbidden)
    assert main([*argv, "--quiet"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and len(captured.err.strip().splitlines()) == 1
    assert captured.out == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["demo", "--n", "0"], ["demo", "--n", "many"],
                                  ["demo", "--seed", "-1"], ["demo", "--threads", "0"]])
def test_bad_numbers_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


def test_demo_runs_as_a_command(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "minee.cli", "demo", "--task", "nope"],
                         capture_output=True, text=True, timeout=120, env=ENV, cwd=tmp_path)
    assert out.returncode == 2 and "unknown task 'nope'" in out.stderr and out.stdout == ""


def test_task_specs() -> None:
    assert parse_task("hg:rho=0.9,d=6") == ("hg", {"rho": 0.9, "d": 6})
    assert parse_task("mg") == ("mg", {})
    assert parse_task("monotone: transform=cube , d=3") == ("monotone",
                                                            {"transform": "cube", "d": 3})


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = capsys.readouterr().out
    assert "minee demo --plot demo.png" in text and "nats" in text


def test_the_default_task_is_one_where_minee_is_needed(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The demo as a new user runs it: the Gaussian formula and KSG are both more than 10%
    off, minee within 5% with its interval covering the truth."""
    assert main(["demo", "--quiet", "--threads", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line for line in lines[2:6]}

    def value(method: str) -> float:  # "KSG (k=3)  1.4350 ..." names the method in two words
        return float(rows[method].split()[2 if method == "KSG" else 1])

    truth = value("truth")
    relative = {m: abs(value(m) - truth) / truth for m in ("minee", "KSG", "Gaussian")}
    assert relative["KSG"] > 0.1 and relative["Gaussian"] > 0.1, relative
    assert relative["minee"] < 0.05, relative
    interval = re.search(r"\[(-?[\d.]+), (-?[\d.]+)\]", rows["minee"])
    assert interval is not None and float(interval[1]) <= truth <= float(interval[2])
