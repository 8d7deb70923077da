"""``seqviz.ui.state.rebuild_or_apply`` and ``checked``: the config-to-experiment step every
training page shares (language model, gradient flow, clipping, embeddings)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _page():
    import dataclasses

    import streamlit as st

    from seqviz.data import CorpusError
    from seqviz.lm.config import LMConfig
    from seqviz.ui.state import checked, rebuild_or_apply

    class Fake:  # an experiment: built from a config, takes live changes
        def __init__(self, cfg):
            if cfg.corpus == "upload":
                raise CorpusError("no text to train on")
            self.cfg, self.applied = cfg, []

        def apply_live(self, cfg):
            self.applied.append(cfg)
            self.cfg = cfg

    cfg = st.session_state.get("t.config", LMConfig())
    new = dataclasses.replace(cfg, **st.session_state.get("want", {}))
    exp, kept = rebuild_or_apply("t", cfg, checked(cfg, new), Fake, "Model",
                                 fallback=lambda c: dataclasses.replace(c, corpus="prose"))
    st.session_state["kept"] = kept
    assert st.session_state["t.exp"] is exp and st.session_state["t.config"] == kept


def _run(at: AppTest, **want) -> AppTest:
    at.session_state["want"] = want
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_first_build_on_untrainable_text_falls_back_and_says_why():
    at = _run(AppTest.from_function(_page), corpus="upload")
    assert "Cannot train on this text: no text to train on" in at.error[0].value
    assert at.session_state["kept"].corpus == "prose" == at.session_state["t.exp"].cfg.corpus


def test_live_change_applies_rebuild_change_rebuilds_with_a_toast():
    at = _run(AppTest.from_function(_page), corpus="grammar")
    first = at.session_state["t.exp"]
    _run(at, lr=0.01)
    assert at.session_state["t.exp"] is first and first.applied[-1].lr == 0.01
    assert len(at.toast) == 0
    _run(at, hidden_size=64)
    assert at.session_state["t.exp"] is not first
    assert at.toast[0].value == "Model rebuilt because hidden_size changed."


def test_later_build_failure_keeps_the_run_and_the_old_values():
    at = _run(AppTest.from_function(_page), corpus="grammar")
    first = at.session_state["t.exp"]
    _run(at, corpus="upload", lr=0.02)  # a rebuild field that fails with a live one
    assert at.session_state["t.exp"] is first
    kept = at.session_state["kept"]
    assert kept.corpus == "grammar" and kept.lr == 0.02 and first.cfg == kept
    assert "Cannot train on this text" in at.error[0].value


def test_invalid_setting_is_reported_and_the_old_config_kept():
    at = _run(AppTest.from_function(_page), corpus="grammar")
    before = at.session_state["kept"]
    _run(at, lr=-1.0)
    assert "Invalid setting" in at.error[0].value and at.session_state["kept"] == before


def _ticking_page():
    import dataclasses

    import streamlit as st

    from seqviz.lm.config import LMConfig
    from seqviz.ui.state import open_config, store_config

    ss = st.session_state
    if ss.pop("tick", False):  # stands for a live fragment's tick: it runs without the page body
        st.rerun(scope="app")  # e.g. the worker paused the run: redraw the Play button
    cfg = open_config(LMConfig, "t")
    if "change" in ss:  # a change from the sidebar
        cfg = dataclasses.replace(cfg, **ss.pop("change"))
    store_config("t", cfg)


def test_a_full_rerun_from_a_stale_tick_keeps_the_last_change():
    """A tick sent before the last change reached the browser's address bar runs with the old
    address; a full rerun it starts must not read that address as a link and undo the change."""
    at = AppTest.from_function(_ticking_page).run()
    old = at.query_params["lr"]
    at.session_state["change"] = {"lr": 0.01}
    at.run()
    assert at.query_params["lr"] == "0.01"
    at.query_params["lr"] = old  # the address the tick was sent with
    at.session_state["tick"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["t.config"].lr == 0.01
    assert at.query_params["lr"] == "0.01"


def test_a_run_sent_with_a_stale_address_keeps_the_session_settings():
    """A click sent before the last change's address reached the browser (no tick involved):
    the old address is not a link the user opened, so the change stays and is written again."""
    at = AppTest.from_function(_ticking_page).run()
    old = at.query_params["lr"]
    at.session_state["change"] = {"lr": 0.01}
    at.run()
    at.query_params["lr"] = old  # the address the click was sent with
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["t.config"].lr == 0.01
    assert at.query_params["lr"] == "0.01"


def test_the_apps_own_link_wins_in_a_session_that_has_the_page_and_leaves_no_mark():
    """A lecture step or a preset (``link_params``) opened in the same session sets the page
    up as the link says, widgets included, and its mark leaves the address."""
    at = AppTest.from_function(_ticking_page).run()
    at.session_state["change"] = {"lr": 0.01}
    at.run()
    at.query_params["lr"] = "0.1"
    at.query_params["link"] = "1"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["t.config"].lr == 0.1 and at.session_state["t.w.lr"] == 0.1
    assert "link" not in at.query_params and at.query_params["lr"] == "0.1"
