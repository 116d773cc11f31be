"""The shape-aware references and preprocessing: Gaussian mixtures fitted by EM
(minee.training.mixture_fit, minee.training.mixture), the adaptive Student-t-or-mixture
reference (minee.training.adaptive), the choice of scale for MI (transform_choice), the
edge maps of the entropies (minee.training.edges), and what the estimators report and
save of them. Densities are checked against scipy; accuracy against tasks with known
truths."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

import minee
from minee.training.adaptive import Adaptive
from minee.training.edges import KINDS, Mapped, apply_maps, edge_maps, log_dx_dw
from minee.training.mixture import GaussianMixture
from minee.training.mixture_fit import (
    SIZES,
    MixtureFit,
    mixture_log_density,
    parameter_count,
    select_mixture,
)
from minee.training.student_t import StudentT
from minee.training.transform_choice import choose_transform
from tests.conftest import QUICK

ALL_AND_EACH = torch.tensor([[True, True], [True, False], [False, True]])
X_THEN_Y = torch.tensor([[True, False], [False, True]])

# a well-separated 3-component mixture in 2-D, correlated components of unequal shape
TRUE_WEIGHTS = np.array([0.5, 0.3, 0.2])
TRUE_MEANS = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
TRUE_COVS = np.array([[[1.0, 0.3], [0.3, 1.0]], [[0.5, 0.0], [0.0, 2.0]],
                      [[1.5, -0.5], [-0.5, 0.8]]])

# two fits of different sizes: the first is padded with a weight-0 component when stacked;
# its components lie far from the origin, where the padding (N(0, I)) would put its draws
TWO = MixtureFit(np.array([0.6, 0.4]), np.array([[4.0, 4.0], [-4.0, 4.0]]),
                 np.array([[[0.3, 0.1], [0.1, 0.2]], [[0.2, -0.05], [-0.05, 0.25]]]))
THREE = MixtureFit(np.array([0.2, 0.3, 0.5]), np.array([[-1.0, 0.0], [2.0, 2.0], [0.0, -3.0]]),
                   np.array([0.5 * np.eye(2), [[1.0, -0.2], [-0.2, 1.0]],
                             [[2.0, 0.9], [0.9, 1.0]]]))


def true_mixture_rows(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    comp = rng.choice(3, size=n, p=TRUE_WEIGHTS)
    chol = np.linalg.cholesky(TRUE_COVS)[comp]
    return TRUE_MEANS[comp] + np.einsum("nij,nj->ni", chol, rng.standard_normal((n, 2)))


def scipy_mixture_log_density(z: np.ndarray, fit: MixtureFit, cols: list[int]) -> np.ndarray:
    """ln of the mixture's marginal on ``cols`` at ``z[:, cols]``: the mixture of the
    components' marginals, each through scipy."""
    pdf = sum(w * stats.multivariate_normal(m[cols], c[np.ix_(cols, cols)]).pdf(z[:, cols])
              for w, m, c in zip(fit.weights, fit.means, fit.covs, strict=True))
    return np.log(pdf)


def mixture_moments(fit: MixtureFit) -> tuple[np.ndarray, np.ndarray]:
    mean = fit.weights @ fit.means
    spread = fit.means - mean
    cov = np.einsum("k,kij->ij", fit.weights, fit.covs + spread[:, :, None] * spread[:, None])
    return mean, cov


