"""Engine invariants the fast path relies on: the batched critic is K x H separate MLPs,
masks are exact, one Adam equals per-head Adams, chunked evaluation equals one pass, and
seeds determine everything."""

from __future__ import annotations

import copy
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

import minee
import minee.tasks
from minee.training import engine as engine_module
from minee.training import feed as feed_module
from minee.training.critics import BatchedMLP, Critic
from minee.training.engine import Engine
from minee.training.engine_config import EngineConfig
from minee.training.objectives import DV, dv_bound
from minee.training.references import UniformBox

MASKS = torch.tensor([[1, 1, 1], [1, 0, 0], [0, 1, 1]], dtype=torch.bool)  # xy, x, y


def _critic(form: str = "separate", members: int = 2, activation: str = "elu",
            seed: int = 0) -> Critic:
    gen = torch.Generator().manual_seed(seed)
    shift = torch.randn(members, 1, 1, 3, generator=gen)
    scale = torch.rand(members, 1, 1, 3, generator=gen) + 0.5
    return Critic(MASKS, members=members, form=form, shift=shift, scale=scale, hidden=8,
                  depth=2, activation=activation, init_std=None, generator=gen)


def _per_head(critic: Critic) -> list[list[nn.Sequential]]:
    """Plain nn.Sequential copies of each (member, head) network on its own columns."""
    net = critic.net
    act = {"elu": nn.ELU, "tanh": nn.Tanh, "relu": nn.ReLU}[critic.net.activation_name]
    out = []
    for k in range(critic.members):
        row = []
        for h, mask in enumerate(MASKS):
            g = k * critic.heads + h
            layers: list[nn.Module] = []
            for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
                w_g = w[g][mask] if i == 0 else w[g]
                lin = nn.Linear(w_g.shape[0], w_g.shape[1])
                with torch.no_grad():
                    lin.weight.copy_(w_g.T)
                    lin.bias.copy_(b[g, 0])
                layers += [lin, act()] if i < len(net.weights) - 1 else [lin]
            row.append(nn.Sequential(*layers))
        out.append(row)
    return out


@pytest.mark.parametrize("activation", ["elu", "tanh", "relu"])
def test_batched_critic_equals_separate_mlps(activation: str) -> None:
    critic = _critic(activation=activation)
    nets = _per_head(critic)
    z = torch.randn(2, 3, 40, 3, generator=torch.Generator().manual_seed(1))
    got = critic(z)
    for k in range(2):
        u = (z[k] - critic.shift[k]) / critic.scale[k]  # (H, M, D) standardised
        for h, mask in enumerate(MASKS):
            want = nets[k][h](u[h][:, mask])[:, 0]
            torch.testing.assert_close(got[k, h], want, rtol=1e-5, atol=1e-6)


def test_shared_rows_equal_per_head_rows() -> None:
    """(K, M, D) inputs give every head the same rows, as an explicit expand does."""
    for form in ("separate", "shared"):
        critic = _critic(form)
        z = torch.randn(2, 30, 3)
        torch.testing.assert_close(critic(z), critic(z[:, None].expand(2, 3, 30, 3)))


@pytest.mark.parametrize("form", ["separate", "shared"])
def test_masked_columns_are_exact(form: str) -> None:
    """A head's output ignores its masked columns, and their weights get zero gradient."""
    critic = _critic(form)
    z = torch.randn(2, 3, 25, 3)
    changed = z.clone()
    changed[:, 1, :, 1:] += 100.0  # head x must not see y's columns
    changed[:, 2, :, 0] -= 7.0  # head y must not see x's column
    a, b = critic(z), critic(changed)
    assert torch.equal(a[:, 1:], b[:, 1:])
    if form == "separate":  # head x's first-layer weights on y's columns get no gradient
        critic(z)[:, 1].sum().backward()
        w0 = critic.net.weights[0].grad.view(2, 3, 3, -1)
        assert torch.all(w0[:, 1, 1:] == 0)
        assert w0[:, 1, 0].abs().sum() > 0


