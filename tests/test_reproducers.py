"""Reproducers of unsafe or silent behaviour: each now gives a clear error or a flag."""

from __future__ import annotations

import socket
import time
import warnings

import numpy as np
import pytest

import minee
from minee import cli
from minee.diagnostics import settings_checks
from tests.conftest import QUICK, quick

rng = np.random.default_rng(0)
X = rng.standard_normal((500, 1))
Y = X + rng.standard_normal((500, 1))


@pytest.mark.parametrize("y", [2 * X + 1, X])
@pytest.mark.parametrize("reference", ["gaussian", "uniform"])
def test_a_linear_relation_is_named_not_estimated(y: np.ndarray, reference: str) -> None:
    with pytest.raises(ValueError, match="linearly related exactly"):
        minee.mutual_information(X, y, reference=reference, seed=0, **QUICK)


@pytest.mark.parametrize("preprocess", ["rank-t", "rank", "auto"])
def test_a_linear_relation_hidden_by_ranks_is_named(preprocess: str) -> None:
    # y = a + b is exactly linear in the data, not in the columns' rank scores
    rng = np.random.default_rng(0)
    ab = rng.normal(size=(2000, 2))
    with pytest.raises(ValueError, match="linearly related exactly"):
        minee.mutual_information(ab, ab.sum(1), seed=0,
                                 **quick(preprocess=preprocess))


