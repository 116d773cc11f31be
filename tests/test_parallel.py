"""MI matrix and feature relevance: accuracy on known structure, identities, and the same
numbers in-process and on a real Dask cluster of worker processes, even when one dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
import torch

import minee
from minee.many.jobs import prepare
from tests.conftest import quick

distributed = pytest.importorskip("distributed")

QUICK = quick(max_steps=60, batch_size=64)


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    """Two dependent pairs, independent across: (a, b = a + 0.5 noise), (c, d = sin 2c +
    0.3 noise). I(a;b) = 0.5 ln 5 = 0.805 nats; every cross pair has I = 0."""
    rng = np.random.default_rng(seed)
    a, c = rng.standard_normal(n), rng.standard_normal(n)
    return pd.DataFrame({"a": a, "b": a + 0.5 * rng.standard_normal(n), "c": c,
                         "d": np.sin(2 * c) + 0.3 * rng.standard_normal(n)})


DEPENDENT = [("a", "b"), ("c", "d")]
INDEPENDENT = [("a", "c"), ("a", "d"), ("b", "c"), ("b", "d")]


@pytest.fixture(autouse=True)
def one_torch_thread():
    """One intra-op thread: these models are small, and on a busy machine two spinning
    threads can each wait for the other (tens of times slower)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def _check_structure(m: pd.DataFrame) -> None:
    assert list(m.index) == list(m.columns) == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(m.to_numpy(), m.to_numpy().T)
    assert np.isnan(np.diag(m.to_numpy())).all()
    for x, y in DEPENDENT:
        assert m.loc[x, y] > 0.4, (x, y, m.loc[x, y])
    for x, y in INDEPENDENT:
        assert abs(m.loc[x, y]) < 0.1, (x, y, m.loc[x, y])


def test_matrix_finds_the_dependent_pairs():
    m = minee.mi_matrix(_table(500), seed=0, max_steps=300, advanced={"min_steps": 0,
                                                                      "batch_size": 100})
    _check_structure(m)
    # a ~ N(0, 1): H = 0.5 ln(2 pi e) = 1.419 nats
    assert m.attrs["entropy"]["a"] == pytest.approx(0.5 * np.log(2 * np.pi * np.e), abs=0.15)
    stderr = pd.DataFrame(m.attrs["stderr"]).loc[m.index, m.columns].to_numpy()
    off = ~np.eye(4, dtype=bool)
    assert np.isfinite(stderr[off]).all() and (stderr[off] > 0).all()
    assert stderr[0, 1] < 0.2


def test_columns_and_pairs_are_read_on_the_same_heldout_rows():
    data = _table(200).to_numpy()
    held = {**QUICK, "val_fraction": 0.25, "seed": 3}
    cols = prepare(data, [(0,), (1,)], minee.NEE(**held).settings(200))
    pairs = prepare(data, [(0, 1), (1, 2)], minee.NEE(**held, ensemble=2).settings(200))
    held_cols, held_pairs = cols.engine.heldout_rows, pairs.engine.heldout_rows
    assert held_cols.shape[1] == 50
    torch.testing.assert_close(held_pairs[0, :, 0], held_cols[0, :, 0], rtol=0, atol=0)
    torch.testing.assert_close(held_pairs[0, :, 1], held_cols[1, :, 0], rtol=0, atol=0)
    torch.testing.assert_close(held_pairs[-1, :, 0], held_cols[1, :, 0], rtol=0, atol=0)


def test_relevance_equals_the_matrix_column_when_chunks_match():
    # With one problem per chunk, every job is the same model in both functions.
    df = _table(200)
    m = minee.mi_matrix(df, seed=1, chunk_size=1, **QUICK)
    r = minee.relevance(df, "d", seed=1, chunk_size=1, **QUICK)
    assert r.name == "mutual_information" and list(r) == sorted(r, reverse=True)
    pd.testing.assert_series_equal(r.sort_index(), m.loc[["a", "b", "c"], "d"],
                                   check_names=False)
    assert minee.relevance(df, "b", seed=1, chunk_size=1, **QUICK).index[0] == "a"
    assert set(r.attrs["entropy"]) == {"a", "b", "c", "d"}


