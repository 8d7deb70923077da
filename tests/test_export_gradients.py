"""Take it home on the gradient pages: the standalone script reproduces every run's losses."""

import math
import re
import subprocess
import sys

import numpy as np
import pytest

from seqviz.gradients.clipping import ClipConfig
from seqviz.gradients.live import ClipRun, FlowRun
from seqviz.gradients.tasks import GFConfig


def run_script(text: str, tmp_path, steps: int) -> dict[str, list[float]]:
    """Run an exported script in a clean interpreter; run name -> its losses, step by step."""
    assert not re.search(r"^\s*(import|from)\s+seqviz", text, re.M)  # plain PyTorch
    path = tmp_path / "exported.py"
    path.write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-I", str(path), "--steps", str(steps)],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path,
                         env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    losses: dict[str, list[float]] = {}
    for step, name, loss in re.findall(r"^step (\d+) (\S+) loss (\S+)", out.stdout, re.M):
        losses.setdefault(name, []).append(float(loss))
        assert len(losses[name]) == int(step)
    return losses


def page_losses(trainer) -> list[float]:
    return [h.loss for h in trainer.history]


@pytest.mark.parametrize("kw", [
    dict(task="recall", seq_len=10, hidden_size=16, seed=3),
    dict(task="adding", seq_len=20, hidden_size=8, activation="relu", radius=1.2,
         optimizer="sgd", lr=0.3, seed=1),
])
def test_flow_script_reproduces_the_three_runs(tmp_path, kw):
    run = FlowRun(GFConfig(**kw))
    run.step(4)
    run.view()  # a gradient capture between steps changes nothing
    run.step(4)
    losses = run_script(run.export_script(), tmp_path, 8)
    assert set(losses) == {"rnn", "gru", "lstm"}
    for cell, trainer in run.lab.runs.trainers.items():
        np.testing.assert_allclose(losses[cell], page_losses(trainer), rtol=1e-5, atol=1e-7,
                                   err_msg=cell)


def test_clipping_script_reproduces_both_runs_through_divergences(tmp_path):
    run = ClipRun(ClipConfig(seq_len=20, hidden_size=16, radius=2.0, lr=3.0, seed=0))
    run.step(12)
    unclipped = run.comp.trainers["without clipping"]
    assert unclipped.divergences, "the settings are meant to make the unclipped run diverge"
    losses = run_script(run.export_script(), tmp_path, 12)
    for name, trainer in run.comp.trainers.items():
        page = page_losses(trainer)
        script = losses[name.replace(" ", "_")]
        np.testing.assert_allclose(script, page, rtol=1e-5, atol=1e-7, equal_nan=True,
                                   err_msg=name)


def test_clipping_by_value_with_the_live_settings(tmp_path):
    run = ClipRun(ClipConfig(task="recall", cell="lstm", seq_len=10, hidden_size=8,
                             optimizer="adam", seed=4))
    run.apply_live(ClipConfig(task="recall", cell="lstm", seq_len=10, hidden_size=8,
                              optimizer="adam", seed=4, clip="value", clip_threshold=0.01,
                              lr=0.01))
    run.step(6)
    assert all(h.clipped for h in run.comp.trainers["with clipping"].history)
    script = run.export_script(6)
    assert "'with_clipping': ('lstm', 0.01, 'value', 0.01)" in script
    losses = run_script(script, tmp_path, 6)
    for name, trainer in run.comp.trainers.items():
        np.testing.assert_allclose(losses[name.replace(" ", "_")], page_losses(trainer),
                                   rtol=1e-5, atol=1e-7)
    assert not math.isnan(losses["with_clipping"][-1])
