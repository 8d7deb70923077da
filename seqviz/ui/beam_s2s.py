"""Seq2seq sources for the beam-search page: bundled checkpoints and the live attention model."""

from __future__ import annotations

import streamlit as st

from seqviz.checkpoint import load_weights, pretrained_path, spec_from_dict
from seqviz.models.seq2seq import Seq2Seq, Seq2SeqSpec
from seqviz.s2s_checkpoint import load_s2s_payload
from seqviz.s2s_tasks import S2SData, TaskSpec, build_task
from seqviz.search_s2s import s2s_problem
from seqviz.ui.beam_sources import Source


@st.cache_resource(max_entries=8, show_spinner=False)
def _pretrained(name: str) -> tuple[Seq2Seq, S2SData, dict]:
    payload = load_s2s_payload(pretrained_path(name))
    data = build_task(spec_from_dict(TaskSpec, payload["task"]))
    model = Seq2Seq(spec_from_dict(Seq2SeqSpec, payload["spec"]))
    load_weights(model, payload["state_dict"])
    return model.eval(), data, dict(payload.get("meta", {}))


def _source(name: str, label: str, model: Seq2Seq, data: S2SData) -> Source:
    def examples(n: int, seed: int) -> list[tuple[str, str]]:
        start = (seed * 7919) % max(1, len(data.test))
        pairs = data.test[start:] + data.test[:start]
        return pairs[:n]

    return Source(name, label, "seq2seq", problem=lambda text: s2s_problem(model, data, text),
                  examples=examples, default_text=data.test[0][0] if data.test else "",
                  input_label=f"Input ({data.spec.name}; the model writes its output)")


def pretrained_s2s_source(name: str) -> Source:
    model, data, meta = _pretrained(name)
    return _source(name, f"Seq2seq (bundled): {data.spec.name}", model, data)


def live_s2s_source() -> Source:
    exp = st.session_state["att.exp"]
    return _source("live_s2s", "Seq2seq: live, from the Attention page", exp.model, exp.data)
