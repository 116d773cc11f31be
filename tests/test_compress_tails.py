"""Critic inputs read in the fitted Student-t reference's units with compressed tails
(``compress_tails``): the map, where the critic takes it from, and its refusals."""

from __future__ import annotations

import math

import numpy as np
import torch

import minee
import minee.tasks
from minee.estimation.estimators import MINEE
from minee.training.critics import Critic, asinh, compress_tails

MASKS = torch.tensor([[1, 1, 1], [1, 0, 0], [0, 1, 1]], dtype=torch.bool)  # xy, x, y


def _tails(dof: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return (torch.tensor([0.5, -1.0, 0.0]), torch.tensor([2.0, 1.0, 0.5]),
            torch.tensor(math.sqrt(dof)))


def test_the_map_is_increasing_affine_near_the_centre_and_logarithmic_far() -> None:
    z = torch.linspace(-1e4, 1e4, 20001, dtype=torch.float64)[:, None].expand(-1, 3)
    out = compress_tails(z, *(t.double() for t in _tails(1.0)))
    assert bool((out.diff(dim=0) > 0).all())  # strictly increasing per column
    centre, unit, _ = _tails(1.0)
    near = centre + unit * torch.tensor([0.01, -0.02, 0.03])
    torch.testing.assert_close(compress_tails(near[None], *_tails(1.0))[0],
                               torch.tensor([0.01, -0.02, 0.03]), rtol=1e-3, atol=0.0)
    # a Cauchy-like row 1,600 units out is read ~8 units out, not 1,600
    far = compress_tails((centre + 1600 * unit)[None], *_tails(1.0))[0]
    torch.testing.assert_close(far, torch.full((3,), math.asinh(1600.0)))
    # Gaussian-like tails (dof 1,000): within 1% of the affine map out to 5 units
    five = compress_tails((centre + 5 * unit)[None], *_tails(1000.0))[0]
    torch.testing.assert_close(five, torch.full((3,), 5.0), rtol=0.01, atol=0.0)


def test_the_critic_applies_the_map_before_its_standardisation() -> None:
    tails = tuple(t.expand(2, 1, 1, 3) if t.dim() else t.expand(2, 1, 1, 1)
                  for t in _tails(2.0))
    common = {"members": 2, "form": "separate", "shift": torch.full((2, 1, 1, 3), 0.3),
              "scale": torch.full((2, 1, 1, 3), 1.7), "hidden": 8, "depth": 2,
              "activation": "gelu", "init_std": None}
    mapped = Critic(MASKS, generator=torch.Generator().manual_seed(0), tails=tails, **common)
    plain = Critic(MASKS, generator=torch.Generator().manual_seed(0), **common)
    z = torch.randn(2, 50, 3, generator=torch.Generator().manual_seed(1)) * 30
    torch.testing.assert_close(mapped(z), plain(compress_tails(z[:, None], *tails)))


def test_the_estimator_takes_each_members_tails_from_its_reference() -> None:
    # two problems (heavy and Gaussian tails), two folds each: four members, two fits
    heavy = minee.tasks.get("student", dof=1.5, dx=1, dy=1, rho=0.5).sample(800, seed=0)
    light = minee.tasks.get("gaussian", dx=1, dy=1, kind="dense",
                            strength=0.5).sample(800, seed=1)
    xs, ys = np.stack([heavy[0], light[0]]), np.stack([heavy[1], light[1]])
    run = MINEE(folds=2, seed=0, advanced={"compress_tails": True}
                ).prepare_batch(xs, ys)
    critic, reference = run.engine.critic, run.reference
    centre, unit, dof = reference.tails()
    torch.testing.assert_close(critic.tail_centre[:, 0, 0], centre)
    torch.testing.assert_close(critic.tail_unit[:, 0, 0], unit)
    torch.testing.assert_close(critic.tail_root[:, 0, 0], dof.sqrt())
    assert critic.tail_centre.data_ptr() != centre.data_ptr()  # a copy, loaded in place
    assert float(dof[:2].max()) < 5 < 20 < float(dof[2:].min())  # members in order
    # the standardisation and the box are those of the mapped rows
    rows = torch.as_tensor(run.data, dtype=torch.float32).repeat_interleave(2, 0)
    mapped = compress_tails(rows, critic.tail_centre[:, 0], critic.tail_unit[:, 0],
                            critic.tail_root[:, 0])
    torch.testing.assert_close(critic.shift[:, 0, 0], mapped.mean(1))
    torch.testing.assert_close(critic.scale[:, 0, 0], mapped.std(1))
    train = compress_tails(run.engine.train_rows[:, None], critic.tail_centre,
                           critic.tail_unit, critic.tail_root)
    torch.testing.assert_close(critic.low, ((train - critic.shift) / critic.scale).amin(
        2, keepdim=True))
    assert MINEE(seed=0, advanced={"compress_tails": False}).prepare_batch(
        xs, ys).engine.critic.tail_root is None


def test_a_reference_without_fitted_tails_leaves_the_inputs_standardised_only() -> None:
    # a Gaussian is the t with infinite dof, whose map is affine: nothing to compress
    x, y = minee.tasks.get("student", dof=3, dx=1, dy=1, rho=0.5).sample(300, seed=0)
    for reference in ("gaussian", "uniform"):
        run = MINEE(reference=reference, seed=0, advanced={"compress_tails": True}).prepare_batch(
            x[None], y[None])
        assert run.reference.tails() is None
        assert run.engine.critic.tail_root is None


def test_heavy_scores_read_through_the_map_recover_an_x_shaped_dependence() -> None:
    # two Gaussians with correlations +-0.9: its copula fits a t copula with dof ~1, so the
    # Student-t scores are Cauchy-like and, standardised, squeeze the bulk near 0 (the
    # default would read this mixture on its own scale with a mixture reference: here the
    # rank-t scores and the Student-t are asked for)
    task = minee.tasks.get("mg", rho=0.9)
    x, y = task.sample(3000, seed=7)
    error = {tails: minee.mutual_information(
        x, y, seed=7, reference="student",
        advanced={"compress_tails": tails, "preprocess": "rank-t"}).value
        - task.mutual_information for tails in (False, True)}
    assert abs(error[True]) < 0.04  # seen: -0.025 (1,200 steps)
    assert error[False] < -0.04  # seen: -0.053, stopped at step 420


def test_the_vectorised_asinh_is_torchs_to_rounding() -> None:
    t = torch.cat([torch.logspace(-30, 38, 2000), torch.linspace(-50, 50, 2001),
                   torch.tensor([0.0, 1e-45, 3e38, math.inf])])
    t = torch.cat([t, -t])
    want = torch.asinh(t.double())
    got = asinh(t)
    assert got.dtype == torch.float32
    # (the vectorised log1p may flush a subnormal input to 0: atol at float32's tiny)
    torch.testing.assert_close(got.double(), want, rtol=3e-7, atol=torch.finfo().tiny)
    assert bool((torch.signbit(got) == torch.signbit(t)).all())  # odd, -0 included
    assert torch.isnan(asinh(torch.tensor([math.nan]))).all()
    # float64 keeps float64's precision
    x = torch.linspace(-1e3, 1e3, 4001, dtype=torch.float64)
    torch.testing.assert_close(asinh(x), torch.asinh(x), rtol=1e-15, atol=0.0)
