"""Take it home on the embeddings page: the standalone word2vec script draws the page's own
batches (subsampling, windows, noise words) and reproduces its loss at every step."""

import re

import numpy as np
import pytest

from seqviz.embeddings.experiment import EmbConfig, W2VExperiment, corpus_text
from seqviz.embeddings.live import W2VRun
from tests.scripts import exported_output

TEXT = corpus_text("grammar")[:12_000]


def run_script(text: str, tmp_path, steps: int) -> tuple[dict[int, float], str]:
    """Run an exported script in a clean interpreter: step -> its (last) loss, and stdout."""
    stdout = exported_output(text, tmp_path, steps)
    return ({int(s): float(x) for s, x in re.findall(r"^step (\d+) loss (\S+)", stdout, re.M)},
            stdout)


def page_losses(exp: W2VExperiment) -> dict[int, float]:
    return {h.step: h.loss for h in exp.trainer.history if not h.diverged}


def check(exp: W2VExperiment, script: str, tmp_path, steps: int) -> str:
    losses, stdout = run_script(script, tmp_path, steps)
    page = page_losses(exp)
    assert sorted(losses) == sorted(page) == list(range(1, steps + 1))
    np.testing.assert_allclose([losses[s] for s in sorted(page)], [page[s] for s in sorted(page)],
                               rtol=1e-5, atol=1e-6)
    return stdout


@pytest.mark.parametrize("kw", [
    dict(),  # the page's defaults: skip-gram, negative sampling, SGD
    dict(algorithm="cbow", objective="hierarchical", window=2, subsample=0.0),
    dict(objective="sampled", optimizer="adam", lr=0.01, negatives=3, embed_size=8),
    dict(algorithm="cbow", objective="full", min_count=1, subsample=0.01),
])
def test_script_reproduces_the_page_losses(tmp_path, kw):
    cfg = EmbConfig(**{"batch_size": 256, "seed": 7, **kw})
    run = W2VRun(W2VExperiment.build(cfg, TEXT))
    run.step(6)
    run.view()  # the map, neighbours and analogies read the vectors and change nothing
    run.step(6)
    check(run.exp, run.export_script(), tmp_path, 12)


def test_passes_over_a_tiny_corpus_and_the_falling_learning_rate(tmp_path):
    """Several passes: each subsamples and shuffles afresh; the rate falls with progress."""
    exp = W2VExperiment.build(EmbConfig(batch_size=64, epochs=2, seed=3), TEXT[:1500])
    exp.step(40)
    assert exp.batches.epoch >= 3
    lrs = [h.lr for h in exp.trainer.history]
    assert lrs[-1] < lrs[0]
    from seqviz.embeddings.script import embeddings_script
    check(exp, embeddings_script(exp), tmp_path, 40)


def test_diverged_steps_are_rolled_back_as_on_the_page(tmp_path):
    from seqviz.embeddings.script import embeddings_script

    exp = W2VExperiment.build(EmbConfig(batch_size=128, lr=5.0, seed=1), TEXT)
    for _ in range(200):  # attempts until the step counter first reaches 12
        if exp.trainer.steps == 12:
            break
        exp.step(1)
    assert exp.trainer.steps == 12
    assert len(exp.trainer.divergences) > 3, "these settings are meant to diverge"
    stdout = check(exp, embeddings_script(exp), tmp_path, 12)
    assert stdout.count("diverged") == len(exp.trainer.divergences)


# ---- checkpoints ------------------------------------------------------------------------------
import torch  # noqa: E402

from seqviz.checkpoint import CheckpointError  # noqa: E402
from seqviz.embeddings import reopen  # noqa: E402
from seqviz.i18n import use_language  # noqa: E402


@pytest.mark.parametrize("kw", [dict(), dict(algorithm="cbow", objective="hierarchical",
                                             optimizer="adam", lr=0.01)])
