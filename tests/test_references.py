"""Reference distributions: samples, densities and support against closed forms."""

from __future__ import annotations

import math

import pytest
import torch

import minee
from minee.registry import REFERENCES, make_reference
from minee.training.references import Gaussian, Marginals, UniformBox

torch.manual_seed(0)
DATA = torch.randn(2, 500, 3, dtype=torch.float64) * torch.tensor([1.0, 2.0, 0.5],
                                                                 dtype=torch.float64)
MASKS = torch.tensor([[1, 1, 1], [1, 0, 0], [0, 1, 1]], dtype=torch.bool)


def _sample(ref: object, rows: int = 100_000) -> torch.Tensor:
    out = torch.empty(2, 1, rows, 3, dtype=torch.float64)
    return ref.sample(out, torch.Generator().manual_seed(1))[:, 0]


def test_uniform_box_is_the_bounding_box() -> None:
    ref = UniformBox(DATA)
    s = _sample(ref)
    assert torch.all(s >= DATA.min(1).values[:, None]) and torch.all(
        s <= DATA.max(1).values[:, None])
    width = DATA.max(1).values - DATA.min(1).values
    nld = ref.neg_log_density(DATA, MASKS)
    assert nld.shape == (2, 3, 500)
    expected = torch.log(width) @ MASKS.double().T
    assert torch.allclose(nld[..., 0], expected)
    # The joint box is the product of the marginal boxes (Proposition 2).
    assert torch.allclose(nld[:, 0], nld[:, 1] + nld[:, 2])
    assert not ref.outside(DATA).any()


def test_uniform_margin_widens_and_flags_outside() -> None:
    ref = UniformBox(DATA, margin=0.1)
    width = DATA.max(1).values - DATA.min(1).values
    assert torch.allclose(ref.width, width * 1.2)
    far = DATA.clone()
    far[0, 0, 0] = 1e3
    assert ref.outside(far)[0, 0] and not ref.outside(far)[0, 1:].any()


def test_gaussian_density_matches_torch_distributions() -> None:
    ref = Gaussian(DATA)
    nld = ref.neg_log_density(DATA, MASKS)
    for p in range(2):
        for h, mask in enumerate(MASKS):
            idx = torch.nonzero(mask).flatten()
            dist = torch.distributions.MultivariateNormal(
                ref.mean[p, idx], covariance_matrix=ref.cov[p][idx][:, idx])
            assert torch.allclose(nld[p, h], -dist.log_prob(DATA[p][:, idx]), atol=1e-10)


def test_gaussian_samples_have_the_fitted_moments() -> None:
    ref = Gaussian(DATA)
    s = _sample(ref, 200_000)
    assert torch.allclose(s.mean(1), ref.mean, atol=0.02)
    cov = torch.stack([torch.cov(s[p].T) for p in range(2)])
    assert torch.allclose(cov, ref.cov, rtol=0.03, atol=0.02)
    # Its cross-entropy on its own samples is its entropy: 0.5 ln det(2 pi e cov).
    h = 0.5 * torch.logdet(2 * math.pi * math.e * ref.cov)
    assert torch.allclose(ref.neg_log_density(s, MASKS[:1])[:, 0].mean(1), h, atol=0.01)


def test_marginals_resample_rows_independently() -> None:
    groups = torch.tensor([[1, 0, 0], [0, 1, 1]], dtype=torch.bool)
    ref = Marginals(DATA, groups)
    s = _sample(ref, 2000)
    for p in range(2):
        x_rows = {tuple(r) for r in DATA[p][:, :1].tolist()}
        y_rows = {tuple(r) for r in DATA[p][:, 1:].tolist()}
        assert all(tuple(r) in x_rows for r in s[p][:, :1].tolist())
        assert all(tuple(r) in y_rows for r in s[p][:, 1:].tolist())
    assert not ref.has_density
    with pytest.raises(ValueError, match="no known density"):
        ref.neg_log_density(DATA, MASKS)


def test_make_reference_names() -> None:
    groups = MASKS[1:]
    for name, cls in (("uniform", UniformBox), ("gaussian", Gaussian),
                      ("marginals", Marginals)):
        settings = minee.MINE().settings(500) if name == "marginals" \
            else minee.MINEE(reference=name).settings(500)
        assert isinstance(make_reference(DATA, groups, settings), cls)
        assert REFERENCES[name].has_density == (name != "marginals")
    with pytest.raises(ValueError, match="unknown reference 'laplace'"):
        minee.MINEE(reference="laplace").settings(500)
