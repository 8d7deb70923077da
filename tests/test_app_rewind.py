"""AppTest of the timeline ("view step") on the hidden-states and embeddings pages, en and zh:
a past step redraws the views from the weights kept then; two steps compare side by side."""

from __future__ import annotations

import numpy as np
import pytest

from seqviz.hidden.probes import trace_lm
from seqviz.i18n import use_language
from seqviz.lm.config import LMConfig
from tests.apptest_utils import figures, run_page, texts
from tests.live_helpers import live_lm

HIDDEN = "pages/2_Hidden_States.py"
CFG = LMConfig(corpus="grammar", level="word", cell="gru", hidden_size=24, embed_size=8,
               seq_len=16, batch_size=8)


@pytest.fixture(scope="module")
def live_exp():
    return live_lm(CFG, steps=30)


def _heatmaps(at) -> list[dict]:
    return [f for f in figures(at) if f["data"][0]["type"] == "heatmap"]


def _z(fig: dict) -> np.ndarray:
    from tests.apptest_utils import trace_values

    return np.asarray(trace_values(fig["data"][0], "z"), dtype=float)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_hidden_states_at_a_past_step_and_two_steps_compared(live_exp, lang):
    with use_language(lang):
        at = run_page(HIDDEN, query={"lang": lang} if lang == "zh" else None,
                      session={"lm.exp": live_exp})
        mode = at.radio(key="hs.tl.mode")
        assert mode.value == "live" and len(mode.options) == 3
        at.radio(key="hs.tl.mode").set_value("past").run()
        assert not at.exception
        kept = live_exp.kept_steps()
        assert kept[0] == 0 and kept[-1] == 30
        slider = at.select_slider(key="hs.tl.a.0")
        slider.set_value(kept[1]).run()
        assert not at.exception
        key = at.session_state["hs.trace"][0][0]
        assert key.endswith(f":{kept[1]}")  # traced with the weights of that step
        probe_ids = np.frombuffer(at.session_state["hs.trace"][0][1], dtype=np.int64).copy()
        expected = trace_lm(live_exp.model_at(kept[1]), probe_ids).layers[0].hidden
        z = _z(_heatmaps(at)[0])  # (H, T) in variance order
        order = np.argsort(-expected.var(axis=0), kind="stable")
        np.testing.assert_allclose(z, expected[:, order].T, rtol=1e-6)
        assert (f"as it was at step {kept[1]:,}" if lang == "en"
                else f"在第 {kept[1]:,} 步时的样子") in texts(at)
        assert at.radio(key="hs.tl.mode").options[1] == ("Past step" if lang == "en"
                                                         else "过去某一步")
        at.radio(key="hs.tl.mode").set_value("compare").run()
        assert not at.exception
        at.select_slider(key="hs.tl.ca.0").set_value(0).run()
        heat = _heatmaps(at)
        assert len(heat) == 3  # A, B and B - A
        a, b, diff = (_z(f) for f in heat)
        np.testing.assert_allclose(diff, b - a, atol=1e-6)
        assert ("Step A = 0, step B = 30" if lang == "en" else "训练步 A = 0，训练步 B = 30") \
            in texts(at)
        at.radio(key="hs.tl.mode").set_value("live").run()
        assert not at.exception and len(_heatmaps(at)) == 1


EMB = "pages/7_Embeddings.py"


def _emb_maps(at) -> list[dict]:
    return [f for f in figures(at) if f["layout"].get("yaxis", {}).get("scaleanchor") == "x"]


def _coords(fig: dict) -> dict[str, tuple[float, float]]:
    """word -> (x, y) over the point traces of a map."""
    from tests.apptest_utils import trace_values

    out = {}
    for t in fig["data"]:
        words = t.get("customdata")
        if words is None or str(t.get("name", "")).startswith("search"):
            continue
        xs, ys = trace_values(t, "x"), trace_values(t, "y")
        out.update({str(w if not isinstance(w, list) else w[0]): (float(x), float(y))
                    for w, x, y in zip(words, xs, ys)})
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_embeddings_map_at_a_past_step_and_two_steps_compared(lang):
    from seqviz.embeddings.queries import unit_rows
    from seqviz.embeddings.tsne import pca_2d
    from tests.apptest_utils import run_until

    with use_language(lang):
        at = run_page(EMB, query={"lang": lang} if lang == "zh" else None)
        run_until(at, lambda a: len(_emb_maps(a)) == 1, timeout=180, what="the first map")
        exp = at.session_state["emb.exp"]
        exp.step(40)
        at.run()
        assert at.radio(key="emb.tl.mode").value == "live"
        at.radio(key="emb.tl.mode").set_value("past").run()
        assert not at.exception
        kept = exp.kept_steps()
        assert kept[0] == 0 and kept[-1] == 40
        at.select_slider(key="emb.tl.a.0").set_value(kept[2]).run()
        assert not at.exception
        maps = _emb_maps(at)
        assert len(maps) == 2  # the live map and the one at the past step
        past = maps[1]
        assert f"{kept[2]:,}" in past["layout"]["title"]["text"]
        vectors = exp.weights_at(kept[2])["weights"]["vectors"]
        n = min(exp.cfg.points, len(exp.corpus.words))
        want, _ = pca_2d(unit_rows(vectors[:n]))
        got = _coords(past)
        words = exp.corpus.words[:n]
        np.testing.assert_allclose([got[w] for w in words], want, atol=1e-6)
        assert ("Nearest neighbours of the probe words at step" if lang == "en"
                else "时探针词的最近邻") in texts(at)
        at.radio(key="emb.tl.mode").set_value("compare").run()
        at.select_slider(key="emb.tl.ca.0").set_value(0).run()
        assert not at.exception
        maps = _emb_maps(at)
        assert len(maps) == 3  # live, A and B
        a, b = _coords(maps[1]), _coords(maps[2])
        assert set(a) == set(b) and a != b
        at.radio(key="emb.tl.mode").set_value("live").run()
        assert len(_emb_maps(at)) == 1

