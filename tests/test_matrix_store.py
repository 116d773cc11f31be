"""Resumable table jobs (minee.many.store): finished chunks kept in a folder, read back by
the same job, refused for another; an interrupted matrix resumes to the same numbers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import minee
from minee.many import scheduling
from tests.conftest import QUICK

OPTIONS = {"seed": 0, "chunk_size": 2, "max_steps": QUICK["max_steps"],
           "advanced": QUICK["advanced"]}


def table(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a, c = rng.normal(size=n), rng.normal(size=n)
    return pd.DataFrame({"a": a, "b": a + rng.normal(size=n), "c": c,
                         "d": np.sin(2 * c) + 0.3 * rng.normal(size=n),
                         "e": rng.normal(size=n)})


def test_an_interrupted_matrix_resumes_to_the_same_numbers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    df, store = table(), tmp_path / "store"
    full = minee.mi_matrix(df, **OPTIONS)
    real = scheduling.pair_job
    calls: list[int] = []

    def interrupted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 3:  # Ctrl-C while the third of five pair chunks trains
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(scheduling, "pair_job", interrupted)
    with pytest.raises(KeyboardInterrupt):
        minee.mi_matrix(df, store=store, **OPTIONS)
    kept = sorted(p.name for p in store.glob("*.chunk"))
    assert kept == ["columns-0.chunk", "columns-1.chunk", "columns-2.chunk",
                    "pairs-0.chunk", "pairs-1.chunk"]
    trained: list[object] = []
    monkeypatch.setattr(scheduling, "pair_job",
                        lambda *a, **k: trained.append(a[1]) or real(*a, **k))
    monkeypatch.setattr(scheduling, "entropy_job", lambda *a, **k: pytest.fail("retrained"))
    resumed = minee.mi_matrix(df, store=store, **OPTIONS)
    assert len(trained) == 3  # only the pair chunks not kept
    pd.testing.assert_frame_equal(resumed, full)
    pd.testing.assert_frame_equal(pd.DataFrame(resumed.attrs["stderr"]),
                                  pd.DataFrame(full.attrs["stderr"]))  # NaN diagonals
    assert resumed.attrs["entropy"] == full.attrs["entropy"]
    assert resumed.attrs["diagnostics"] == full.attrs["diagnostics"]


def test_relevance_reads_a_finished_store_without_training(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    df, store = table(), tmp_path / "store"
    first = minee.relevance(df, "b", store=store, **OPTIONS)
    monkeypatch.setattr(scheduling, "entropy_job", lambda *a, **k: pytest.fail("retrained"))
    monkeypatch.setattr(scheduling, "pair_job", lambda *a, **k: pytest.fail("retrained"))
    again = minee.relevance(df, "b", store=store, **OPTIONS)
    pd.testing.assert_series_equal(again, first)


def test_a_store_of_another_job_or_another_kind_is_refused(tmp_path: Path) -> None:
    df, store = table(), tmp_path / "store"
    minee.mi_matrix(df, store=store, **OPTIONS)
    with pytest.raises(ValueError, match="another job"):
        minee.mi_matrix(df, store=store, **{**OPTIONS, "seed": 1})
    with pytest.raises(ValueError, match="another job"):
        minee.mi_matrix(df.iloc[:300], store=store, **OPTIONS)
    other = tmp_path / "photos"
    other.mkdir()
    (other / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(ValueError, match="not a minee chunk store"):
        minee.mi_matrix(df, store=other, **OPTIONS)


def test_a_damaged_chunk_is_refused_with_what_to_do(tmp_path: Path) -> None:
    df, store = table(), tmp_path / "store"
    minee.mi_matrix(df, store=store, **OPTIONS)
    chunk = store / "pairs-1.chunk"
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0xFF
    chunk.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="delete the store"):
        minee.mi_matrix(df, store=store, **OPTIONS)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from minee.cli import main; "
            "sys.exit(main(sys.argv[1:]))", *args]


def test_cli_sigterm_keeps_the_finished_chunks_and_resume_finishes_the_same(
        tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    data = tmp_path / "t.csv"
    rng = np.random.default_rng(0)
    base = rng.normal(size=(400, 3))
    pd.DataFrame(np.hstack([base, base + rng.normal(size=(400, 3))]),
                 columns=list("abcdef")).to_csv(data, index=False)
    common = [str(data), "--seed", "0", "--chunk-size", "1", "--max-steps", "60", "--quiet"]
    reference = tmp_path / "reference.csv"
    subprocess.run(_cli("matrix", *common, "--out", str(reference)), check=True, env=env,
                   capture_output=True, timeout=600)
    out = tmp_path / "m.csv"
    store = tmp_path / "m.csv.parts"
    job = subprocess.Popen(_cli("matrix", *common, "--out", str(out)), env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while sum(1 for _ in store.glob("pairs-*.chunk")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    job.send_signal(signal.SIGTERM)
    _, err = job.communicate(timeout=120)
    assert job.returncode == 130, err
    assert "--resume" in err and str(store) in err and not out.exists()
    kept = sum(1 for _ in store.glob("*.chunk"))
    assert kept >= 6 + 2  # the six columns and at least two of fifteen pairs
    again = subprocess.run(_cli("matrix", *common, "--out", str(out)), env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "--resume" in again.stderr  # refused, not mixed
    done = subprocess.run(_cli("matrix", *common, "--out", str(out), "--resume"), env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(reference))
    assert not store.exists()  # the default store served only to resume


def test_a_job_of_many_pairs_says_how_many_and_how_long_first(
        capsys: pytest.CaptureFixture[str]) -> None:
    settings = minee.NEE(seed=0).settings(100)
    pairs = [[(0, 1)] * 16 for _ in range(70)]  # 1,120 pairs in 70 chunks
    plan = scheduling.Plan(np.zeros((100, 2)), [[(0,)]], pairs, settings)
    scheduling._announce(plan, seconds_per_chunk=55.0)
    assert capsys.readouterr().err.strip() == (
        "minee: 1,120 pairs in 70 chunks, about 1 h 04 min at the pace of the column chunks")
    few = scheduling.Plan(np.zeros((100, 2)), [[(0,)]], pairs[:10], settings)
    scheduling._announce(few, seconds_per_chunk=55.0)
    assert capsys.readouterr().err == ""


def test_the_seed_used_is_recorded_and_repeats_the_run(tmp_path: Path) -> None:
    df = table(200)
    drawn = minee.mi_matrix(df, seed=None, max_steps=QUICK["max_steps"],
                            advanced=QUICK["advanced"])
    seed = drawn.attrs["seed"]
    assert isinstance(seed, int)
    again = minee.mi_matrix(df, seed=seed, max_steps=QUICK["max_steps"],
                            advanced=QUICK["advanced"])
    pd.testing.assert_frame_equal(again, drawn)
    ranking = minee.relevance(df, "b", seed=None, max_steps=QUICK["max_steps"],
                              advanced=QUICK["advanced"])
    assert isinstance(ranking.attrs["seed"], int)
    data = tmp_path / "t.csv"
    df.to_csv(data, index=False)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(_cli("relevance", str(data), "--target", "b", "--max-steps", "20",
                              "--quiet"), env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    said = next(line for line in out.stderr.splitlines()
                if line.startswith("minee relevance: seed "))
    assert "repeats this run" in said
    used = said.split()[3]
    repeat = subprocess.run(_cli("relevance", str(data), "--target", "b", "--max-steps", "20",
                                 "--quiet", "--seed", used), env=env, capture_output=True,
                            text=True, timeout=300)
    assert repeat.stdout == out.stdout


def test_a_store_of_another_minee_version_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    df, store = table(), tmp_path / "store"
    minee.mi_matrix(df, store=store, **OPTIONS)
    monkeypatch.setattr(minee, "__version__", "0.0.0-other")
    with pytest.raises(ValueError, match="another job"):
        minee.mi_matrix(df, store=store, **OPTIONS)


def test_a_table_names_no_discrete_columns() -> None:
    with pytest.raises(ValueError, match="discrete for a table is 'auto'"):
        minee.mi_matrix(table(), discrete=["a"], **OPTIONS)
