import math
import threading

import pytest
import torch

from seqviz.data import build_text_data
from seqviz.lm.config import LMConfig
from seqviz.lm.experiment import LMExperiment
from seqviz.train import Trainer, clip_gradients


def _params_with_grads(seed=0, scale=10.0):
    g = torch.Generator().manual_seed(seed)
    ps = [torch.nn.Parameter(torch.randn(5, 4, generator=g)) for _ in range(3)]
    for p in ps:
        p.grad = torch.randn(p.shape, generator=g) * scale
    return ps


@pytest.mark.parametrize("threshold", [0.1, 1.0, 5.0, 1e6])
def test_clip_by_norm_equals_torch(threshold):
    ours, ref = _params_with_grads(), _params_with_grads()
    before, after, clipped = clip_gradients(ours, "norm", threshold)
    ref_norm = torch.nn.utils.clip_grad_norm_(ref, threshold)
    assert before == pytest.approx(float(ref_norm), rel=1e-6)
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a.grad, b.grad)
    assert clipped == (before > threshold)
    assert after == pytest.approx(min(before, threshold), rel=1e-5)


@pytest.mark.parametrize("threshold", [0.5, 3.0, 1e6])
def test_clip_by_value_equals_torch(threshold):
    ours, ref = _params_with_grads(), _params_with_grads()
    before, after, clipped = clip_gradients(ours, "value", threshold)
    torch.nn.utils.clip_grad_value_(ref, threshold)
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a.grad, b.grad)
    assert clipped == (threshold < 1e6)
    assert after == pytest.approx(float(torch.nn.utils.get_total_norm([p.grad for p in ref])),
                                  rel=1e-6)
    assert (after < before) == clipped


def test_clip_none_leaves_gradients():
    ours, ref = _params_with_grads(), _params_with_grads()
    before, after, clipped = clip_gradients(ours, "none", 0.1)
    assert not clipped and before == after
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a.grad, b.grad)


def _experiment(text, **kw):
    cfg = LMConfig(hidden_size=32, embed_size=16, seq_len=16, batch_size=8, **kw)
    return LMExperiment.build(cfg, build_text_data(text, "char"), eval_every=5)


def test_step_5_5_equals_step_10(tiny_text):
    a, b = _experiment(tiny_text, cell="gru"), _experiment(tiny_text, cell="gru")
    la = [s.loss for s in a.trainer.step(5) + a.trainer.step(5)]
    lb = [s.loss for s in b.trainer.step(10)]
    assert la == lb
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)


def test_same_seed_same_numbers_other_seed_differs(tiny_text):
    a, b = _experiment(tiny_text, seed=1), _experiment(tiny_text, seed=1)
    c = _experiment(tiny_text, seed=2)
    assert [s.loss for s in a.trainer.step(3)] == [s.loss for s in b.trainer.step(3)]
    assert [s.loss for s in a.trainer.step(1)] != [s.loss for s in c.trainer.step(4)][-1:]


def test_lm_overfits_short_text():
    text = "hello world, hello seqviz. " * 20
    exp = _experiment(text, cell="lstm", lr=0.01)
    stats = exp.trainer.step(300)
    assert stats[0].loss > 2.0
    assert min(s.loss for s in stats[-20:]) < 0.3
    sample, _ = exp.sample("hello w", 5, temperature=0.0)
    assert sample == "orld,"


def test_live_lr_and_clip_change_keep_step_counter(tiny_text):
    exp = _experiment(tiny_text)
    exp.trainer.step(3)
    exp.apply_live(LMConfig(lr=0.05, clip="value", clip_threshold=0.01))
    stats = exp.trainer.step(1)[0]
    assert exp.trainer.steps == 4 and stats.step == 4
    assert stats.lr == 0.05 and exp.trainer.optimizer.param_groups[0]["lr"] == 0.05
    assert stats.clipped and exp.trainer.clip == "value"


def test_validation_every_k_steps(tiny_text):
    exp = _experiment(tiny_text)
    exp.trainer.step(10)
    assert [s for s, _ in exp.trainer.evals] == [5, 10]
    assert all(v > 1 for _, v in exp.trainer.evals)


