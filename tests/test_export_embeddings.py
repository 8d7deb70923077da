"""Take it home on the embeddings page: the standalone word2vec script draws the page's own
batches (subsampling, windows, noise words) and reproduces its loss at every step."""

import re
import subprocess
import sys

import numpy as np
import pytest

from seqviz.embeddings.experiment import EmbConfig, W2VExperiment, corpus_text
from seqviz.embeddings.live import W2VRun

TEXT = corpus_text("grammar")[:12_000]


def run_script(text: str, tmp_path, steps: int) -> tuple[dict[int, float], str]:
    """Run an exported script in a clean interpreter: step -> its (last) loss, and stdout."""
    assert not re.search(r"^\s*(import|from)\s+seqviz", text, re.M)  # plain PyTorch
    path = tmp_path / "exported.py"
    path.write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-I", str(path), "--steps", str(steps)],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path,
                         env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    return ({int(s): float(x) for s, x in re.findall(r"^step (\d+) loss (\S+)", out.stdout,
                                                      re.M)}, out.stdout)


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
