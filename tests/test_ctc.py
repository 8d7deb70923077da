"""The CTC lesson's core: loss against torch, the trellis against brute force, decoding against
enumeration, the speech task, the experiment (determinism, learning), the config's URL."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqviz.config import from_query, to_query
from seqviz.ctc.config import CTCConfig
from seqviz.ctc.ctc import best_alignments, collapse, count_alignments, ctc_loss, trellis
from seqviz.ctc.decode import (PathError, brute_force_labels, collapse_steps, edit_distance,
                               greedy, label_error_rate, parse_path, prefix_beam_search)
from seqviz.ctc.symbols import to_text
from seqviz.ctc.tasks import SpeechBatches, SpeechSpec
from seqviz.ctc.tasks import test_set as held_out_set


def _random_log_probs(T: int, C: int, seed: int, batch: int | None = None) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    shape = (T, C) if batch is None else (T, batch, C)
    return torch.randn(*shape, generator=g, dtype=torch.float64).mul(2).log_softmax(-1)


def test_collapse_rule():
    assert collapse([1, 1, 0, 1, 2, 2, 0, 0]) == (1, 1, 2)
    assert collapse([1, 1, 2]) == (1, 2)
    assert collapse([0, 0]) == ()
    steps = collapse_steps(parse_path("aa-a--bb", 3))
    assert (steps.path, steps.merged, steps.label) == ("aa-a--bb", "a-a-b", "aab")


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_loss_equals_torch_ctc_loss_values_and_gradients(reduction):
    T, B, C = 12, 4, 5
    logits = torch.randn(T, B, C, generator=torch.Generator().manual_seed(1),
                         dtype=torch.float64, requires_grad=True)
    targets = torch.tensor([[1, 2, 2, 3], [4, 4, 0, 0], [1, 0, 0, 0], [2, 3, 1, 4]])
    tlens = torch.tensor([4, 2, 1, 4])
    ilens = torch.tensor([12, 9, 5, 11])
    ours = ctc_loss(logits.log_softmax(-1), targets, ilens, tlens, reduction=reduction)
    ref = F.ctc_loss(logits.log_softmax(-1), targets, ilens, tlens, reduction=reduction)
    torch.testing.assert_close(ours, ref, rtol=1e-9, atol=1e-9)
    g1, = torch.autograd.grad(ours.sum(), logits)
    g2, = torch.autograd.grad(ref.sum(), logits)
    torch.testing.assert_close(g1, g2, rtol=1e-7, atol=1e-9)


def test_forward_variables_equal_brute_force_sum_over_alignments():
    """alpha_t(s) = sum over every path of frames 0..t that is a prefix of an alignment and
    sits in state s at t; p(l|x) = sum over all paths that collapse to l."""
    T, C, label = 5, 3, (1, 1, 2)  # "aab": the repeat needs a blank between
    lp = _random_log_probs(T, C, seed=3)
    tr = trellis(lp.numpy(), label)
    ext = tr.ext
    # brute force: enumerate state sequences that follow the trellis rules, sum their products
    skip = [s >= 2 and ext[s] != 0 and ext[s] != ext[s - 2] for s in range(len(ext))]
    alpha = np.zeros((T, len(ext)))
    for t in range(T):
        for states in itertools.product(range(len(ext)), repeat=t + 1):
            if states[0] not in (0, 1):
                continue
            if any(not (b == a or b == a + 1 or (b == a + 2 and skip[b]))
                   for a, b in zip(states, states[1:])):
                continue
            alpha[t, states[-1]] += math.exp(sum(lp[i, ext[s]].item()
                                                 for i, s in enumerate(states)))
    np.testing.assert_allclose(np.exp(tr.log_alpha), alpha, rtol=1e-10, atol=1e-300)
    # and p(l|x) is the sum over all C^T paths that collapse to the label
    total = sum(math.exp(sum(lp[t, k].item() for t, k in enumerate(path)))
                for path in itertools.product(range(C), repeat=T) if collapse(path) == label)
    assert math.isclose(math.exp(tr.log_p), total, rel_tol=1e-10)
    assert tr.alignments == sum(1 for p in itertools.product(range(C), repeat=T)
                                if collapse(p) == label)
    np.testing.assert_allclose(tr.gamma.sum(axis=1), 1.0, rtol=1e-9)


def test_empty_label_is_the_all_blank_path():
    lp = _random_log_probs(4, 3, seed=2).numpy()
    tr = trellis(lp, ())
    assert tr.alignments == 1 and math.isclose(tr.log_p, lp[:, 0].sum(), rel_tol=1e-12)


def test_count_alignments_and_too_few_frames():
    assert count_alignments(3, (1,)) == 6  # a--, -a-, --a, aa-, -aa, aaa
    tr = trellis(_random_log_probs(2, 3, seed=0).numpy(), (1, 1))  # "aa" needs 3 frames
    assert tr.log_p == -math.inf and tr.alignments == 0


def test_best_alignment_is_the_best_of_all_alignments():
    T, C, label = 6, 3, (1, 2)
    lp = _random_log_probs(T, C, seed=5).numpy()
    scored = sorted((sum(lp[t, k] for t, k in enumerate(p)), p)
                    for p in itertools.product(range(C), repeat=T) if collapse(p) == label)
    best = best_alignments(lp, label, k=3)
    assert [a.path for a in best] == [p for _s, p in scored[::-1][:3]]
    assert math.isclose(best[0].log_prob, scored[-1][0], rel_tol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_prefix_beam_search_with_a_wide_beam_equals_brute_force(seed):
    T, C = 5, 3
    lp = _random_log_probs(T, C, seed=seed).numpy()
    truth = brute_force_labels(lp)
    hyps = prefix_beam_search(lp, beam=10_000)
    assert {h.label for h in hyps} == set(truth)
    for h in hyps:
        assert math.isclose(h.log_prob, truth[h.label], rel_tol=1e-9)
    best = max(truth, key=truth.get)
    assert prefix_beam_search(lp, beam=4)[0].label == best or T > 4  # width 4 usually finds it
    assert hyps[0].label == best


@pytest.mark.parametrize("seed", range(6))
def test_a_narrow_beams_score_is_at_most_the_labels_probability(seed):
    """Pruning drops paths: the score a width-2 beam keeps for a label never exceeds p(label)
    summed over every path (the trellis, as the page's table shows beside it)."""
    lp = _random_log_probs(5, 3, seed=seed).numpy()
    truth = brute_force_labels(lp)
    for h in prefix_beam_search(lp, beam=2):
        assert h.log_prob <= truth[h.label] + 1e-12
        assert math.isclose(trellis(lp, h.label).log_p, truth[h.label], rel_tol=1e-9)
    if seed == 2:  # the gap can reorder labels: the beam ranks (1, 1, 2) over the likelier (1, 2)
        (a, b) = prefix_beam_search(lp, beam=2)[:2]
        assert (a.label, b.label) == ((1, 1, 2), (1, 2)) and truth[(1, 2)] > truth[(1, 1, 2)]


def test_beam_search_can_beat_best_path():
    """The best path's label is not the most likely label: two frames of 'a' at 0.4 each."""
    p = np.array([[0.4, 0.35, 0.25], [0.4, 0.35, 0.25]])  # blank, a, b
    lp = np.log(p)
    path, label = greedy(lp)
    assert label == ()  # "--"
    truth = brute_force_labels(lp)
    assert max(truth, key=truth.get) == (1,)  # "a": a-, -a, aa = 0.14 + 0.14 + 0.1225
    assert prefix_beam_search(lp, beam=3)[0].label == (1,)


def test_label_error_rate():
    assert edit_distance((1, 2, 3), (1, 3)) == 1
    assert label_error_rate([(1, 2, 3), ()], [(1, 3), (2, 2)]) == pytest.approx(3 / 4)


@pytest.mark.parametrize("text", ["", "  ", "abz", "a*b", "x" * 300])
def test_parse_path_refuses_bad_input_with_a_message(text):
    with pytest.raises(PathError) as err:
        parse_path(text, 3)
    assert str(err.value.msg)


def test_speech_task_shapes_and_determinism():
    spec = SpeechSpec(symbols=4, max_len=4, max_frames=5)
    a, b = SpeechBatches(spec, 8, seed=1).next(), SpeechBatches(spec, 8, seed=1).next()
    assert torch.equal(a.frames, b.frames) and torch.equal(a.targets, b.targets)
    assert a.frames.shape[0] == 8 and a.frames.shape[2] == 16
    for u in held_out_set(spec, 20):
        assert len(u.frames) == len(u.truth) and collapse(u.truth) == collapse(
            [k for k in u.truth])  # truth is the frame-level labelling
        assert to_text(u.label) and len(u.frames) >= 2 * len(u.label)


def test_config_round_trips_through_the_url():
    cfg = CTCConfig(symbols=7, noise=0.8, hidden_size=32, beam=8, example=3, seed=42)
    back, notices = from_query(CTCConfig, to_query(cfg))
    assert back == cfg and notices == []
    bad, notices = from_query(CTCConfig, {"beam": "999", "noise": "nan", "zzz": "1"})
    assert bad == CTCConfig() and len(notices) == 2


def test_experiment_is_deterministic_and_learns():
    from seqviz.ctc.experiment import CTCExperiment

    cfg = dataclasses.replace(CTCConfig(), hidden_size=32)
    a, b = CTCExperiment.build(cfg), CTCExperiment.build(cfg)
    a.step(5)
    a.step(5)
    b.step(10)
    assert [h.loss for h in a.trainer.history] == [h.loss for h in b.trainer.history]
    a.step(140)
    assert a.evals[0].greedy >= 0.8 and a.evals[-1].greedy < 0.5  # learns in 150 steps
    assert a.evals[-1].blank_share > 0.4  # peaky: most frames are blank
    p = a.probe()
    assert p.log_probs.shape == (len(p.frames), cfg.symbols + 1)
    assert len(p.best_paths[0][0]) == len(p.frames) and math.isfinite(p.log_p)
    for label, score, exact in p.beams:  # the beam's score beside the label's probability
        assert exact == trellis(p.log_probs, label).log_p and score <= exact + 1e-9


def test_trellis_figure_greys_exactly_the_cells_on_no_complete_alignment():
    from seqviz.ctc.figures import on_alignments, trellis_figure

    T, label = 6, (1, 1, 2)
    lp = _random_log_probs(T, 3, seed=4).numpy()
    tr = trellis(lp, label)
    np.testing.assert_array_equal(on_alignments(T, tr.ext), tr.reachable)
    fig = trellis_figure(tr.log_alpha, tr.ext, [(a.states, a.log_prob)
                                                for a in best_alignments(lp, label)])
    z = np.array(fig.data[0].z, dtype=float)  # (S', T)
    np.testing.assert_array_equal(np.isfinite(z), tr.reachable.T)
    assert np.nanmax(z, axis=0).tolist() == [0.0] * T  # each frame relative to its largest


def test_a_label_error_rate_above_100_percent_is_explained_on_its_chart():
    """An untrained model inserts symbols: its rate reads about 210 % at step 0, which puzzled
    a student (walk, 2026-12-06). A line at 100 % says why; a chart below it has none."""
    from seqviz.ctc.figures import ler_figure

    high = ler_figure([0, 50], [2.1, 0.8], [2.0, 0.7], 4).to_dict()["layout"]
    assert [s["y0"] for s in high["shapes"]] == [100]
    assert "inserted symbols" in high["annotations"][0]["text"]
    low = ler_figure([0, 50], [0.9, 0.4], [0.9, 0.3], 4).to_dict()["layout"]
    assert not low.get("shapes") and not low.get("annotations")


@pytest.mark.parametrize("n1,n2,evals", [(0, 3, 1), (3, 40, 2), (40, 600, 5), (600, 0, 0)])
def test_the_ctc_loss_figure_refreshed_with_its_held_out_points(n1, n2, evals):
    """The CTC page refreshes its training-loss curve (``refresh_loss``) and adds the held-out
    points to the dict (``held_out_loss_spec``): the same as adding them to a build, a figure
    plotly accepts, the points drawn, both axes starting before step 0."""
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    from seqviz.ctc.figures import MIN_STEPS, held_out_loss_spec
    from seqviz.figures.training import loss_figure, refresh_loss

    rng = np.random.default_rng(n1 + n2)

    def base(n, losses=None):
        return loss_figure(np.arange(1, n + 1), rng.uniform(0.5, 3, n) if losses is None
                           else losses, divergences=[2], title="CTC loss").to_dict()

    def sent(spec) -> dict:
        return json.loads(pio.to_json(go.Figure(spec)))  # validated: plotly takes it

    losses = rng.uniform(0.5, 3, n2)
    ev_steps, ev_losses = list(range(0, 25 * evals, 25)), list(rng.uniform(0.5, 3, evals))
    refreshed = sent(held_out_loss_spec(refresh_loss(base(n1), np.arange(1, n2 + 1), losses),
                                        ev_steps, ev_losses))
    assert refreshed == sent(held_out_loss_spec(base(n2, losses), ev_steps, ev_losses))
    points = refreshed["data"][-1]
    assert points["name"] == "held-out loss" and len(points["y"]) == evals
    end = max(ev_steps + [MIN_STEPS])
    assert refreshed["layout"]["xaxis"]["range"] == [-0.02 * end, end * 1.02]
    assert refreshed["layout"]["showlegend"] is True