def test_relevance_target_as_separate_samples_and_array_input():
    df = _table(200)
    x, y = df[["a", "b", "c"]].to_numpy(), df["d"].to_numpy()
    r = minee.relevance(x, y, seed=0, chunk_size=8, **QUICK)
    assert set(r.index) == {0, 1, 2} and r.index[0] == 2
    m = minee.mi_matrix(df.to_numpy(), columns=[0, 1], seed=0, **QUICK)
    assert list(m.columns) == [0, 1] and m.shape == (2, 2)


@pytest.mark.parametrize("call, error", [
    (lambda df: minee.mi_matrix(df, chunk_size=0), ValueError),
    (lambda df: minee.mi_matrix(df, client=object(), scheduler="tcp://x:1"), ValueError),
    (lambda df: minee.mi_matrix(df, max_step=10), TypeError),
    (lambda df: minee.mi_matrix(df, advanced={"lr": -1.0}), ValueError),
    (lambda df: minee.mi_matrix(df, columns=["a", "zz"]), ValueError),
    (lambda df: minee.mi_matrix(df, columns=["a"]), ValueError),
    (lambda df: minee.mi_matrix(df.assign(k=1.0)), ValueError),
    (lambda df: minee.mi_matrix(df.assign(s="x")), TypeError),
    (lambda df: minee.mi_matrix(np.zeros(5)), ValueError),
    (lambda df: minee.relevance(df, "zz"), ValueError),
    (lambda df: minee.relevance(df, np.arange(7.0)), ValueError),
    (lambda df: minee.relevance(df, "a", features=["a", "b"]), ValueError),
    (lambda df: minee.relevance(df[["a"]], "a"), ValueError),
])
def test_bad_input_fails_before_any_training(call, error):
    start = time.perf_counter()
    with pytest.raises(error):
        call(_table(50))
    assert time.perf_counter() - start < 5  # a message, not a training run, then the error


def test_dask_gives_the_in_process_numbers(client):
    df = _table(300)
    local = minee.mi_matrix(df, seed=2, chunk_size=2, **QUICK)
    remote = minee.mi_matrix(df, seed=2, chunk_size=2, client=client, progress=True,
                             **QUICK)
    pd.testing.assert_frame_equal(remote, local, check_exact=True)
    np.testing.assert_array_equal(pd.DataFrame(remote.attrs["stderr"]).to_numpy(),
                                  pd.DataFrame(local.attrs["stderr"]).to_numpy())
    assert remote.attrs["entropy"] == local.attrs["entropy"]
    # the scheduler= path connects its own client
    r_local = minee.relevance(df, "b", seed=2, chunk_size=2, **QUICK)
    r_remote = minee.relevance(df, "b", seed=2, chunk_size=2,
                               scheduler=client.scheduler.address, **QUICK)
    pd.testing.assert_series_equal(r_remote, r_local, check_exact=True)


def test_a_killed_worker_is_replaced_and_the_result_is_complete(client):
    df = pd.concat([_table(300, seed=4), _table(300, seed=5)[["a", "b"]].add_suffix("2")],
                   axis=1)
    options = {**QUICK, "seed": 3, "chunk_size": 3, "max_steps": 100}
    pids = client.run(os.getpid)
    killed: list[str] = []

    def kill_a_busy_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = [w for w, keys in client.processing().items()
                    if any("minee-pair" in str(k) for k in keys) and w in pids]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    remote = minee.mi_matrix(df, client=client, **options)
    killer.join()
    assert killed, "no worker was killed while it ran a pair task"
    assert killed[0] not in client.run(os.getpid)  # it is gone, not merely slow
    local = minee.mi_matrix(df, **options)
    assert remote.notna().sum().sum() == 6 * 5
    pd.testing.assert_frame_equal(remote, local, check_exact=True)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "minee.cli", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_cli_matrix_writes_csv_and_heatmap(tmp_path):
    _table(200).assign(name="row").to_csv(tmp_path / "t.csv", index=False)
    out, png = tmp_path / "m.csv", tmp_path / "m.png"
    done = _cli("matrix", str(tmp_path / "t.csv"), "--cols", "a:c", "--max-steps", "40",
                "--out", str(out), "--plot", str(png))
    assert done.returncode == 0, done.stderr
    m = pd.read_csv(out, index_col=0)
    assert list(m.columns) == ["a", "b", "c"]
    np.testing.assert_array_equal(m.to_numpy(), m.to_numpy().T)
    assert m.loc["a", "b"] > 0.3
    assert png.stat().st_size > 1000
    assert "step/s" in done.stderr and "estimates" in done.stderr  # progress in steps
    # default columns: the numeric ones, the text column named on stderr
    done = _cli("matrix", str(tmp_path / "t.csv"), "--max-steps", "20", "--quiet")
    assert done.returncode == 0 and "name" in done.stderr
    assert done.stdout.split()[:4] == ["a", "b", "c", "d"]