def ring(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    task = minee.tasks.get("narrow_mixture", layout="ring", k=8, width=0.1)
    x, y = task.sample(n, seed=seed)
    return x, y, task.mutual_information


# mixture EM ----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_select_mixture_recovers_a_separated_mixture(seed: int) -> None:
    z = true_mixture_rows(2000, seed)
    train, heldout = z[:1600], z[1600:]
    fit, scores, limited = select_mixture(train, heldout, np.random.default_rng(seed))[:3]
    k = len(fit.weights)
    assert not limited  # the search ended on held-out losses, not for want of rows
    # SIZES has no 3: the smallest size that holds three separated modes is 4
    assert k in SIZES and k >= 4
    assert fit.means.shape == (k, 2) and fit.covs.shape == (k, 2, 2)
    assert math.isclose(fit.weights.sum(), 1.0, rel_tol=1e-9)
    # each true component is covered by fitted components of its weight
    nearest = np.argmin(((fit.means[:, None] - TRUE_MEANS[None]) ** 2).sum(-1), axis=1)
    for j in range(3):
        assert abs(fit.weights[nearest == j].sum() - TRUE_WEIGHTS[j]) < 0.05
    # the held-out scores are the fit's log density, close to the true law's
    np.testing.assert_allclose(scores, mixture_log_density(heldout, fit), atol=1e-12)
    truth = scipy_mixture_log_density(heldout, MixtureFit(TRUE_WEIGHTS, TRUE_MEANS, TRUE_COVS),
                                      [0, 1])
    assert scores.shape == (400,) and abs(scores.mean() - truth.mean()) < 0.05


# GaussianMixture: densities, draws, fit correction --------------------------------------
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_mixture_densities_match_scipy_with_padding(dtype: torch.dtype) -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(scale=2.0, size=(2, 60, 2))
    ref = GaussianMixture([TWO, THREE], rows=100, like=torch.zeros(1, dtype=dtype))
    assert ref.components.tolist() == [2, 3]
    assert ref.weights[0, 2].item() == 0.0  # the padding
    value = ref.neg_log_density(torch.tensor(z, dtype=dtype), ALL_AND_EACH)
    assert value.shape == (2, 3, 60) and value.dtype == dtype
    tol = 1e-5 if dtype == torch.float64 else 1e-4
    for p, fit in enumerate((TWO, THREE)):
        for h, cols in enumerate(([0, 1], [0], [1])):
            expected = -scipy_mixture_log_density(z[p], fit, cols)
            np.testing.assert_allclose(value[p, h].double().numpy(), expected, rtol=tol,
                                       atol=tol)
    # the padded member reads exactly as the same fit alone
    alone = GaussianMixture([TWO], rows=100, like=torch.zeros(1, dtype=torch.float64))
    np.testing.assert_allclose(
        alone.neg_log_density(torch.tensor(z[:1]), ALL_AND_EACH).numpy(),
        ref.neg_log_density(torch.tensor(z), ALL_AND_EACH)[:1].double().numpy(),
        rtol=1e-6)


def test_mixture_fit_correction_counts_each_members_parameters() -> None:
    ref = GaussianMixture([TWO, THREE], rows=100, like=torch.zeros(1, dtype=torch.float64))
    correction = ref.fit_correction(ALL_AND_EACH)
    assert correction.shape == (2, 3)
    expected = [[parameter_count(k, s) / 200 for s in (2, 1, 1)] for k in (2, 3)]
    np.testing.assert_allclose(correction.numpy(), expected)
    assert correction[1, 0] > correction[0, 0] > correction[0, 1]


def test_mixture_draws_are_reproducible_and_never_padding() -> None:
    ref = GaussianMixture([TWO, THREE], rows=100, like=torch.zeros(1, dtype=torch.float64))
    rows = 20_000

    def draw(seed: int) -> torch.Tensor:
        out = torch.empty(2, 1, rows, 2, dtype=torch.float64)
        back = ref.sample(out, torch.Generator().manual_seed(seed))
        assert back is out and back.shape == (2, 1, rows, 2)  # filled in place
        return back

    first, again, other = draw(0), draw(0), draw(1)
    assert torch.equal(first, again)
    assert not torch.allclose(first, other)
    for p, fit in enumerate((TWO, THREE)):
        x = first[p, 0].numpy()
        mean, cov = mixture_moments(fit)
        # the sampling error of a mean is sd / sqrt(rows); of a covariance about
        # sqrt(var_i var_j + cov_ij^2) / sqrt(rows) for these modest tails: 6 of each
        sd = np.sqrt(np.diag(cov))
        assert np.all(np.abs(x.mean(0) - mean) < 6 * sd / math.sqrt(rows))
        cov_se = np.sqrt(np.outer(sd, sd) ** 2 + cov**2) * 2 / math.sqrt(rows)
        assert np.all(np.abs(np.cov(x.T) - cov) < 6 * cov_se)
    # member 0: every draw from one of its two components, none from the padding at 0
    x = first[0, 0].numpy()
    assert np.linalg.norm(x, axis=1).min() > 2.0
    share_right = (x[:, 0] > 0).mean()
    assert abs(share_right - 0.6) < 6 * math.sqrt(0.24 / rows)


def test_mixture_build_fits_each_distinct_sample_once() -> None:
    settings = minee.MINEE(seed=0).settings(1500)
    z = true_mixture_rows(1500, 0)
    other = true_mixture_rows(1500, 1)
    data = torch.tensor(np.stack([z, other, z]))
    ref = GaussianMixture.build(data, X_THEN_Y, settings)
    assert isinstance(ref, GaussianMixture)
    assert torch.equal(ref.weights[0], ref.weights[2]) and torch.equal(ref.means[0], ref.means[2])
    assert int(ref.components.min()) >= 4
    # the fit describes its rows about as well as the true law does
    nll = ref.neg_log_density(data, ALL_AND_EACH[:1])[:, 0].mean(-1).numpy()
    truth = [-scipy_mixture_log_density(s, MixtureFit(TRUE_WEIGHTS, TRUE_MEANS, TRUE_COVS),
                                        [0, 1]).mean() for s in (z, other, z)]
    np.testing.assert_allclose(nll, truth, atol=0.03)


def many_modes(n: int, seed: int) -> np.ndarray:
    """Rows (n, 2) of 60 narrow, equally weighted Gaussian modes on a circle: more shape
    than a mixture fitted to a few hundred rows (8 rows per parameter: 8 components at
    most) can hold."""
    rng = np.random.default_rng(seed)
    angle = 2 * np.pi * rng.integers(0, 60, n) / 60
    return np.c_[np.cos(angle), np.sin(angle)] * 3 + 0.05 * rng.standard_normal((n, 2))


@pytest.mark.parametrize("seed", [0, 1])
def test_select_mixture_says_when_the_rows_limited_the_size(seed: int) -> None:
    z = many_modes(600, seed)
    train, heldout = z[:480], z[480:]
    fit, _, limited = select_mixture(train, heldout, np.random.default_rng(seed))[:3]
    # 480 rows hold 8 components of 6 parameters at 8 rows each, not 16
    assert len(fit.weights) == 8 and limited
    # with rows for every size, the search ends at the largest of SIZES: not the rows' limit
    z = many_modes(8000, seed)
    fit, _, limited = select_mixture(z[:6400], z[6400:], np.random.default_rng(seed))[:3]
    assert len(fit.weights) == SIZES[-1] and not limited


def test_the_adaptive_reference_reports_which_members_were_limited() -> None:
    settings = minee.MINEE(seed=0).settings(1000)
    # three separated modes (800 rows hold up to 16 components), and sixty
    data = torch.tensor(np.stack([true_mixture_rows(1000, 0), many_modes(1000, 0)]))
    ref = Adaptive.build(data, X_THEN_Y, settings)
    assert ref.chosen.tolist() == [True, True]
    assert ref.shape_limited().tolist() == [False, True]
    # an edge-mapped reference reports its inner reference's
    mapped = Mapped(ref, torch.zeros(2, 2, 3, dtype=torch.float64))
    assert mapped.shape_limited() is not None
    assert mapped.shape_limited().tolist() == [False, True]


def test_an_mi_whose_shape_the_reference_could_not_resolve_is_flagged() -> None:
    z = many_modes(600, 0)
    est = minee.mutual_information(z[:, :1], z[:, 1:], seed=0, **QUICK)
    assert "shape_unresolved" in est.diagnostics
    z = true_mixture_rows(1000, 0)  # three modes: the mixture holds them
    assert "shape_unresolved" not in minee.mutual_information(z[:, :1], z[:, 1:], seed=0,
                                                             **QUICK).diagnostics


# the adaptive reference ----------------------------------------------------------------
def test_adaptive_keeps_the_t_on_gaussian_rows_and_takes_a_mixture_on_a_ring() -> None:
    settings = minee.MINEE(seed=0).settings(2000)
    gaussian = np.random.default_rng(0).multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], 2000)
    x, y, _ = ring(2000, 0)
    data = torch.tensor(np.stack([gaussian, np.hstack([x, y])]))
    ref = Adaptive.build(data, X_THEN_Y, settings)
    assert isinstance(ref, Adaptive)
    assert ref.chosen.tolist() == [False, True]
    assert ref.gain[1] > 1.0 and abs(float(ref.gain[0])) < 0.05
    assert ref.mixture is not None and int(ref.mixture.components[1]) >= 8
    value = ref.neg_log_density(data, ALL_AND_EACH)
    student = ref.student.neg_log_density(data, ALL_AND_EACH)
    assert torch.equal(value[0], student[0])
    assert torch.equal(value[1], ref.mixture.neg_log_density(data, ALL_AND_EACH)[1])
    # the ring's mixture describes it far better than the t did
    assert float(value[1, 0].mean()) < float(student[1, 0].mean()) - 1.0

    # draws: the t for the Gaussian member (the same numbers as the t alone), the ring's
    # shape for the ring member (no draw in its empty centre, where a t puts its mode)
    out = ref.sample(torch.empty(2, 1, 5000, 2, dtype=torch.float64),
                     torch.Generator().manual_seed(3))
    alone = ref.student.sample(torch.empty(2, 1, 5000, 2, dtype=torch.float64),
                               torch.Generator().manual_seed(3))
    assert torch.equal(out[0], alone[0])
    centre = data[1].mean(0)
    radius = torch.linalg.norm(out[1, 0] - centre, dim=-1)
    t_radius = torch.linalg.norm(alone[1, 0] - centre, dim=-1)
    assert float((radius < 0.5).double().mean()) < 0.005
    assert float((t_radius < 0.5).double().mean()) > 0.05