def test_one_adam_equals_per_head_adams() -> None:
    """Adam is element-wise, so one optimiser over the batched weights takes exactly the
    steps that separate optimisers take on each head's network."""
    critic = _critic()
    nets = _per_head(critic)
    big = torch.optim.Adam(critic.parameters(), lr=1e-2, fused=True)  # as the engine
    # not the DV bound: it is shift-invariant, so the last bias gets a zero gradient whose
    # rounding noise Adam would amplify differently in each implementation
    def loss(f: torch.Tensor, f_ref: torch.Tensor) -> torch.Tensor:
        return -f.mean(-1) + f_ref.exp().mean(-1)

    small = [[torch.optim.Adam(n.parameters(), lr=1e-2) for n in row] for row in nets]
    gen = torch.Generator().manual_seed(3)
    for _ in range(5):
        z = torch.randn(2, 3, 20, 3, generator=gen)
        ref = torch.randn(2, 3, 60, 3, generator=gen)
        big.zero_grad()
        loss(critic(z), critic(ref)).sum().backward()
        big.step()
        for k in range(2):
            u = (z[k] - critic.shift[k]) / critic.scale[k]
            r = (ref[k] - critic.shift[k]) / critic.scale[k]
            for h, mask in enumerate(MASKS):
                net, opt = nets[k][h], small[k][h]
                opt.zero_grad()
                loss(net(u[h][:, mask])[:, 0], net(r[h][:, mask])[:, 0]).backward()
                opt.step()
    rebuilt = _per_head(critic)
    for k in range(2):
        for h in range(3):
            for p, q in zip(rebuilt[k][h].parameters(), nets[k][h].parameters(), strict=True):
                torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


