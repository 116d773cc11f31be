"""The streamed reference gradient equals the plain one (minee.training.streaming)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import minee
from minee import tasks
from minee.training.streaming import dv_backward_streamed


def _run(ref_factor: float = 60.0, **options):
    x, y = tasks.get("hg", rho=0.9, d=2).sample(200, seed=3)
    xs, ys = np.stack([x, x[::-1]]), np.stack([y, y[::-1]])  # two problems at once
    recipe = {"batch_size": 20, "ref_factor": ref_factor, "eval_every": 10, **options}
    return minee.MINEE(preset="paper", max_steps=30, seed=5, advanced=recipe
                       ).prepare_batch(xs, ys)


def test_large_reference_streams_only_for_separate_dv_heads():
    assert _run().engine.stream_chunk is not None
    assert _run(ref_factor=10.0).engine.stream_chunk is None  # small: one pass is cheaper
    assert _run(form="shared").engine.stream_chunk is None
    assert _run(objective="ma").engine.stream_chunk is None


@pytest.mark.parametrize(("chunk", "options"), [(7, {}), (100, {}), (512, {}),
                                               (100, {"joint_residual": True})])
def test_streamed_steps_follow_the_plain_steps(chunk, options):
    # with the joint residual the joint head's softmax weights come from f_XY + f_X + f_Y
    # while only f_XY's network takes its gradient: still one running scale per network
    streamed = _run(**options).engine
    plain = copy.deepcopy(streamed)
    streamed.stream_chunk, plain.stream_chunk = chunk, None
    for _ in range(25):
        streamed.train_step()
        plain.train_step()
    # Adam divides by the gradient's running scale, so rounding differences in near-zero
    # gradients move weights by up to ~1e-6 (each weight moved by ~1e-3 in these steps).
    # The output bias is left out: DV is blind to it, its gradient is 0 up to rounding,
    # and Adam turns that rounding noise into full-size steps on either path.
    pairs = zip(streamed.critic.named_parameters(), plain.critic.named_parameters(),
                strict=True)
    last = f"net.biases.{len(streamed.critic.net.biases) - 1}"
    for (name, a), (_, b) in pairs:
        if name != last:
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(streamed.evaluate()["train"], plain.evaluate()["train"],
                               rtol=1e-4, atol=1e-5)


def test_streamed_gradient_survives_a_large_new_maximum():
    # the last chunk holds critic values up to ~100 nats above the rest: exp would
    # overflow without the running rescale
    engine = _run().engine
    critic = engine.critic
    # raw rows, read through the critic's own forward (the engine's rows are prepared)
    k, rows, dim = engine.train_rows.shape
    ref = engine.reference.sample(torch.empty(k, 1, engine.feed.ref_rows, dim), engine.generator)
    data = engine.train_rows[:, None, :20].expand(k, critic.heads, 20, dim)
    with torch.no_grad():
        critic.net.biases[-1].zero_()
        critic.net.weights[-1].mul_(50.0)
    far = ref[:, :, -1:].clone()
    ref[:, :, -1:] = far * 1e3  # far outside the data: large |f| there

    def grads(stream: bool) -> list[torch.Tensor]:
        critic.zero_grad(set_to_none=True)
        if stream:
            dv_backward_streamed(critic, data, ref, chunk=64)
        else:
            f_ref, f_data = critic(ref), critic(data)
            loss = -(f_data.mean(-1) - torch.logsumexp(f_ref, -1))
            loss.sum().backward()
        return [p.grad.clone() for p in critic.parameters()]

    assert critic(ref)[..., -1].max() > 80
    for a, b in zip(grads(True), grads(False), strict=True):
        assert torch.isfinite(a).all()
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_resume_is_bit_exact_on_the_streamed_path(tmp_path):
    whole = _run().engine
    whole.run()
    half = _run().engine
    half.run(until=10)
    resumed = _run().engine
    resumed.load_state_dict(copy.deepcopy(half.state_dict()))
    resumed.run()
    for a, b in zip(whole.critic.parameters(), resumed.critic.parameters(), strict=True):
        assert torch.equal(a, b)