def test_near_deterministic_relations_are_named_or_flagged() -> None:
    # truth 13.8 nats: correlation 1 - 5e-13, indistinguishable from an exact relation
    y = X + 1e-6 * rng.standard_normal((500, 1))
    with pytest.raises(ValueError, match="linearly related"):
        minee.mutual_information(X, y, seed=0, **QUICK)
    # truth (1/2) ln(1 + 1e6) = 6.9 nats > ln(500): flagged as beyond what 500 rows show
    y = X + 1e-3 * rng.standard_normal((500, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        est = minee.mutual_information(X, y, seed=0, max_steps=400)
    assert "beyond_sample" in est.diagnostics or est.value < np.log(150)


@pytest.mark.parametrize("offset, scale", [(1e8, 1.0), (0.0, 1e30), (0.0, 1e-30)])
def test_offsets_and_scales_give_the_unshifted_answer(offset: float, scale: float) -> None:
    base = minee.entropy(X, seed=0, **QUICK).value
    moved = minee.entropy(X * scale + offset, seed=0, **QUICK).value
    assert moved - np.log(scale) == pytest.approx(base, abs=1e-4)
    mi = minee.mutual_information(X * scale + offset, Y, seed=0, **QUICK).value
    assert mi == pytest.approx(minee.mutual_information(X, Y, seed=0, **QUICK).value,
                               abs=1e-4)


def test_fewer_rows_than_columns_says_so() -> None:
    with pytest.raises(ValueError, match="fewer rows than columns"):
        minee.entropy(rng.standard_normal((100, 1000)), seed=0, **QUICK)


def test_a_column_float32_cannot_resolve_is_named() -> None:
    x = np.r_[X, [[1e30]]]
    with pytest.raises(ValueError, match="column 0 loses its resolution"):
        minee.entropy(x, seed=0, **QUICK)


def test_zero_inflated_data_are_flagged_discrete() -> None:
    x = X.copy()
    x[:200] = 0.0
    with pytest.warns(minee.MineeWarning, match="discrete"):
        minee.entropy(x, seed=0, **QUICK)


def test_negative_mi_is_flagged_not_plain() -> None:
    y = rng.standard_normal((500, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        values = [minee.mutual_information(X, y, seed=s, **QUICK) for s in range(4)]
    for est in values:
        assert est.value >= 0 or "negative" in est.diagnostics


def _silent_listener() -> tuple[socket.socket, str]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    return srv, f"tcp://127.0.0.1:{srv.getsockname()[1]}"


def test_a_scheduler_that_never_answers_times_out() -> None:
    pytest.importorskip("distributed")
    srv, address = _silent_listener()
    with srv:
        start = time.monotonic()
        with pytest.raises(ValueError, match="no Dask scheduler answered"):
            minee.mi_matrix(rng.standard_normal((50, 2)), scheduler=address, timeout=1.0)
        assert time.monotonic() - start < 20


def test_cli_scheduler_down_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: object
                                    ) -> None:
    pytest.importorskip("distributed")
    pd = pytest.importorskip("pandas")
    path = f"{tmp_path}/d.csv"
    pd.DataFrame(rng.standard_normal((50, 2)), columns=["a", "b"]).to_csv(path, index=False)
    code = cli.main(["matrix", path, "--scheduler", "tcp://127.0.0.1:1", "--timeout", "1",
                     "--quiet"])
    lines = capsys.readouterr().err.splitlines()
    # the drawn seed first (a job says it before it starts), then the error, one line
    assert code == 2 and len(lines) == 2 and lines[0].startswith("minee matrix: seed ")
    assert lines[1].startswith("minee matrix: error: no Dask scheduler answered")


def test_an_outlier_is_flagged_for_entropy_and_harmless_for_mi() -> None:
    x = X.copy()
    x[0, 0] = 1e6
    with pytest.warns(minee.MineeWarning, match="outliers"):
        minee.entropy(x, seed=0, **QUICK)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        clean = minee.mutual_information(X, Y, seed=0, **QUICK)
        spoiled = minee.mutual_information(x, Y, seed=0, **QUICK)
    assert "outliers" not in spoiled.diagnostics  # rank scores: one row moves one rank
    assert abs(spoiled.value - clean.value) < 0.05


def test_one_outlier_moves_the_default_entropy_by_under_5_percent() -> None:
    # unbounded critics against the Student-t reference read -46 to -70 nats here, and the
    # Gaussian reference 4.8-5.1 (truth 1.42)
    z = np.random.default_rng(1).standard_normal((5000, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        clean = minee.entropy(z, seed=1).value
        z[0, 0] = 1e6
        spoiled = minee.entropy(z, seed=1)
    assert "outliers" in spoiled.diagnostics
    assert abs(spoiled.value / clean - 1) < 0.05


def test_independent_blocks_of_many_columns_read_zero() -> None:
    # the fitted Gaussian's own bias would read d_x d_y / (2n) = 0.0625 nats here
    gen = np.random.default_rng(3)
    x, y = gen.standard_normal((5000, 25)), gen.standard_normal((5000, 25))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        est = minee.mutual_information(x, y, seed=0, max_steps=200)
    assert abs(est.value) < 0.03 and est.ci is not None and est.ci[0] <= 0 <= est.ci[1]


def test_the_gaussian_fit_correction_matches_the_wishart_bias() -> None:
    torch = pytest.importorskip("torch")
    from minee.training.references import Gaussian

    ref = Gaussian(torch.randn(1, 1000, 3, dtype=torch.float64))
    masks = torch.tensor([[True, True, True], [True, False, False]])
    d = torch.tensor([3.0, 1.0])
    # to first order: (d(d+1)/(2n) + d/n) / 2
    np.testing.assert_allclose(ref.fit_correction(masks).numpy(),
                               ((d * (d + 1) / 2000 + d / 1000) / 2).numpy(), rtol=0.02)


def test_the_student_reference_reads_no_mi_between_independent_blocks() -> None:
    # the fitted t's cross-entropies alone gain d_x d_y / (2n) = 0.032 nats of MI on
    # independent Gaussian blocks, which its fit correction removes (as the Gaussian's does)
    torch = pytest.importorskip("torch")
    from minee.training.student_t import StudentT

    masks = torch.zeros(3, 16, dtype=torch.bool)
    masks[0], masks[1, :8], masks[2, 8:] = True, True, True
    raw, corrected = [], []
    for seed in range(10):
        z = torch.randn(1, 1000, 16, generator=torch.Generator().manual_seed(seed))
        ref = StudentT(z)
        ce = ref.neg_log_density(z, masks).double().mean(-1)[0]
        fixed = ce + ref.fit_correction(masks)
        raw.append(float(ce[1] + ce[2] - ce[0]))
        corrected.append(float(fixed[1] + fixed[2] - fixed[0]))
    assert np.mean(raw) > 0.02 and abs(np.mean(corrected)) < 0.01


def test_low_precision_tensors_are_accepted() -> None:
    torch = pytest.importorskip("torch")
    x = torch.randn(300, 1, generator=torch.Generator().manual_seed(0)).to(torch.bfloat16)
    assert np.isfinite(minee.entropy(x, seed=0, **QUICK).value)


def test_a_duplicated_column_names_the_pair_in_mi_matrix() -> None:
    pd = pytest.importorskip("pandas")
    table = np.c_[X, Y, 2 * X]
    with pytest.raises(ValueError, match="columns 'a' and 'c' are linearly related"):
        minee.mi_matrix(pd.DataFrame(table, columns=["a", "b", "c"]), seed=0, **QUICK)


def test_a_learning_rate_of_one_is_never_a_plain_number() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        est = minee.mutual_information(X, Y, seed=0, advanced={"lr": 1.0})
    # the critics cannot train; with the Gaussian reference the estimate falls back to the
    # Gaussian MI and may look plausible, so the setting itself is flagged
    assert "high_lr" in est.diagnostics
    assert settings_checks(3e-3) == {}


def test_the_meta_device_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown device 'meta'"):
        minee.entropy(X, device="meta", seed=0, **QUICK)
    assert cli.main(["entropy", "missing.csv", "--cols", "0", "--device", "meta"]) == 2