class _Recording(UniformBox):
    """A real uniform reference that remembers every sample it hands out."""

    def __init__(self, data: torch.Tensor):
        super().__init__(data)
        self.drawn: list[torch.Tensor] = []

    def sample(self, out: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        out = super().sample(out, generator)
        self.drawn.append(out.clone())
        return out


def test_chunked_evaluation_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    data = torch.randn(2, 150, 3, generator=torch.Generator().manual_seed(0))
    heldout = torch.randn(2, 70, 3, generator=torch.Generator().manual_seed(1))
    critic = _critic()
    reference = _Recording(data)
    config = EngineConfig(lr=1e-3, batch_size=None, ref_factor=4.0, max_steps=1,
                          eval_every=1)
    monkeypatch.setattr(engine_module, "_EVAL_CHUNK", 64 * 6)  # 2 members x 3 heads
    monkeypatch.setattr(engine_module, "_MIN_CHUNK", 1)
    monkeypatch.setattr(feed_module, "POOL_ELEMENTS", 2 * 3 * 100)  # 2 members x 3 columns
    eng = Engine(critic, reference, DV(), data, heldout, config, torch.Generator().manual_seed(0))
    got = eng.evaluate()
    # drawn 100 rows at a time, read 64 rows per pass (two passes per draw)
    assert [d.shape[2] for d in reference.drawn] == [100] * 6
    ref = torch.cat(reference.drawn, dim=2)  # (K, 1, 600, D): the one-pass reference
    with torch.no_grad():
        for name, rows in (("train", data), ("heldout", heldout)):
            torch.testing.assert_close(got[name], dv_bound(critic(rows), critic(ref)),
                                       rtol=1e-5, atol=1e-5)


def test_seed_determines_the_run() -> None:
    x, y = minee.tasks.get("mg", rho=0.9).sample(200, seed=0)
    opts = dict(max_steps=60, advanced={"eval_every": 20, "min_steps": 0}, device="cpu")
    a = minee.MINEE(seed=5, **opts).fit(x, y)
    b = minee.MINEE(seed=5, **opts).fit(x, y)
    c = minee.MINEE(seed=6, **opts).fit(x, y)
    np.testing.assert_array_equal(a.history_.train, b.history_.train)
    assert a.mutual_information_ == b.mutual_information_
    assert not np.array_equal(a.history_.train, c.history_.train)


def test_minibatches_are_without_replacement() -> None:
    data = torch.arange(40.0).reshape(1, 40, 1).expand(2, 40, 3).contiguous()
    critic = _critic()
    config = EngineConfig(lr=1e-3, batch_size=25, ref_factor=1.0, max_steps=1, eval_every=1)
    eng = Engine(critic, UniformBox(data), DV(), data, None, config,
                 torch.Generator().manual_seed(0))
    batch = eng.feed.batch()  # (K, H, 25, D)
    assert batch.shape == (2, 3, 25, 3)
    for rows in batch[..., 0].reshape(-1, 25):
        assert rows.unique().numel() == 25
    assert not torch.equal(batch[0, 0], batch[0, 1])  # heads draw their own minibatches


def test_hidden_width_one_runs_every_layer() -> None:
    """A 1-wide hidden layer is a layer like any other (every layer is one batched GEMM)."""
    net = BatchedMLP(2, 3, 1, hidden=1, depth=3, activation="elu", init_std=None,
                     generator=torch.Generator().manual_seed(0))
    x = torch.randn(2, 5, 3, generator=torch.Generator().manual_seed(1))
    expected = x
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        expected = expected @ w + b
        if i < len(net.weights) - 1:
            expected = torch.nn.functional.elu(expected)
    assert torch.allclose(net(x), expected, atol=1e-6)


def _record_heldout(eng: Engine, rows: list[list[float]]) -> None:
    """Record held-out divergences (one member, heads xy, x, y) as if evaluated."""
    for values in rows:
        v = torch.tensor([values])
        eng._record({"train": v, "heldout": v})


def test_an_mi_is_read_at_one_state_for_all_heads() -> None:
    """With selection weights the reported divergences are all heads' at the evaluation
    where the weighted score peaked, not each head's own best (which would mix states);
    patience still follows each head's own progress."""
    data = torch.randn(1, 50, 3, generator=torch.Generator().manual_seed(0))
    critic = _critic(members=1)
    config = EngineConfig(lr=1e-3, batch_size=None, ref_factor=1.0, max_steps=1,
                          eval_every=1, selection=(1.0, -1.0, -1.0))
    eng = Engine(critic, UniformBox(data), DV(), data, data[:, :10], config,
                 torch.Generator().manual_seed(0))
    # scores D_xy - D_x - D_y: 0.2, 0.3, 0.1; the x head peaks at the third evaluation
    _record_heldout(eng, [[0.5, 0.2, 0.1], [0.8, 0.3, 0.2], [0.9, 0.5, 0.3]])
    torch.testing.assert_close(eng.divergences(), torch.tensor([[0.8, 0.3, 0.2]]))
    assert eng.records.since_best == 0  # the heads still improved at the last evaluation
    _record_heldout(eng, [[0.9, 0.5, 0.3]])
    assert eng.records.since_best == 1
    per_head = Engine(critic, UniformBox(data), DV(), data, data[:, :10],
                      EngineConfig(lr=1e-3, batch_size=None, ref_factor=1.0, max_steps=1,
                                   eval_every=1), torch.Generator().manual_seed(0))
    _record_heldout(per_head, [[0.5, 0.2, 0.1], [0.8, 0.3, 0.2], [0.9, 0.5, 0.3]])
    torch.testing.assert_close(per_head.divergences(), torch.tensor([[0.9, 0.5, 0.3]]))


def test_a_fitted_mi_is_its_best_smoothed_heldout_reading() -> None:
    x, y = minee.tasks.get("student", dof=2.0, dx=2, dy=2, rho=0.0).sample(600, seed=1)
    # (uncompressed inputs: the premise below, heads peaking apart, holds on this sample)
    est = minee.MINEE(seed=0, max_steps=200, folds=1, advanced={"eval_every": 20, "min_steps": 200,
                                                                "compress_tails": False}).fit(x, y)
    curve = est.history_.heldout[:, 0]  # the estimate per evaluation, nats
    smoothed, s = [], None
    for v in curve:
        s = v if s is None else s + est.settings_.smoothing * (v - s)
        smoothed.append(s)
    assert est.mutual_information_ == pytest.approx(max(smoothed), abs=1e-6)  # float32
    # the heads peak at different evaluations here, so reading each at its own best differs
    per_head = est.history_.heldout_divergences
    best = {}
    for head, values in per_head.items():
        s = None
        for v in values:
            s = v if s is None else s + est.settings_.smoothing * (v - s)
            best[head] = max(best.get(head, -np.inf), s)
    mixed = best["xy"] - best["x"] - best["y"]
    read = est.estimate_.divergences["xy"] - est.estimate_.divergences["x"] \
        - est.estimate_.divergences["y"]
    assert abs(mixed - read) > 1e-3


@pytest.mark.parametrize(("estimator", "weights"), [
    (minee.MINEE, (1.0, -1.0, -1.0)), (minee.MINE, (1.0,)), (minee.NEE, None)])
def test_selection_weights_make_the_score_the_estimates_divergence_part(
        estimator: type, weights: tuple[float, ...] | None) -> None:
    x, y = minee.tasks.get("hg", rho=0.5, d=1).sample(200, seed=0)
    est = estimator(seed=0, max_steps=20, val_fraction=0.3,
                    advanced={"eval_every": 10, "min_steps": 0})
    est = est.fit(x) if estimator is minee.NEE else est.fit(x, y)
    assert est.engine_.config.selection == weights


def test_conditional_mi_selects_on_its_divergence_part() -> None:
    rng = np.random.default_rng(0)
    x, y, z = (rng.standard_normal((200, 1)) for _ in range(3))
    est = minee.CMINEE(seed=0, max_steps=20, advanced={"eval_every": 10, "min_steps": 0}).fit(x, y,
                                                                                              z)
    names, weights = est.run_.heads.names, est.engine_.config.selection
    # I(X;Y|Z) = D_XYZ + D_Z - D_XZ - D_YZ
    assert dict(zip(names, weights, strict=True)) == {"xyz": 1.0, "z": 1.0, "xz": -1.0,
                                                      "yz": -1.0}


def _engine(rows: int = 110, batch: int = 25, ref_factor: float = 1.0,
            reference: UniformBox | None = None, heldout: bool = False) -> Engine:
    data = torch.randn(2, rows, 3, generator=torch.Generator().manual_seed(0))
    config = EngineConfig(lr=1e-2, batch_size=batch, ref_factor=ref_factor, max_steps=40,
                          eval_every=5, patience=3)
    held = torch.randn(2, 30, 3, generator=torch.Generator().manual_seed(1)) if heldout \
        else None
    return Engine(_critic(), reference or UniformBox(data), DV(), data, held, config,
                  torch.Generator().manual_seed(0))


def test_an_epoch_reads_every_row_once_in_a_new_order() -> None:
    eng = _engine(rows=110, batch=25)  # 4 batches an epoch; 10 rows wait for the next
    key = eng.feed.train[..., 0]  # (K, n): prepared rows are distinct per column
    batches = [eng.feed.batch()[..., 0] for _ in range(8)]  # (K, H, 25) each
    for epoch in (batches[:4], batches[4:]):
        seen = torch.cat(epoch, dim=2)  # (K, H, 100)
        for k in range(2):
            for h in range(3):
                assert seen[k, h].unique().numel() == 100  # no row twice in an epoch
                assert bool(torch.isin(seen[k, h], key[k]).all())
    assert not torch.equal(batches[0], batches[4])  # each epoch its own order


def test_reference_rows_come_fresh_from_pools_drawn_for_many_steps(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = torch.randn(2, 110, 3, generator=torch.Generator().manual_seed(0))
    reference = _Recording(data)
    monkeypatch.setattr(feed_module, "POOL_ELEMENTS", 2 * 25 * 3 * 4)  # 4 steps a pool
    eng = _engine(reference=reference)
    rows = [eng.feed.reference_rows() for _ in range(10)]  # (K, 1, 25, D) each
    assert [d.shape[2] for d in reference.drawn] == [100] * 3  # steps 0-3, 4-7, 8-11
    expected = [critic_rows[:, :, i * 25: (i + 1) * 25] for critic_rows in
                (eng.critic.prepare(d) for d in reference.drawn) for i in range(4)]
    for got, want in zip(rows, expected, strict=False):
        torch.testing.assert_close(got, want)  # each pool row read once, in order


@pytest.mark.parametrize("steps", [3, 9])
def test_a_saved_state_resumes_bit_for_bit_inside_an_epoch_and_a_pool(
        monkeypatch: pytest.MonkeyPatch, steps: int) -> None:
    monkeypatch.setattr(feed_module, "POOL_ELEMENTS", 2 * 25 * 3 * 4)
    first = _engine(heldout=True)
    first.run(until=steps)  # mid-epoch (4 batches) and mid-pool (4 steps)
    state = copy.deepcopy(first.state_dict())
    first.run(until=steps + 12)
    second = _engine(heldout=True)
    second.load_state_dict(state)
    second.run(until=steps + 12)
    for a, b in zip(first.critic.parameters(), second.critic.parameters(), strict=True):
        assert torch.equal(a, b)
    assert torch.equal(first.history()["heldout"], second.history()["heldout"])


def test_a_saved_feed_holds_a_copy_of_the_unread_reference_rows(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feed_module, "POOL_ELEMENTS", 2 * 25 * 3 * 4)  # 4 steps a pool
    eng = _engine()
    assert eng.feed.state_dict()["pool"] is None  # nothing drawn yet
    eng.feed.reference_rows()
    saved = eng.feed.state_dict()
    unread = saved["pool"].clone()
    assert unread.shape[2] == 3 * 25  # three steps' rows left
    for _ in range(6):  # reads them, then draws new pools
        eng.feed.reference_rows()
    assert torch.equal(saved["pool"], unread)  # a copy, not the live pool
    for _ in range(5):
        eng.feed.reference_rows()  # 12 steps: the third pool read to its end
    assert eng.feed.state_dict()["pool"] is None


def test_the_adam_steps_are_torchs_bit_for_bit_and_states_interchange() -> None:
    from minee.training.adam import Adam

    torch.manual_seed(0)
    ours, theirs = torch.nn.Linear(5, 3), torch.nn.Linear(5, 3)
    theirs.load_state_dict(ours.state_dict())
    mine_opt = Adam(ours.parameters(), lr=3e-3, fused=True)
    torch_opt = torch.optim.Adam(theirs.parameters(), lr=3e-3, fused=True)
    x = torch.randn(64, 5)
    for _ in range(15):
        for module, opt in ((ours, mine_opt), (theirs, torch_opt)):
            opt.zero_grad(set_to_none=True)
            module(x).pow(2).sum().backward()
            opt.step()
    pairs = zip(ours.parameters(), theirs.parameters(), strict=True)
    assert all(torch.equal(p, q) for p, q in pairs)
    torch_opt.load_state_dict(mine_opt.state_dict())  # either loads the other's state
    mine_opt.load_state_dict(torch_opt.state_dict())
    assert torch.equal(mine_opt.state[0]["exp_avg"], torch_opt.state_dict()["state"][0]["exp_avg"])


def test_a_fit_does_not_import_the_compiler() -> None:
    # torch.optim's optimiser class imports torch._dynamo (~1 CPU-s) on first use
    code = ("import sys, numpy as np, minee; x = np.random.default_rng(0).normal(size=(300, 1));"
            "minee.mutual_information(x, x + np.random.default_rng(1).normal(size=(300, 1)),"
            " seed=0, max_steps=20); print('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
