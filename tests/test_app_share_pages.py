"""AppTest: "Share this run live" on every training page (issue 19). Per page: the lecturer
shares, a follower sees the page's charts for the shared run and the lecturer's settings as the
page names them, then forks it: the copy is the run as it was (weights, step, history), and
with nothing changed its next step is the lecturer's next step (same batch, same weights)."""

from __future__ import annotations

import pytest
import torch

from seqviz.engine.pool import shared_engine
from tests.apptest_utils import figures, fork_by_link, run_page, run_until, texts

FOLLOW = "pages/99_Follow.py"
# page, key, small config, charts its live panel draws, a setting as the follower reads it
PAGES = [
    ("pages/3_Gradient_Flow.py", "gf", {"seq_len": "10", "hidden_size": "8", "seed": "2"},
     6, "Optimiser **Adam**"),
    ("pages/4_Clipping.py", "clip", {"seq_len": "20", "hidden_size": "8", "seed": "0"},
     2, "Clip by **global norm**"),
    ("pages/5_Attention.py", "att",
     {"task": "reverse", "min_len": "3", "max_len": "6", "hidden_size": "16", "embed_size": "8",
      "batch_size": "16", "snapshot_every": "2"}, None, "Attention **additive attention**"),
    ("pages/7_Embeddings.py", "emb",
     {"corpus": "grammar", "embed_size": "8", "batch_size": "256", "points": "50",
      "projection": "pca"}, None, "Model **skip-gram**"),
    ("pages/8_Sequence_Tasks.py", "seq",
     {"hidden_size": "16", "embed_size": "8", "train_size": "500", "batch_size": "16"},
     None, "Task **sentiment**"),
    ("pages/9_Time_Series.py", "ts", {"hidden_size": "16", "batch_size": "16", "length": "500"},
     None, "Signal **sum of sines**"),
]
IDS = [p[1] for p in PAGES]


@pytest.fixture(scope="module", autouse=True)
def workers_ready():
    assert shared_engine().wait_ready(120)


def _trained(state, out=None) -> list:
    """What decides a run's next steps, from its ``fork_state()``: every trainer's weights and
    step count, and its loss history (timings left out: they differ between two runs)."""
    out = [] if out is None else out
    if isinstance(state, dict):
        if "model" in state and "steps" in state:
            out.append(("steps", state["steps"]))
            out.extend((k, v) for k, v in sorted(state["model"].items()))
            out.append(("loss", [(h.step, h.loss) for h in state["history"]]))
        else:
            for k in sorted(state, key=str):
                _trained(state[k], out)
    elif isinstance(state, (list, tuple)):
        for v in state:
            _trained(v, out)
    return out


def _same(a, b) -> bool:
    a, b = _trained(a), _trained(b)
    assert a, "no trainer state found"
    if len(a) != len(b):
        return False
    for (ka, va), (kb, vb) in zip(a, b):
        if ka != kb:
            return False
        if isinstance(va, torch.Tensor):
            if not torch.equal(va, vb):
                return False
        elif va != vb:
            return False
    return True


def _charts_of(at) -> int:
    return len(figures(at))


@pytest.mark.parametrize("page,key,query,charts,setting", PAGES, ids=IDS)
def test_share_follow_and_fork(page, key, query, charts, setting):
    lecturer = run_page(page, query=query)
    lecturer.toggle(key=f"{key}.share.on").set_value(True).run()
    assert not lecturer.exception, [e.value for e in lecturer.exception]
    share = lecturer.session_state[f"{key}.share"]
    assert share.code in texts(lecturer) and lecturer.get("image")  # code and QR code
    for _ in range(2):
        lecturer.button(key=f"{key}.step").click().run()
    theirs = lecturer.session_state[f"{key}.exp"]
    assert theirs.steps == 2

    follower = run_page(FOLLOW, query={"follow": share.code}, clear_caches=False)
    want = charts or 1
    run_until(follower, lambda a: _charts_of(a) >= want, what="the shared run's charts")
    shown = texts(follower)
    assert "Following the lecturer" in shown and setting in shown, shown[:2000]
    assert "only shown to the lecturer" not in shown  # every chart drew from the snapshot
    if charts is not None:
        assert _charts_of(follower) == charts

    fork_by_link(follower, page)
    assert "could not be copied" not in texts(follower)
    mine = follower.session_state[f"{key}.exp"]
    assert mine.handle is not theirs.handle and mine.steps == 2
    run_until(follower, lambda a: _charts_of(a) >= want, what="the fork on its page")
    assert follower.session_state[f"{key}.exp"] is mine  # the page kept the copy (no rebuild)
    assert follower.button(key=f"{key}.play")  # the follower's own controls
    assert _same(mine.handle.call("fork_state"), theirs.handle.call("fork_state"))

    # nothing changed: the copy's next step is the lecturer's next step
    follower.button(key=f"{key}.step").click().run()
    lecturer.button(key=f"{key}.step").click().run()
    assert mine.steps == 3 and theirs.steps == 3
    assert _same(mine.handle.call("fork_state"), theirs.handle.call("fork_state"))


def test_a_chinese_follower_reads_the_settings_and_their_changes_in_chinese():
    page, key, query = PAGES[1][:3]  # clipping: its values are words ("global norm", "SGD")
    lecturer = run_page(page, query=query)
    lecturer.toggle(key=f"{key}.share.on").set_value(True).run()
    code = lecturer.session_state[f"{key}.share"].code
    follower = run_page(FOLLOW, query={"follow": code, "lang": "zh"}, clear_caches=False)
    run_until(follower, lambda a: _charts_of(a) >= 2, what="the shared charts")
    shown = texts(follower)
    assert "裁剪方式 **全局范数**" in shown and "任务 **加法问题**" in shown, shown[:2000]
    assert "global norm" not in shown and "adding" not in shown  # no raw or English values
    lecturer.radio(key=f"{key}.w.clip").set_value("value").run()
    lecturer.button(key=f"{key}.step").click().run()
    run_until(follower, lambda a: any("裁剪方式" in c.value for c in a.caption),
              what="the lecturer's change")
    change = next(c.value for c in follower.caption if "裁剪方式" in c.value)
    assert "全局范数" in change and "value" not in change, change