def test_lm_validates_early_then_every_25_then_every_50_steps(tiny_text):
    """The validation curve moves in the first seconds of Play: steps 5 and 10, then every 25
    up to step 200, then every 50 (where the curve has slowed down and the training steps
    matter more than the curve's resolution)."""
    data = build_text_data(tiny_text, "char")
    exp = LMExperiment.build(LMConfig(hidden_size=8, embed_size=4, seq_len=8, batch_size=2),
                             data)
    exp.trainer.step(320)
    assert [s for s, _v in exp.trainer.evals] == [5, 10, *range(25, 201, 25), 250, 300]


def test_evaluation_schedule_is_by_step():
    trainer = Trainer(torch.nn.Linear(1, 1), iter(()), lambda m, b: m.weight.sum(),
                      evaluate=lambda m: 0.0, eval_every=10, eval_early=(3,),
                      eval_later=(40, 25))
    due = [s for s in range(1, 120) if trainer.evaluation_due(s)]
    assert due == [3, 10, 20, 30, 40, 50, 75, 100]
    assert not Trainer(torch.nn.Linear(1, 1), iter(()), lambda m, b: m.weight.sum(),
                       eval_every=10).evaluation_due(7)


def test_nan_loss_rolls_back_to_the_last_good_step():
    """The 8th attempt's loss is NaN: the weights of update 7 produced it, so update 7 goes too;
    the run is exactly as after step 6 (weights, Adam's moments, history), the diverged attempt
    is not counted, and training goes on from there."""
    trainer = _linear_trainer(nan_at={8}, optimizer="adam", lr=0.1)
    model = trainer.model
    trainer.step(6)
    good = {k: v.clone() for k, v in model.state_dict().items()}
    moments = {k: v.clone() for k, v in trainer.optimizer.state[model.weight].items()}
    trainer.step(1)
    bad = trainer.step(1)[0]
    assert bad.diverged and math.isnan(bad.loss)
    assert trainer.divergences[-1].step == 8 and trainer.divergences[-1].restored_to == 6
    assert trainer.steps == 6 and [h.step for h in trainer.history] == [1, 2, 3, 4, 5, 6]
    for k, v in model.state_dict().items():
        assert torch.equal(v, good[k])
    for k, v in trainer.optimizer.state[model.weight].items():
        assert torch.equal(v, moments[k])
    after = trainer.step(1)[0]
    assert not after.diverged and math.isfinite(after.loss) and after.step == 7


def test_a_rolled_back_run_equals_one_that_never_diverged(tiny_text):
    """Roll back, then train on: the same numbers as a run that stopped at that step (batches
    rewound too), so 'nothing is lost' is exact."""
    a = _experiment(tiny_text, cell="gru")
    b = _experiment(tiny_text, cell="gru")
    a.trainer.step(7)
    b.trainer.step(6)
    real = a.trainer.loss_fn
    a.trainer.loss_fn = lambda m, batch: real(m, batch) * math.inf  # the next attempt blows up
    assert a.trainer.step(1)[0].diverged and a.trainer.steps == 6
    a.trainer.loss_fn = real
    sa, sb = a.trainer.step(3), b.trainer.step(3)
    assert [s.loss for s in sa] == [s.loss for s in sb]


def test_nan_gradients_skip_only_that_update():
    model = torch.nn.Linear(3, 1)
    x = torch.randn(16, 3, generator=torch.Generator().manual_seed(0))
    calls = {"n": 0}

    class Batches:
        def next(self):
            return x

    class InfGrad(torch.autograd.Function):  # identity forward, infinite gradient
        @staticmethod
        def forward(ctx, t):
            return t.clone()

        @staticmethod
        def backward(ctx, g):
            return g * math.inf

    def loss_fn(m, batch):
        calls["n"] += 1
        out = m(batch).pow(2).mean()
        return InfGrad.apply(out) if calls["n"] == 4 else out  # a finite loss, inf gradient

    trainer = Trainer(model, Batches(), loss_fn, optimizer="sgd", lr=0.1)
    trainer.step(3)
    good = {k: v.clone() for k, v in model.state_dict().items()}
    bad = trainer.step(1)[0]
    assert bad.diverged and trainer.steps == 3 and trainer.divergences[-1].restored_to == 3
    for k, v in model.state_dict().items():
        assert torch.equal(v, good[k])


def test_exploding_lr_never_leaves_nan_weights(tiny_text):
    exp = _experiment(tiny_text, cell="rnn", optimizer="sgd", lr=1e3, clip="none")
    stats = exp.trainer.step(30)
    assert any(s.diverged for s in stats)
    assert all(torch.isfinite(p).all() for p in exp.model.parameters())
    limit = exp.trainer.max_loss
    assert all(s.loss <= limit for s in stats if not s.diverged)