def test_adaptive_on_gaussian_rows_alone_is_the_student_t() -> None:
    settings = minee.MINEE(seed=0).settings(1500)
    rows = np.random.default_rng(4).standard_normal((2, 1500, 2)) * [1.0, 3.0]
    data = torch.tensor(rows)
    ref = Adaptive.build(data, X_THEN_Y, settings)
    assert ref.chosen.tolist() == [False, False] and ref.mixture is None
    plain = StudentT(data, X_THEN_Y)
    assert torch.equal(ref.neg_log_density(data, ALL_AND_EACH),
                       plain.neg_log_density(data, ALL_AND_EACH))
    assert torch.equal(ref.fit_correction(ALL_AND_EACH), plain.fit_correction(ALL_AND_EACH))


# the scale of an MI estimate -----------------------------------------------------------
def test_choose_transform_keeps_the_scale_of_a_ring() -> None:
    x, y, _ = ring(5000, 0)
    groups = [np.array([True, False]), np.array([False, True])]
    assert choose_transform(np.hstack([x, y]), groups, 0) == "standardize"


def test_choose_transform_takes_rank_scores_of_cubed_gaussians() -> None:
    x, y = minee.tasks.get("monotone", rho=0.8, d=2, transform="cube").sample(5000, seed=0)
    groups = [np.array([True, True, False, False]), np.array([False, False, True, True])]
    assert choose_transform(np.hstack([x, y]), groups, 0) == "rank-t"