def test_cli_relevance_ranks_and_rejects_bad_input(tmp_path):
    _table(200).to_parquet(tmp_path / "t.parquet")
    done = _cli("relevance", str(tmp_path / "t.parquet"), "--target", "b", "--top", "2",
                "--max-steps", "40", "--quiet")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "target: b" and lines[1].split() == ["feature", "mi_nats", "stderr"]
    assert lines[2].split()[0] == "a" and len(lines) == 4
    for bad in (["--target", "zz"], ["--target", "a,b"], ["--target", "a", "--top", "0"]):
        done = _cli("relevance", str(tmp_path / "t.parquet"), *bad)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr


@pytest.mark.slow
def test_acceptance_matrix_default_settings_local_and_dask(client):
    """The acceptance check: 1,500 rows, default settings, seed 0, in-process and on Dask."""
    df = _table(1500)
    local = minee.mi_matrix(df, seed=0)
    _check_structure(local)
    remote = minee.mi_matrix(df, seed=0, client=client)
    pd.testing.assert_frame_equal(remote, local, check_exact=True)


def test_cli_checks_outputs_before_training(tmp_path, capsys) -> None:
    """A bad --out folder or --plot suffix fails at once, not after the estimation."""
    from minee.cli import main

    path = tmp_path / "t.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50),
                  "t": ["x"] * 50}).to_csv(path, index=False)
    assert main(["matrix", str(path), "--out", str(tmp_path / "no" / "m.csv")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["matrix", str(path), "--plot", str(tmp_path / "m.xyz")]) == 2
    assert "cannot write a figure" in capsys.readouterr().err
    assert main(["relevance", str(path), "--target", "a",
                 "--out", str(tmp_path / "no" / "r.csv")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["relevance", str(path), "--target", "t"]) == 2
    assert "--target: column 't' is not numeric" in capsys.readouterr().err


def test_rank_t_scores_are_one_transform_for_the_whole_table():
    # a dof fitted per column set put a column's entropy and its pair's joint entropy on
    # different scales: a cubed Gaussian pair read -0.54 where the single call reads 1.69
    rng = np.random.default_rng(0)
    a = rng.normal(size=1000)
    frame = pd.DataFrame({"a": a, "e": a**3 + 0.3 * rng.normal(size=1000),
                          "c": rng.standard_t(2, size=1000)})
    table = minee.mi_matrix(frame, seed=0, max_steps=300,
                            advanced={"preprocess": "rank-t"})
    single = minee.mutual_information(a, frame["e"], seed=0).value
    assert table.loc["a", "e"] > 1.2 and abs(table.loc["a", "e"] - single) < 0.25


def test_dask_continues_a_store_that_local_runs_began(client, tmp_path) -> None:
    """A store filled in-process (the columns and two pair chunks) is continued on Dask:
    only the missing chunks become tasks, and the numbers are the uninterrupted ones."""
    options = {"seed": 0, "chunk_size": 1, "max_steps": 40,
               "advanced": {"eval_every": 10, "min_steps": 0}}
    table, store = _table(300), tmp_path / "store"
    full = minee.mi_matrix(table, store=store, **options)
    for chunk in sorted(store.glob("pairs-*.chunk"))[2:]:
        chunk.unlink()  # as if interrupted after two pair chunks
    assert sum(1 for _ in store.glob("pairs-*.chunk")) == 2
    resumed = minee.mi_matrix(table, store=store, client=client, **options)
    pd.testing.assert_frame_equal(resumed, full)
    assert sum(1 for _ in store.glob("pairs-*.chunk")) == 6


def test_a_table_trains_with_the_table_recipe_and_its_options() -> None:
    """Every entropy of a table starts from ``recipe(preset, "table")``; the options change
    it as they change MINEE's recipe, and preprocessing is chosen for the table."""
    from minee.many.parallel import _table_settings
    from minee.presets import recipe

    table = recipe("default", "table")
    settings = _table_settings({}, 0, 5000)
    assert (settings.hidden, settings.batch_size, settings.ref_factor) == (
        table.hidden, table.auto_batch, table.ref_factor)
    assert table.hidden < recipe("default", "mi").hidden
    assert settings.preprocess == "auto" and settings.max_steps == table.max_steps
    assert _table_settings({"advanced": {"hidden": 8}, "max_steps": 50}, 0, 5000).hidden == 8
    paper = _table_settings({"preset": "paper"}, 0, 5000)
    assert paper.hidden == recipe("paper", "mi").hidden


def test_a_pair_with_narrow_modes_is_read_on_the_scale_a_single_call_chooses(tmp_path):
    """A ring of 12 narrow components among heavy-tailed and cubed columns: the table is
    read on rank-t scores, which bend the ring (the pair read 15% low on them); the pair
    is read again on the data's scale, as mutual_information reads it, and a store keeps
    those chunks too (a second call reads them back, to the same numbers)."""
    task = minee.tasks.get("narrow_mixture", layout="ring", k=12, width=0.05)
    x, y = task.sample(2000, seed=0)
    rng = np.random.default_rng(1)
    g = rng.normal(size=2000)
    frame = pd.DataFrame({"rx": x[:, 0], "ry": y[:, 0], "g": g, "t": rng.standard_t(3, 2000),
                          "g3": g**3 + 0.5 * rng.normal(size=2000)})
    m = minee.mi_matrix(frame, seed=0, store=tmp_path / "parts")
    assert m.attrs["preprocess"] == "rank-t"  # the table's scale: its entropies are the scores'
    single = minee.mutual_information(frame[["rx"]], frame[["ry"]], seed=0)
    assert single.ci[0] <= m.loc["rx", "ry"] <= single.ci[1]
    assert abs(m.loc["rx", "ry"] - task.mutual_information) < 0.05 * task.mutual_information
    moved = sorted(p.name.rsplit("-", 2)[-2:] for p in (tmp_path / "parts").glob(
        "standardize-*"))
    assert moved == [["columns", "0.chunk"], ["pairs", "0.chunk"]]
    again = minee.mi_matrix(frame, seed=0, store=tmp_path / "parts")
    pd.testing.assert_frame_equal(m, again)


def test_only_pairs_clearly_above_zero_have_their_scale_chosen(monkeypatch) -> None:
    from minee.many import rescaling
    from minee.many.jobs import PairResult

    asked: list[list[int]] = []

    def choose(sample, groups, seed):
        asked.append([int(round(v)) for v in sample[0]])
        return "standardize" if sample[0, 0] == 2 else "rank-t"

    monkeypatch.setattr(rescaling, "choose_transform", choose)
    data = np.tile(np.arange(5.0), (10, 1))  # row 0 holds each column's index
    result = PairResult(np.array([0.005, 0.5, 0.05, 0.3]), np.array([0.001, 0.01, 0.03, 0.1]),
                        [{}] * 4)
    moved = rescaling.own_scale(data, [(0, 1), (2, 3), (1, 4), (0, 4)], result, "rank-t", 0)
    assert asked == [[2, 3], [0, 4]] and moved == {1: "standardize"}
    new = PairResult(np.array([0.7]), np.array([0.02]), [{"flag": "why"}])
    joined = rescaling.replaced(result, [1], new)
    np.testing.assert_array_equal(joined.values, [0.005, 0.7, 0.05, 0.3])
    assert joined.diagnostics[1] == {"flag": "why"} and result.values[1] == 0.5


def test_an_unknown_table_option_is_named_with_what_a_table_takes() -> None:
    frame = _table(100)
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['bogus'\] of a table job; "
                                        r"it takes \[.*'max_steps'"):
        minee.mi_matrix(frame, seed=0, bogus=1)
    with pytest.raises(TypeError, match=r"advanced=\{'hidden'"):
        minee.mi_matrix(frame, seed=0, hidden=8)