def test_checkpoint_reopens_the_run_where_it_stopped(kw):
    cfg = EmbConfig(batch_size=128, epochs=1, seed=2, **kw)
    run = W2VRun(W2VExperiment.build(cfg, TEXT))
    run.step(25)
    raw = reopen.save_run(run.checkpoint_state(), cfg)
    reopened = reopen.read_run(raw)
    assert reopened.step == 25 and reopened.cfg == cfg
    other = W2VRun(W2VExperiment.build(reopened.cfg, TEXT))
    other.step(3)  # elsewhere: the checkpoint replaces all of it
    assert other.restore(reopened.state, reopened.step) == 25
    for k, v in run.exp.model.state_dict().items():
        torch.testing.assert_close(other.exp.model.state_dict()[k], v, rtol=0, atol=0)
    view = other.view()
    np.testing.assert_array_equal(view.loss, run.view().loss)  # the curve comes back
    assert list(view.eval_steps) == [25]  # the analogy curve starts again
    run.step(30)
    other.step(30)  # same optimiser moments and stream: the next passes alike
    assert [h.loss for h in other.exp.trainer.history] == [h.loss for h in run.exp.trainer.history]


def test_a_checkpoint_of_another_corpus_does_not_fit():
    cfg = EmbConfig(batch_size=128)
    exp = W2VExperiment.build(cfg, TEXT)
    reopened = reopen.read_run(reopen.save_run(reopen.run_state(exp), cfg))

    class Live:
        corpus = W2VExperiment.build(cfg, corpus_text("prose")[:12_000]).corpus

    with pytest.raises(CheckpointError, match="vocabulary differs"):
        reopen.fits(Live, reopened)
    Live.corpus = exp.corpus
    reopen.fits(Live, reopened)


def test_bad_embedding_checkpoints_get_clear_translated_messages():
    cfg = EmbConfig(batch_size=128)
    exp = W2VExperiment.build(cfg, TEXT)
    state = reopen.run_state(exp)
    huge = {**state, "spec": {**state["spec"], "embed_size": 5000}}
    small = {**state, "spec": {**state["spec"], "embed_size": 16}}
    for raw, en, zh in [(reopen.save_run(huge, cfg), "out of bounds", "超出"),
                        (reopen.save_run(small, cfg), "do not fit", "不"),
                        (b"PK\x03\x04 not a checkpoint" * 10, "not a seqviz checkpoint", "不是")]:
        with pytest.raises(CheckpointError, match=en):
            reopen.read_run(raw)
        with use_language("zh"), pytest.raises(CheckpointError) as err:
            reopen.read_run(raw)
        assert zh in str(err.value)


def test_a_hand_edited_stream_state_is_refused_and_training_goes_on():
    cfg = EmbConfig(batch_size=128)
    run = W2VRun(W2VExperiment.build(cfg, TEXT))
    run.step(3)
    state = run.checkpoint_state()
    state["sampler"]["_order"] = torch.tensor([10**9])
    state["optimizer"] = {"state": "junk"}
    reopened = reopen.read_run(reopen.save_run(state, cfg))
    other = W2VRun(W2VExperiment.build(cfg, TEXT))
    assert not reopen.load_sampler_state(other.exp.batches, reopened.state["sampler"])
    assert other.restore(reopened.state, reopened.step) == 3
    other.step(2)
    assert other.steps == 5


def test_a_stream_state_saved_before_pairs_kept_their_progress_still_reopens():
    """Checkpoints saved before the pairs made ahead carried their progress (two buffers):
    they reopen, the pairs then count as the stream's progress when saved; a progress that is
    not a number is refused."""
    cfg = EmbConfig(batch_size=128)
    run = W2VRun(W2VExperiment.build(cfg, TEXT))
    run.step(3)
    state = run.checkpoint_state()["sampler"]
    old = {**state, "buf": state["buf"][:2]}
    b = W2VExperiment.build(cfg, TEXT).batches
    assert reopen.load_sampler_state(b, old)
    saved_as = state["epoch"] - 1 + state["_cursor"] / len(state["_order"])
    assert b.progress == pytest.approx(saved_as)
    bad = {**state, "buf": [*state["buf"][:2], torch.full_like(state["buf"][2], float("nan"))]}
    assert not reopen.load_sampler_state(W2VExperiment.build(cfg, TEXT).batches, bad)
    assert reopen.load_sampler_state(b, state) and b.progress < saved_as
