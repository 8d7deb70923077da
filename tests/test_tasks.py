"""Memory tasks, the model on top of seqviz's layers, lockstep runs and the gradient lab."""

import dataclasses

import numpy as np
import pytest
import torch

from seqviz.config import from_query, rebuild_changes, to_query
from seqviz.gradients.tasks import (CARRY_BIAS, AddingTask, GFConfig, GradientLab, LockstepRuns,
                                    RecallTask, accuracy, build_net, build_task, eval_batch,
                                    make_trainer)


def test_recall_batches_are_seeded_and_well_formed():
    a, b = RecallTask(12, 6, seed=3), RecallTask(12, 6, seed=3)
    for _ in range(3):
        (xa, ya), (xb, yb) = a.next(), b.next()
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    x, y = RecallTask(12, 6, seed=4).next()
    assert not torch.equal(x, xa)
    assert x.shape == (6, 12, 6) and y.shape == (6,)
    K = 4
    assert torch.equal(x[:, 0, :K].argmax(-1), y)  # the answer is the first symbol
    assert (x[:, 0, K] == 1).all() and (x[:, 1:, K] == 0).all()  # start marker only at t = 0
    assert (x[:, -1, K + 1] == 1).all() and (x[:, -1, :K] == 0).all()  # the cue at the end
    assert (x.sum(-1)[:, 1:] == 1).all()
    with pytest.raises(ValueError, match="seq_len"):
        RecallTask(1)


def test_adding_target_is_the_sum_of_the_two_marked_values():
    task = AddingTask(20, 16, seed=0)
    x, y = task.next()
    assert x.shape == (16, 20, 2)
    marks = x[..., 1]
    assert (marks.sum(1) == 2).all()
    assert (marks[:, :10].sum(1) == 1).all() and (marks[:, 10:].sum(1) == 1).all()
    torch.testing.assert_close(y, (x[..., 0] * marks).sum(1))
    perfect = y.unsqueeze(-1)
    assert task.correct(perfect, y).all() and not task.correct(perfect + 0.05, y).any()


def test_net_shapes_accuracy_and_carry_bias():
    task = build_task("recall", 8, 5, 0)
    net = build_net("lstm", task, 6, "tanh", 1.0, seed=2)
    x, y = task.next()
    assert net(x).shape == (5, 4)
    again = build_net("lstm", task, 6, "tanh", 1.0, seed=2)
    for p, q in zip(net.parameters(), again.parameters()):
        assert torch.equal(p, q)
    plain = build_net("lstm", task, 6, "tanh", 1.0, seed=2, carry_bias=0.0)
    diff = (net.rnn.bias_ih_l0 - plain.rnn.bias_ih_l0).detach()
    torch.testing.assert_close(diff[6:12], torch.full((6,), CARRY_BIAS))  # forget gate only
    assert diff[:6].abs().max() == 0 and diff[12:].abs().max() == 0

    class Oracle(torch.nn.Module):  # answers from the input: accuracy must be 1
        def forward(self, x):
            return x[:, 0, :4] * 10

    assert accuracy(Oracle(), task, (x, y)) == 1.0


def test_trainer_is_deterministic_in_chunks():
    def run(chunks):
        task = build_task("adding", 10, 8, seed=1)
        net = build_net("gru", task, 8, "tanh", 0.9, seed=1)
        trainer = make_trainer(net, task, eval_batch(task, 1, 16))
        return [s.loss for n in chunks for s in trainer.step(n)]

    assert run([5, 5]) == run([10])


def test_lockstep_runs_see_the_same_batches():
    tasks = {c: build_task("recall", 6, 4, seed=9) for c in ("rnn", "gru")}
    trainers = {c: make_trainer(build_net(c, t, 4, "tanh", 1.0, 9), t, eval_batch(t, 9, 8))
                for c, t in tasks.items()}
    runs = LockstepRuns(trainers)
    runs.step(3)
    assert runs.steps == 3 and all(t.steps == 3 for t in trainers.values())
    xa, xb = tasks["rnn"].next()[0], tasks["gru"].next()[0]
    assert torch.equal(xa, xb)  # both generators are at the same place
    assert runs.train_for(0.0) == 1


def test_gf_config_round_trips_and_cell_is_live():
    cfg = GFConfig(cell="lstm", radius=1.5, seq_len=200, seed=7)
    back, notices = from_query(GFConfig, to_query(cfg))
    assert back == cfg and not notices
    assert rebuild_changes(cfg, dataclasses.replace(cfg, cell="gru", lr=0.1, scale="log")) == []
    assert rebuild_changes(cfg, dataclasses.replace(cfg, radius=0.5)) == ["radius"]
    bad, notices = from_query(GFConfig, {"radius": "7", "seq_len": "x"})
    assert bad == GFConfig() and len(notices) == 2


def test_gradient_lab_refresh_draws_every_cell_and_caches():
    lab = GradientLab(GFConfig(seq_len=8, hidden_size=8))
    assert all(len(t.evals) == 1 for t in lab.runs.trainers.values())  # step-0 accuracy
    first = lab.refresh()
    assert first is lab.refresh()  # nothing changed: cached
    assert set(first.norms) == {"rnn", "gru", "lstm"}
    assert all(n.shape == (8,) for n in first.norms.values())
    lab.runs.step(2)
    second = lab.refresh()
    assert second is not first and second.steps == 2
    lab.apply_live(dataclasses.replace(lab.cfg, cell="lstm", lr=0.05))
    third = lab.refresh()
    assert third.detail.cell == "lstm" and third.detail.why.carry is not None
    assert all(t.lr == 0.05 for t in lab.runs.trainers.values())
    assert [s for s, _ in lab.radii["lstm"]] == [0, 2]
    np.testing.assert_allclose(list(lab.radii["lstm"][0][1].values()), 1.0, rtol=1e-5)