# the entropies' edge maps --------------------------------------------------------------
def edge_sample(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(-1.0, 2.0, n), 1.0 + rng.exponential(2.0, n),
                            -rng.exponential(1.0, n), rng.normal(size=n),
                            rng.pareto(1.5, n)])


def inverse(w: np.ndarray, kind: int, a: float, b: float) -> np.ndarray:
    """x = T^-1(w), from the maps' definitions (edges.py docstring)."""
    if kind == 1:
        return a + np.exp(w)
    if kind == 2:
        return b - np.exp(-w)
    if kind == 3:
        return a + (b - a) / (1 + np.exp(-w))
    return w


def test_edge_maps_choose_a_map_per_column() -> None:
    z = edge_sample(3000, 0)
    maps = edge_maps(z, 0)
    assert maps.shape == (5, 3)
    kinds = [KINDS[int(k)] for k in maps[:, 0]]
    assert kinds[0] == "both"  # uniform: two edges
    assert kinds[3] == "none"  # Gaussian: no edge
    # a half-line: its edge is mapped ("lower"; on an exponential "both" describes the
    # held-out rows better, its upper end just past the largest row)
    assert kinds[1] in ("lower", "both") and kinds[2] in ("upper", "both")
    assert kinds[4] == "lower"  # a Pareto tail: only the lower edge
    # the edges lie just outside the sample, by its range over n
    pad = (z.max(0) - z.min(0)) / len(z)
    np.testing.assert_allclose(maps[:, 1], z.min(0) - pad)
    np.testing.assert_allclose(maps[:, 2], z.max(0) + pad)


def test_edge_maps_mirror_with_the_data() -> None:
    z = edge_sample(3000, 0)
    maps, mirrored = edge_maps(z, 0), edge_maps(-z, 0)
    swap = np.array([0, 2, 1, 3])  # lower <-> upper
    np.testing.assert_array_equal(mirrored[:, 0], swap[maps[:, 0].astype(int)])
    np.testing.assert_allclose(mirrored[:, 1], -maps[:, 2])
    np.testing.assert_allclose(mirrored[:, 2], -maps[:, 1])
    assert KINDS[int(mirrored[4, 0])] == "upper"


