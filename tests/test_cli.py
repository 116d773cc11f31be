"""The ``minee`` command line (subcommands, errors, outputs, startup), run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import minee
from minee.cli import main

FAST = ["--max-steps", "20", "--quiet"]


# one thread: on the shared test machine a second one only spins (2x the CPU time)
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def minee_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "minee.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300, env=ENV)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data.csv: a1, a2 -> b1, b2 (correlation 0.8 per coordinate), z, a text column."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 2))
    b = 0.8 * a + 0.6 * rng.standard_normal((300, 2))
    frame = pd.DataFrame({"a1": a[:, 0], "a2": a[:, 1], "b1": b[:, 0], "b2": b[:, 1],
                          "z": rng.standard_normal(300), "name": ["s"] * 300})
    path = tmp_path_factory.mktemp("cli") / "data.csv"
    frame.to_csv(path, index=False)
    return path


def test_json_output(data: Path) -> None:
    out = minee_cli("estimate", data, "--x", "a1,a2", "--y", "b1,b2", "--json", *FAST,
                    "--seed", "3")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["quantity"] == "mutual_information" and result["units"] == "nats"
    assert result["value"] > 0.3  # truth 1.02; 20 steps is enough to be clearly positive
    low, high = result["ci"]
    assert low < result["value"] < high
    assert set(result["entropies"]) == {"xy", "x", "y"}
    assert isinstance(result["diagnostics"], dict)
    assert result["columns"] == {"x": ["a1", "a2"], "y": ["b1", "b2"]}
    assert result["rows"] == 300 and result["seed"] == 3
    assert out.stderr == ""  # --quiet: no progress bar, diagnostics only in the output
    again = json.loads(minee_cli("estimate", data, "--x", "a1,a2", "--y", "b1,b2", "--json",
                                 *FAST, "--seed", "3").stdout)
    assert again["value"] == result["value"]  # --seed makes it reproducible


def test_table_and_progress(data: Path) -> None:
    out = minee_cli("estimate", data, "--x", "0:2", "--y", "b1:b2", "--max-steps", "20")
    assert out.returncode == 0, out.stderr
    assert "I(X;Y)" in out.stdout and "95% CI" in out.stdout and "H(X,Y)" in out.stdout
    assert "X: a1, a2" in out.stdout and "diagnostics:" in out.stdout
    assert "bias allowance" in out.stdout
    assert "MINEE" in out.stderr  # the progress bar, on stderr


def test_every_hyperparameter_reaches_the_estimator(data: Path) -> None:
    out = minee_cli("estimate", data, "--x", "a1", "--y", "b1", "--json", "--quiet",
                    "--seed", "1", "--preset", "default", "--ensemble", "2",
                    "--preprocess", "standardize", "--max-steps", "15", "--lr", "0.002",
                    "--batch-size", "64", "--val-fraction", "0.25", "--patience", "4",
                    "--reference", "uniform", "--ref-factor", "2", "--hidden", "16",
                    "--device", "cpu", "--null")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    s = result["settings"]
    assert (s["ensemble"], s["preprocess"], s["max_steps"], s["lr"], s["batch_size"],
            s["val_fraction"], s["patience"], s["reference"], s["ref_factor"], s["hidden"]) \
        == (2, "standardize", 15, 0.002, 64, 0.25, 4, "uniform", 2.0, 16)
    assert len(result["members"]) == 2 and result["null"] is not None
    assert result["steps"] <= 15 and result["preprocess"] == "standardize"


def test_conditional_and_mine(data: Path) -> None:
    out = minee_cli("estimate", data, "--x", "a1", "--y", "b1", "--z", "z,a2", "--json", *FAST)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["quantity"] == "conditional_mutual_information"
    assert set(result["entropies"]) == {"xz", "yz", "xyz", "z"}
    out = minee_cli("estimate", data, "--x", "a1", "--y", "b1", "--method", "mine", *FAST)
    assert out.returncode == 0, out.stderr
    assert "I(X;Y)" in out.stdout and "MINE" in out.stdout


def test_plot_and_save(data: Path, tmp_path: Path) -> None:
    out = minee_cli("estimate", data, "--x", "a1,a2", "--y", "b1,b2", *FAST, "--seed", "2",
                    "--json", "--plot", tmp_path / "curves.png", "--truth", "1.0217",
                    "--save", tmp_path / "model.pt")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
    model = minee.load(tmp_path / "model.pt")
    assert isinstance(model, minee.MINEE)
    assert model.mutual_information_ == pytest.approx(json.loads(out.stdout)["value"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png", "model.pt"]


def test_a_failing_plot_keeps_the_saved_model(data: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import minee.plotting

    def no_matplotlib(*args: object, **kwargs: object) -> None:
        raise ImportError("plotting needs matplotlib: pip install minee[plot]")

    monkeypatch.setattr(minee.plotting, "plot_history", no_matplotlib)
    code = main(["estimate", str(data), "--x", "a1,a2", "--y", "b1,b2", *FAST, "--seed", "2",
                 "--plot", str(tmp_path / "curves.png"), "--save", str(tmp_path / "model.pt")])
    assert code != 0 and "matplotlib" in capsys.readouterr().err
    assert isinstance(minee.load(tmp_path / "model.pt"), minee.MINEE)  # written first
    assert not (tmp_path / "curves.png").exists()


def test_npz_arrays_by_name(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 2))
    np.savez(tmp_path / "data.npz", x=x, y=x + rng.standard_normal((200, 2)))
    out = minee_cli("estimate", tmp_path / "data.npz", "--x", "x", "--y", "y", "--json", *FAST)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["columns"]["y"] == ["y[0]", "y[1]"]


def test_entropy_command(data: Path, tmp_path: Path) -> None:
    out = minee_cli("entropy", data, "--cols", "a1,a2", "--json", *FAST, "--seed", "0",
                    "--plot", tmp_path / "h.pdf")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["quantity"] == "entropy"
    assert abs(result["value"] - np.log(2 * np.pi * np.e)) < 0.3  # two standard normals
    assert (tmp_path / "h.pdf").read_bytes()[:4] == b"%PDF"


def test_entropy_takes_every_numeric_column_by_default(data: Path) -> None:
    out = minee_cli("entropy", data, "--json", *FAST, "--seed", "0")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["columns"]["x"] == ["a1", "a2", "b1", "b2", "z"]
    assert "leaving out non-numeric column(s) name" in out.stderr


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    out = minee_cli("estimate", "--help")
    assert out.returncode == 0 and "examples:" in out.stdout and "nats" in out.stdout
    with pytest.raises(SystemExit):
        main(["entropy", "--help"])
    assert "minee entropy data.csv --cols" in capsys.readouterr().out


# The errors a user meets first run as subprocesses; the rest go through the same entry point
# in-process (argv in, exit code and stderr out), which spares a 2-3 s interpreter start each.
@pytest.mark.parametrize(("args", "message"), [
    (("estimate", "absent.csv", "--x", "a1", "--y", "b1"), "no such file"),
    (("estimate", "garbage.parquet", "--x", "a1", "--y", "b1"), "cannot read"),
    (("estimate", "data.csv", "--x", "nope", "--y", "b1"), "unknown column 'nope'"),
    (("estimate", "data.csv", "--x", "name", "--y", "b1"), "'name' is not numeric"),
    (("entropy", "data.csv", "--cols", ","), "selects no columns"),
    (("matrix", "data.csv", "--out", "/sys/x.csv"), "cannot write /sys/x.csv"),
])
def test_errors_exit_2_with_one_line(data: Path, args: tuple[str, ...], message: str) -> None:
    (data.parent / "garbage.parquet").write_bytes(b"\x00 not a parquet file")
    out = minee_cli(*args, "--quiet", cwd=data.parent)
    assert out.returncode == 2
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert out.stdout == ""


@pytest.mark.parametrize(("args", "message"), [
    (("estimate", "data.csv", "--x", "3:1", "--y", "b1"), "selects no columns"),
    (("estimate", "data.csv", "--x", "a1", "--y", "a1"), "in both --x and --y"),
    (("estimate", "data.csv", "--x", "a1", "--y", "b1", "--z", "z", "--method", "mine"),
     "--z (conditional MI) needs --method minee"),
    (("estimate", "data.csv", "--x", "a1", "--y", "b1", "--method", "mine", "--reference",
      "uniform"), "--reference applies to --method minee only"),
    (("estimate", "data.csv", "--x", "a1", "--y", "b1", "--lr", "-1"), "lr must be"),
    (("entropy", "data.csv", "--cols", "99"), "out of range"),
    (("estimate", "data.csv", "--x", "a1", "--y", "b1", "--plot", "out.gif"),
     "cannot write a figure"),
    (("estimate", "data.csv", "--x", "a1", "--y", "b1", "--save", "no/such/model.pt"),
     "no such folder"),
    (("estimate", "data.xlsx", "--x", "a1", "--y", "b1"), "unknown file type"),
])
def test_more_errors_exit_2(data: Path, args: tuple[str, ...], message: str,
                            capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    (data.parent / "data.xlsx").write_bytes(b"x")
    monkeypatch.chdir(data.parent)
    assert main([*args, "--quiet"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and len(captured.err.strip().splitlines()) == 1
    assert captured.out == ""


@pytest.mark.parametrize("kind", ["tsv", "parquet", "npy"])
def test_file_formats(tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 2))
    table = np.hstack([x, x + rng.standard_normal((200, 2))])
    path = tmp_path / f"data.{kind}"
    if kind == "npy":
        np.save(path, table)
        cols = ("0,1", "2:4")
    else:
        frame = pd.DataFrame(table, columns=["p", "q", "r", "s"])
        if kind == "tsv":
            frame.to_csv(path, sep="\t", index=False)
        else:
            frame.to_parquet(path)
        cols = ("p,q", "-2,-1")
    # "--y=-2,-1": argparse would read a bare "-2,-1" as an option
    assert main(["estimate", str(path), f"--x={cols[0]}", f"--y={cols[1]}", "--json",
                 *FAST]) == 0
    assert len(json.loads(capsys.readouterr().out)["columns"]["y"]) == 2


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["estimate", "data.csv", "--x", "a1"],  # --y missing
                 ["estimate", "data.csv", "--x", "a", "--y", "b", "--batch-size", "many"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    assert "integer or 'auto'" in capsys.readouterr().err


# -- output files: checked before any reading or training, written after the report --------

def _no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make reading the data or reproducing a figure fail the command loudly."""
    def forbidden(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("work started before the outputs were checked")

    monkeypatch.setattr("minee.data.io.read_table", forbidden)
    monkeypatch.setattr("minee.paper.experiments.reproduce", forbidden)


@pytest.mark.parametrize(("args", "message"), [
    (("estimate", "data.csv", "--x", "a1", "--y", "b1", "--save", "adir"), "it is a folder"),
    (("estimate", "data.csv", "--x", "a1", "--y", "b1", "--save", "/sys/m.pt"),
     "cannot write /sys/m.pt"),
    (("estimate", "data.csv", "--x", "a1", "--y", "b1", "--save", "/proc/x.pt"),
     "cannot write /proc/x.pt"),
    (("estimate", "data.csv", "--x", "a1", "--y", "b1", "--plot", "/proc/x.png"),
     "cannot write /proc/x.png"),
    (("entropy", "data.csv", "--cols", "a1", "--save", "adir"), "it is a folder"),
    (("entropy", "data.csv", "--cols", "a1", "--plot", "adir/x.gif"), "cannot write a figure"),
    (("matrix", "data.csv", "--out", "adir"), "it is a folder"),
    (("matrix", "data.csv", "--out", "/sys/x.csv"), "cannot write /sys/x.csv"),
    (("matrix", "data.csv", "--plot", "/proc/x.png"), "cannot write /proc/x.png"),
    (("relevance", "data.csv", "--target", "b1", "--out", "adir"), "it is a folder"),
    (("reproduce", "fig1", "--out", "existing_file.csv"), "is a file, not a folder"),
    (("reproduce", "fig1", "--out", "existing_file.csv/sub"), "is a file, not a folder"),
    (("reproduce", "fig1", "--out", "/proc/sub/folder"), "cannot create files in /proc"),
])
def test_outputs_are_checked_before_any_work(
        data: Path, tmp_path: Path, args: tuple[str, ...], message: str,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "adir").mkdir()
    (tmp_path / "existing_file.csv").write_text("a\n1\n")
    monkeypatch.chdir(tmp_path)
    _no_work(monkeypatch)
    assert main([*args, "--quiet"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err, captured.err
    assert len(captured.err.strip().splitlines()) == 1 and captured.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "existing_file.csv"]


@pytest.mark.parametrize(("option", "name", "writer"), [
    ("--save", "model.pt", "minee.persistence.save"),
    ("--plot", "curves.png", "minee.plotting.plot_history"),
])
def test_estimate_is_printed_before_a_side_write_fails(
        data: Path, tmp_path: Path, option: str, name: str, writer: str,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, full_disk)
    target = tmp_path / name
    assert main(["estimate", str(data), "--x", "a1", "--y", "b1", "--json", *FAST,
                 option, str(target)]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["value"] > 0  # the estimate survived the failed write
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and str(target) in err[0] and "No space left" in err[0]


# -- errors: every kind exits 2 with one line; --debug shows the traceback -----------------

@pytest.mark.parametrize(("error", "message"), [
    (OSError(5, "Input/output error"), "[Errno 5] Input/output error"),
    (RuntimeError("CUDA out of memory\nTried to allocate 2 GiB"),
     "RuntimeError: CUDA out of memory"),
    (OverflowError("int too large to convert"), "OverflowError: int too large to convert"),
    (KeyError("hidden"), "KeyError: 'hidden'"),
    (ArithmeticError(), "ArithmeticError"),
])
def test_every_error_exits_2_with_one_line(
        data: Path, error: Exception, message: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr("minee.data.io.read_table", fail)
    for argv in (["estimate", str(data), "--x", "a1", "--y", "b1"],
                 ["matrix", str(data)]):
        assert main([*argv, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert err == f"minee {argv[0]}: error: {message}\n"


def test_debug_reraises_and_ctrl_c_exits_130(data: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise KeyError("hidden")

    monkeypatch.setattr("minee.data.io.read_table", fail)
    with pytest.raises(KeyError, match="hidden"):
        main(["--debug", "entropy", str(data), "--cols", "a1", "--quiet"])

    def interrupt(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("minee.data.io.read_table", interrupt)
    assert main(["entropy", str(data), "--cols", "a1", "--quiet"]) == 130


def test_debug_prints_a_traceback(tmp_path: Path) -> None:
    out = minee_cli("--debug", "estimate", "absent.csv", "--x", "a", "--y", "b", cwd=tmp_path)
    assert out.returncode == 1 and "Traceback" in out.stderr
    assert "FileNotFoundError" in out.stderr and "absent.csv" in out.stderr


# -- argument types ---------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "message"), [
    (["estimate", "d.csv", "--x", "a", "--y", "b", "--seed", "-1"], "argument --seed: "),
    (["estimate", "d.csv", "--x", "a", "--y", "b", "--seed", "99999999999999999999"],
     "argument --seed: expected a seed from 0 to 2**63 - 1"),
    (["estimate", "d.csv", "--x", "a", "--y", "b", "--seed", "1.5"],
     "expected an integer seed"),
    (["entropy", "d.csv", "--cols", "a", "--seed", str(2**63)], "argument --seed: "),
    (["matrix", "d.csv", "--seed", "-3"], "argument --seed: "),
    (["reproduce", "fig1", "--first-seed", "-1"], "argument --first-seed: "),
    (["estimate", "d.csv", "--x", "a", "--y", "b", "--ref-factor", "nan"],
     "argument --ref-factor: expected a finite number, got 'nan'"),
    (["estimate", "d.csv", "--x", "a", "--y", "b", "--lr", "inf"],
     "argument --lr: expected a finite number"),
    (["entropy", "d.csv", "--cols", "a", "--val-fraction=-inf"],
     "argument --val-fraction: expected a finite number"),
    (["entropy", "d.csv", "--cols", "a", "--truth", "NaN"], "argument --truth: "),
])
def test_bad_numbers_are_usage_errors(argv: list[str], message: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], err
    assert "Traceback" not in err


def test_seed_bounds_are_inclusive_exclusive() -> None:
    from minee.commands.common import seed

    assert seed("0") == 0 and seed(str(2**63 - 1)) == 2**63 - 1


def test_entropy_errors_name_the_cols_option(data: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["entropy", str(data), "--cols", "7", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--cols" in err and "--x" not in err


# -- startup: --help and --version do not import the library --------------------------------

def test_version_comes_from_the_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"minee {version('minee')}"


def test_parser_does_not_import_torch_or_numpy() -> None:
    # the CLI layer alone: the package __init__ is bypassed, so whatever it imports does
    # not hide an eager import in cli.py or a command module
    code = ("import importlib.util, sys, types\n"
            "pkg = types.ModuleType('minee')\n"
            "pkg.__path__ = list(importlib.util.find_spec('minee').submodule_search_locations)\n"
            "sys.modules['minee'] = pkg\n"
            "import minee.cli\n"
            "minee.cli.build_parser()\n"
            "heavy = {'torch', 'numpy', 'pandas', 'matplotlib'} & set(sys.modules)\n"
            "assert not heavy, heavy\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env=ENV)
    assert out.returncode == 0, out.stderr


def test_help_does_not_import_torch() -> None:
    code = "import sys, minee.cli; minee.cli.build_parser(); assert 'torch' not in sys.modules"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env=ENV)
    if out.returncode != 0:
        eager = subprocess.run([sys.executable, "-c", "import sys, minee; "
                                "assert 'torch' not in sys.modules"], env=ENV,
                               capture_output=True, timeout=60).returncode != 0
        if eager:  # importing minee.cli runs the package __init__ first
            pytest.xfail("minee/__init__.py imports torch eagerly")
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("args", [["estimate", "{f}", "--x", "a", "--y", "nope"],
                                  ["estimate", "{f}", "--x", "a", "--y", "b", "--z", "c",
                                   "--method", "mine"],
                                  ["entropy", "{f}", "--cols", "nope"],
                                  ["matrix", "{f}", "--cols", "a,nope"],
                                  ["relevance", "{f}", "--target", "nope"]])
def test_input_errors_answer_before_torch_is_imported(tmp_path: Path, args: list[str]) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b,c\n" + "".join(f"{i},{i % 7},{i % 5}\n" for i in range(50)))
    argv = [a.format(f=path) for a in args]
    code = ("import sys, minee.cli\n"
            f"rc = minee.cli.main({argv!r})\n"
            "assert rc == 2, rc\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env=ENV)
    assert out.returncode == 0, out.stderr
    assert "error" in out.stderr


@pytest.mark.parametrize(("command", "choice"), [("estimate", "auto"), ("entropy", "edges")])
def test_every_preprocess_choice_is_accepted(tmp_path: Path, command: str, choice: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b\n" + "".join(f"{i * 0.37 % 5},{i * 0.53 % 3}\n" for i in range(200)))
    cols = ["--x", "a", "--y", "b"] if command == "estimate" else ["--cols", "a"]
    assert main([command, str(path), *cols, "--preprocess", choice, "--max-steps", "5",
                 "--quiet", "--json"]) == 0
    resolved = json.loads(capsys.readouterr().out)["preprocess"]
    assert resolved in (("rank-t", "standardize") if choice == "auto" else ("edges",))


def test_the_names_accepted_before_import_are_registered() -> None:
    from minee import registry
    from minee.commands.arguments import BUILT_IN_METHODS, BUILT_IN_REFERENCES

    assert set(BUILT_IN_METHODS) <= set(registry.METHODS)
    assert set(BUILT_IN_REFERENCES) <= {n for n, e in registry.REFERENCES.items()
                                        if e.has_density}


def test_table_diagnostics_are_one_line_a_flag(capsys: pytest.CaptureFixture[str]) -> None:
    from minee.commands.common import report_flags

    flags = {f"c{i}": {"discrete": f"column c{i} repeats values"} for i in range(10)}
    flags["c0 ~ c1"] = {"unstable": "the estimate swings"}
    report_flags(flags, shown=3)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.splitlines() == [
        "diagnostics:",
        "  discrete in c0, c1, c2 and 7 more: column c0 repeats values",
        "  unstable in c0 ~ c1: the estimate swings",
    ]
    report_flags({})
    assert capsys.readouterr().err == ""


def test_the_report_says_how_many_rows_were_read(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=600)
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": a, "b": a + rng.normal(size=600)}).to_csv(path, index=False)
    args = ["estimate", str(path), "--x", "a", "--y", "b", "--max-steps", "20", "--quiet",
            "--seed", "0", "--max-rows", "200"]
    assert main([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["rows"] == 600 and result["rows_read"] == 200
    assert main(args) == 0
    assert "(600 rows, 200 read, MINEE" in capsys.readouterr().out