def test_overlapping_threads_are_serialised(tiny_text):
    exp = _experiment(tiny_text)
    errors = []

    def work():
        try:
            for _ in range(5):
                exp.trainer.step(2)
        except Exception as err:  # pragma: no cover - the assertion reports it
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and exp.trainer.steps == 30
    assert [s.step for s in exp.trainer.history] == list(range(1, 31))


def test_try_step_skips_when_busy(tiny_text):
    exp = _experiment(tiny_text)
    with exp.trainer.lock:
        assert exp.trainer.try_step(1) is None
        assert exp.trainer.train_for(0.01) is None
    assert len(exp.trainer.try_step(1)) == 1


def test_bad_live_settings_rejected(tiny_text):
    exp = _experiment(tiny_text)
    with pytest.raises(ValueError):
        exp.trainer.set_lr(float("nan"))
    with pytest.raises(ValueError):
        exp.trainer.set_clip("sideways", 1.0)


def _linear_trainer(history=2000, nan_at=(), optimizer="sgd", lr=0.01):
    model = torch.nn.Linear(3, 1)
    calls = {"n": 0}
    x = torch.randn(16, 3, generator=torch.Generator().manual_seed(0))

    class Batches:
        def next(self):
            return x

    def loss_fn(m, batch):
        calls["n"] += 1
        out = m(batch).pow(2).mean()
        return out * math.nan if calls["n"] in nan_at else out

    return Trainer(model, Batches(), loss_fn, optimizer=optimizer, lr=lr, history=history)


def test_a_trainers_history_keeps_the_whole_run_from_step_1_in_at_most_maxlen_entries():
    """A page that trains 300 steps a second used to chart only its last 2,000 steps on an
    axis from 0; the history now thins the run evenly instead of dropping its start, and the
    newest step is always there. (Keeping the newest 1,000 at every step made the per-step
    curves twice as dense at their right end, which read as "training got noisier".)"""
    trainer = _linear_trainer(history=100)
    for n in (1000, 13, 1, 7):  # the newest step is kept whenever the run stops
        trainer.step(n)
        steps = [h.step for h in trainer.history]
        assert len(trainer.history) <= 100 and steps[0] == 1 and steps[-1] == trainer.steps
        assert steps == sorted(steps) and len(set(steps)) == len(steps)
        stride = trainer.history.stride
        on = [s for s in steps if (s - 1) % stride == 0]
        assert on == list(range(1, on[-1] + 1, stride))  # every stride-th step, none missing
        assert steps[len(on):] == list(range(on[-1] + 1, trainer.steps + 1))  # then the tail
        assert len(steps) - len(on) < stride
    assert trainer.history.stride >= 16 and len(trainer.history) > 50  # not thinned too far
    assert trainer.history[-1].step == 1021 and trainer.history[0].step == 1
    assert [h.step for h in reversed(trainer.history)] == steps[::-1]
    assert trainer.last_loss == trainer.history[-1].loss


def test_a_rollback_after_a_long_run_takes_only_the_undone_step_off_the_history():
    trainer = _linear_trainer(history=100, nan_at={501})
    trainer.step(500)
    bad = trainer.step(1)[0]
    assert bad.diverged and trainer.steps == 499
    steps = [h.step for h in trainer.history]
    assert steps[0] == 1 and steps[-1] == 499 and 500 not in steps
    trainer.step(1)
    assert trainer.history[-1].step == 500


def test_a_copied_trainer_has_the_same_thinned_history_and_thins_on_alike(tiny_text):
    a = _experiment(tiny_text, cell="gru")
    a.trainer.history = type(a.trainer.history)(40)
    a.trainer.step(150)
    b = _experiment(tiny_text, cell="gru")
    b.trainer.history = type(b.trainer.history)(40)
    b.trainer.load_state_dict(a.trainer.state_dict())
    assert list(b.trainer.history) == list(a.trainer.history)
    for n in (1, 1, 90):  # the same stride too: the next steps thin the same
        a.trainer.step(n)
        b.trainer.step(n)
        assert [h.step for h in b.trainer.history] == [h.step for h in a.trainer.history]
        assert [h.loss for h in b.trainer.history] == [h.loss for h in a.trainer.history]