def test_apply_maps_and_their_log_jacobian() -> None:
    z = edge_sample(3000, 0)
    maps = edge_maps(z, 0)
    w = apply_maps(z, maps)
    assert w.shape == z.shape and np.isfinite(w).all()
    assert np.all(np.argsort(w, axis=0) == np.argsort(z, axis=0))  # increasing maps
    np.testing.assert_array_equal(w[:, 3], z[:, 3])  # "none" is the identity
    x_back = np.column_stack([inverse(w[:, j], int(k), a, b)
                              for j, (k, a, b) in enumerate(maps)])
    np.testing.assert_allclose(x_back, z, rtol=1e-9, atol=1e-9)
    # ln dx/dw against a central difference of the inverse map, at the sample's rows
    h = 1e-5
    numeric = np.column_stack([
        (inverse(w[:, j] + h, int(k), a, b) - inverse(w[:, j] - h, int(k), a, b)) / (2 * h)
        for j, (k, a, b) in enumerate(maps)])
    got = log_dx_dw(torch.tensor(w[None]), torch.tensor(maps[None]))
    assert got.shape == (1, 3000, 5) and got.dtype == torch.float64
    np.testing.assert_allclose(got[0].numpy(), np.log(numeric), atol=1e-6)
    # per member: a second member with other maps gets its own
    both = log_dx_dw(torch.tensor(np.stack([w, w])),
                     torch.tensor(np.stack([maps, np.zeros_like(maps)])))
    assert torch.equal(both[0], got[0]) and not both[1].any()


def test_mapped_reference_adds_the_log_jacobian_per_column_set() -> None:
    z = edge_sample(500, 1)[:, :2]
    maps = torch.tensor(edge_maps(z, 1)[None])
    w = torch.tensor(apply_maps(z, maps[0].numpy())[None])
    inner = StudentT(w, X_THEN_Y)
    ref = Mapped(inner, maps)
    jac = log_dx_dw(w, maps)[0]  # (n, 2)
    value = ref.neg_log_density(w, ALL_AND_EACH)
    inner_value = inner.neg_log_density(w, ALL_AND_EACH)
    for h, cols in enumerate(([0, 1], [0], [1])):
        torch.testing.assert_close(value[0, h], inner_value[0, h] + jac[:, cols].sum(-1))


# end to end ----------------------------------------------------------------------------
def test_entropy_of_a_box_defaults_to_edges_and_is_closer_with_them() -> None:
    task = minee.tasks.get_entropy("box", sides=(0.5, 2.0))
    x = task.sample(3000, seed=0)
    edged = minee.entropy(x, seed=0)
    plain = minee.entropy(x, seed=0, advanced={"preprocess": "none"})
    assert edged.preprocess == "edges" and plain.preprocess == "none"
    assert abs(edged.value - task.entropy) < 0.03
    assert abs(edged.value - task.entropy) < abs(plain.value - task.entropy)


def test_mutual_information_of_a_ring_keeps_its_scale() -> None:
    x, y, truth = ring(3000, 0)
    est = minee.mutual_information(x, y, seed=0)
    assert est.preprocess == "standardize"
    assert abs(est.value - truth) < 0.06


def test_auto_preprocess_is_refused_for_an_entropy() -> None:
    x = minee.tasks.get_entropy("exponential", rates=(1.0,)).sample(200, seed=0)
    with pytest.raises(ValueError, match="edges"):
        minee.NEE(seed=0, max_steps=40, advanced={"preprocess": "auto"}).fit(x)


# persistence ---------------------------------------------------------------------------
def test_saved_entropy_keeps_its_maps(tmp_path: Path) -> None:
    x = minee.tasks.get_entropy("exponential", rates=(1.0, 0.5)).sample(1000, seed=0)
    est = minee.NEE(seed=0, **QUICK).fit(x)
    assert est.estimate_.preprocess == "edges" and est.run_.maps is not None
    assert est.run_.maps.shape == (1, 2, 3)
    assert all(KINDS[int(k)] != "none" for k in est.run_.maps[0, :, 0])
    back = minee.load(minee.save(est, tmp_path / "nee.pt"))
    assert back.entropy_ == est.entropy_
    assert back.estimate_.preprocess == "edges"
    assert back.run_.transforms == est.run_.transforms
    np.testing.assert_array_equal(np.asarray(back.run_.maps), np.asarray(est.run_.maps))


def test_saved_mutual_information_keeps_its_preprocess(tmp_path: Path) -> None:
    x, y, _ = ring(1000, 0)
    est = minee.MINEE(seed=0, **QUICK).fit(x, y)
    assert est.estimate_.preprocess == "standardize" and est.run_.maps is None
    back = minee.load(minee.save(est, tmp_path / "minee.pt"))
    assert back.estimate_.preprocess == "standardize"
    assert back.run_.transforms == ("standardize",)
    assert back.mutual_information_ == est.mutual_information_
    assert back.estimate_.budget == est.estimate_.budget
