"""Options of the critic and its training: the joint residual (a head adds the detached
values of the heads that split it), whitened inputs, the logistic objective, reading the
critics' weights averaged over steps, and weight decay."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import minee
import minee.tasks
from minee.estimation.estimators import CMINEE, MINEE, NEE
from minee.training.critics import Critic
from minee.training.objectives import Logistic

MASKS = torch.tensor([[1, 1, 1], [1, 0, 0], [0, 1, 1]], dtype=torch.bool)  # xy, x, y
PARTS = torch.tensor([[0.0, 1.0, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


def _critic(parts: torch.Tensor | None, form: str = "separate") -> Critic:
    gen = torch.Generator().manual_seed(0)
    return Critic(MASKS, members=2, form=form, shift=torch.zeros(2, 1, 1, 3),
                  scale=torch.ones(2, 1, 1, 3), hidden=8, depth=2, activation="elu",
                  init_std=None, generator=gen, parts=parts)


def test_parts_split_the_joint_head_only() -> None:
    np.testing.assert_array_equal(MINEE().heads({"x": 2, "y": 1}).parts(), PARTS.numpy())
    assert not CMINEE().heads({"x": 1, "y": 1, "z": 2}).parts().any()  # overlapping sets
    assert not NEE().heads({"x": 3}).parts().any()


@pytest.mark.parametrize("form", ["separate", "shared"])
def test_joint_head_adds_the_detached_marginal_critics(form: str) -> None:
    plain, composed = _critic(None, form), _critic(PARTS, form)
    z = torch.randn(2, 40, 3, generator=torch.Generator().manual_seed(1))
    f, g = plain(z), composed(z)
    torch.testing.assert_close(g[:, 0], f[:, 0] + f[:, 1] + f[:, 2])
    torch.testing.assert_close(g[:, 1:], f[:, 1:])
    # the joint head's loss trains the joint network only
    g[:, 0].sum().backward()
    if form == "separate":
        grads = composed.net.weights[0].grad.view(2, 3, 3, -1)
        assert grads[:, 0].abs().sum() > 0
        assert torch.all(grads[:, 1:] == 0)


def test_a_critic_with_parts_refuses_rows_per_head() -> None:
    with pytest.raises(ValueError, match="rows shared by its heads"):
        _critic(PARTS)(torch.randn(2, 3, 10, 3))
    assert _critic(torch.zeros(3, 3)).parts is None  # nothing to add: a plain critic


def test_joint_residual_trains_on_shared_rows_and_is_seeded() -> None:
    x, y = minee.tasks.get("hg", rho=0.8, d=1).sample(600, seed=0)
    fits = [MINEE(max_steps=200, seed=3, advanced={"joint_residual": True}).fit(x, y)
            for _ in range(2)]
    assert fits[0].mutual_information_ == fits[1].mutual_information_
    assert fits[0].settings_.joint_residual
    truth = minee.tasks.get("hg", rho=0.8, d=1).mutual_information
    assert abs(fits[0].mutual_information_ - truth) < 0.1


def test_logistic_loss_is_least_at_the_log_density_ratio() -> None:
    """Data N(1, 1) against reference N(0, 1): ln p/q = z - 1/2 minimises the loss."""
    gen = torch.Generator().manual_seed(0)
    data, ref = torch.randn(200_000, generator=gen) + 1.0, torch.randn(200_000, generator=gen)
    loss = Logistic().loss

    def at(slope: float, shift: float) -> float:
        return float(loss(slope * data + shift, slope * ref + shift))

    best = at(1.0, -0.5)
    for slope, shift in [(1.0, -0.2), (1.0, -0.8), (0.7, -0.5), (1.3, -0.5)]:
        assert best < at(slope, shift)


def test_logistic_objective_estimates_mi() -> None:
    x, y = minee.tasks.get("hg", rho=0.8, d=2).sample(2000, seed=1)
    est = MINEE(seed=0, advanced={"objective": "logistic"}).fit(x, y)
    truth = -math.log(1 - 0.8**2)
    assert abs(est.mutual_information_ - truth) < 0.1


def _correlated(n: int = 3000) -> torch.Tensor:
    z = torch.randn(2, n, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    z[..., 2] = 0.95 * z[..., 0] + 0.3 * z[..., 2]
    return z


def test_zero_output_critics_start_at_zero_and_learn() -> None:
    critic = _critic(PARTS).zero_output_()
    z = torch.randn(2, 30, 3)
    assert torch.equal(critic(z), torch.zeros(2, 3, 30))
    x, y = minee.tasks.get("hg", rho=0.8, d=1).sample(1000, seed=0)
    est = MINEE(max_steps=1, seed=0, advanced={"init": "zero-output", "eval_every": 1}).fit(x, y)
    assert all(v == 0.0 for v in est.estimate_.divergences.values())  # DV of f = 0
    # uniform noise: the Student-t part alone is ~0.3 nats short, so the critics must learn
    x, y = minee.tasks.get("uniform_noise", d=1, noise=0.3).sample(2000, seed=0)
    trained = MINEE(max_steps=400, seed=0, reference="student",
                    advanced={"init": "zero-output", "patience": None,
                              "preprocess": "rank-t"}).fit(x, y)
    assert trained.estimate_.divergences["xy"] > 0.05


def test_init_names_its_choices() -> None:
    with pytest.raises(ValueError, match="'torch' or 'zero-output'"):
        MINEE(advanced={"init": "zeros"}).settings(500)


def test_averaging_reads_the_moving_average_of_the_weights() -> None:
    x, y = minee.tasks.get("hg", rho=0.8, d=1).sample(400, seed=0)
    decay = 0.9
    engine = MINEE(seed=0, advanced={"averaging": decay}).prepare_batch(x[None], y[None]).engine
    expected = [p.detach().clone() for p in engine.critic.parameters()]
    for n in range(30):  # n: updates averaged before this step's (the first one copies)
        engine.train_step()
        d = 0.0 if n == 0 else min(decay, (1 + n) / (10 + n))
        for e, p in zip(expected, engine.critic.parameters(), strict=True):
            e.mul_(d).add_(p.detach(), alpha=1 - d)
    for e, p in zip(expected, engine.reader.parameters(), strict=True):
        torch.testing.assert_close(p, e)
    # evaluations read the averaged weights, not the last step's
    state = engine.generator.get_state()

    def evaluate() -> torch.Tensor:
        engine.generator.set_state(state)  # the same reference rows each time
        return engine.evaluate()["train"]

    before = evaluate()
    engine.critic.net.weights[-1].data.add_(1.0)
    assert torch.equal(evaluate(), before)
    engine.reader.net.weights[-1].data.add_(1.0)
    assert not torch.equal(evaluate(), before)
    plain = MINEE(seed=0, advanced={"averaging": 0.0}).prepare_batch(x[None], y[None]).engine
    assert plain.reader is plain.critic


def _gelu_critic(box: tuple[torch.Tensor, torch.Tensor] | None) -> Critic:
    return Critic(MASKS, members=2, form="separate", shift=torch.zeros(2, 1, 1, 3),
                  scale=torch.ones(2, 1, 1, 3), hidden=8, depth=2, activation="gelu",
                  init_std=None, generator=torch.Generator().manual_seed(0), box=box)


def test_a_box_holds_each_input_at_the_training_rows_edge() -> None:
    boxed = _gelu_critic((torch.full((2, 1, 1, 3), -1.0), torch.full((2, 1, 1, 3), 2.0)))
    gen = torch.Generator().manual_seed(1)
    far = torch.randn(2, 40, 3, generator=gen) * 10
    torch.testing.assert_close(boxed(far), boxed(far.clamp(-1.0, 2.0)))
    assert not torch.allclose(boxed(far), _gelu_critic(None)(far))
    inside = torch.rand(2, 40, 3, generator=gen) * 3 - 1  # the box changes nothing there
    torch.testing.assert_close(boxed(inside), _gelu_critic(None)(inside))


def test_clamp_inputs_uses_each_members_training_rows() -> None:
    x, y = minee.tasks.get("student", dof=2, dx=1, dy=1, rho=0.5).sample(600, seed=0)
    run = MINEE(folds=2, seed=0, advanced={"clamp_inputs": True,
                                           "compress_tails": False}).prepare_batch(
        x[None], y[None])
    critic, train = run.engine.critic, run.engine.train_rows
    scaled = (train[:, None] - critic.shift) / critic.scale  # (K, 1, r, D)
    torch.testing.assert_close(critic.low, scaled.amin(2, keepdim=True))
    torch.testing.assert_close(critic.high, scaled.amax(2, keepdim=True))
    assert not torch.equal(critic.low[0], critic.low[1])  # two folds, two training sets
    unboxed = MINEE(seed=0, advanced={"clamp_inputs": False}).prepare_batch(x[None], y[None])
    assert unboxed.engine.critic.low is None
