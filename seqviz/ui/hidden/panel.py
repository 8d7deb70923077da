"""Page helpers for the hidden-states page: choosing the model, the probe text, fitting the
URL's settings to the model, and keeping the live model training while it is watched.

The live model trains in an engine worker (the Language model page's run); with "keep training
while I watch" on, this page keeps that run playing and a fragment retraces the probe every
``REFRESH_SECONDS`` with a copy of the latest weights.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import streamlit as st

from seqviz.checkpoint import CheckpointError, list_pretrained
from seqviz.config import check
from seqviz.hidden.config import LIVE, MAX_TEXT_CHARS, UPLOAD, HiddenConfig
from seqviz.hidden.neurons import default_span
from seqviz.hidden.probes import (MAX_TOKENS, Probe, ProbeError, encode_probe, passages,
                                  probe_from_ids)
from seqviz.i18n import N_, _, language, ngettext
from seqviz.limits import MAX_UPLOAD_MB
from seqviz.ui.hidden.sources import (Source, corpus_view, live_lm, live_source, ngram_for,
                                      pretrained_source, upload_source)
from seqviz.ui.controls import file_upload, held
from seqviz.ui.setup import presenting, relabel
from seqviz.ui.state import store_config, widget_key, widget_values

REFRESH_SECONDS = 2.0  # retrace period while the live model trains
_LATER = "hs.later_notices"  # notices drawn after the charts (presenter mode)
FALLBACK = {"en": "lm_python", "zh": "lm_grammar_zh"}  # shown when the chosen model is not there
LABELS = {LIVE: N_("Live model (Language model page)"),
          UPLOAD: N_("Upload a checkpoint (.pt)"),
          "lm_python": N_("Bundled: LSTM on Python source code"),
          "lm_prose": N_("Bundled: GRU on English prose"),
          "lm_grammar_zh": N_("Bundled: LSTM on Chinese sentences")}


def source_label(name: str) -> str:
    return _(LABELS[name]) if name in LABELS else _("Bundled: {name}").format(name=name)


def _w(K: str, name: str):
    return st.session_state.get(widget_key(K, name))


def fallback_name() -> str | None:
    """The bundled model shown instead of one that is not available: one in the page's
    language (the Chinese LM for a Chinese page), else any bundled one."""
    names = list_pretrained("lm")
    wanted = FALLBACK.get(language(), FALLBACK["en"])
    return wanted if wanted in names else (names[0] if names else None)


def _fallback() -> Source | None:
    name = fallback_name()
    if name is None:
        st.error(_("No bundled model is installed and no live model exists: open the Language "
                   "model page and train one."))
        return None
    return pretrained_source(name)


def _notice(show: Callable[[], None]) -> None:
    """Why the live model is not shown: here, or in presenter mode after the charts (``later``):
    above them, on a 1024 x 768 projector, it pushed the first chart off the screen."""
    if presenting():
        st.session_state[_LATER].append(show)
    else:
        show()


def later() -> None:
    """The notices ``resolve_source`` kept for after the charts (presenter mode)."""
    for show in st.session_state.pop(_LATER, []):
        show()


def resolve_source(K: str) -> Source | None:
    """The chosen model; a clear message and the bundled Python LSTM when it is unavailable."""
    st.session_state[_LATER] = []
    name = _w(K, "source")
    if name == LIVE:
        src = live_source()
        if src is not None:
            return src
        shown = fallback_name()
        lm = live_lm()
        if lm is not None and lm.cfg.feed_forward:
            _notice(lambda: st.info(_(
                "The Language model page is training a feed-forward LM: it has no hidden state "
                "carried from token to token, so there is nothing here to trace. Choose RNN, "
                "GRU or LSTM there; meanwhile this page shows “{model}”."
            ).format(model=source_label(shown) if shown else "—")))
            return _fallback()

        def no_live_model() -> None:
            st.info(_("No language model has been trained in this browser session yet. Open "
                      "the Language model page and press Play, then come back; meanwhile this "
                      "page shows “{model}”.").format(model=source_label(shown) if shown
                                                       else "—"))
            st.page_link("pages/1_Language_Model.py",
                         label="✍️ " + _("Go to the Language model page"))

        _notice(no_live_model)
        return _fallback()
    if name == UPLOAD:
        up = file_upload(st.sidebar, _("A language-model checkpoint saved by seqviz (.pt)"),
                         key="hs.upload", types=["pt"], max_mb=MAX_UPLOAD_MB)
        if up is None:
            st.info(_("Choose a .pt checkpoint in the sidebar. Meanwhile: a bundled model."))
            return _fallback()
        try:
            return upload_source(up.getvalue())
        except Exception as err:  # an untrusted file: load_lm's CheckpointError, or a spec
            # torch cannot build (e.g. an unknown cell), which load_lm does not wrap
            st.error(_("This checkpoint cannot be used: {reason} Showing a bundled model "
                       "instead.").format(reason=err))
            return _fallback()
    try:
        return pretrained_source(name)
    except CheckpointError as err:
        st.error(_("The bundled model {name} cannot be loaded: {reason}").format(
            name=name, reason=err))
        return _fallback() if name != fallback_name() else None


def trained_steps(src: Source) -> int:
    """Steps the shown model has trained, for the lecture panel: the live model's count; a
    bundled or uploaded model is trained already, so its steps' answers show when set up."""
    return int(src.meta.get("steps") or 0) if src.exp is not None else 10**9


def warm() -> None:
    """Server start-up (``seqviz.ui.startup``): the bundled model a first visit shows (the
    default source falls back to it), traced over its corpus with PCA and n-gram, cached."""
    name = fallback_name()  # the server's default language's model
    if name is not None:
        src = pretrained_source(name)
        corpus_view(src)
        ngram_for(src)


def training_here(src: Source) -> bool:
    return src.exp is not None and bool(st.session_state.get("hs.train", False))


def _on_train_toggle() -> None:
    """The toggle plays or pauses the Language model page's run (it trains in a worker)."""
    ss = st.session_state
    exp = ss.get("lm.exp")
    if exp is None:
        return
    ss["lm.playing"] = bool(ss.get("hs.train"))
    exp.play() if ss["lm.playing"] else exp.pause()


def live_controls(src: Source) -> None:
    if src.exp is None:
        return
    ss = st.session_state
    if "hs.train" not in ss:  # carry on if the LM page was playing
        ss["hs.train"] = bool(ss.get("lm.playing", False))
    if ss.pop("hs.diverged", False):  # set by the fragment; the toggle is outside it
        ss["hs.train"] = ss["lm.playing"] = False
        st.error(_("Training diverged; the trainer restored the last good weights and training "
                   "stopped. Lower the learning rate on the Language model page."), icon="💥")
    elif ss["hs.train"] and not src.exp.handle.playing:
        src.exp.play()  # the run was paused (e.g. its page closed a while ago): go on
        ss["lm.playing"] = True
    st.sidebar.toggle(_("Keep training while I watch"), value=bool(ss["hs.train"]), key="hs.train",
                      on_change=_on_train_toggle,
                      help=_("The Language model page's model keeps training while this page is "
                             "open, and every view is retraced every {seconds} s.").format(
                                 seconds=f"{REFRESH_SECONDS:g}"))


def live_tick(src: Source) -> Source:
    """In the fragment: the live model's latest weights (it trains in a worker); say which
    step is shown. A divergence in the worker stops the refresh."""
    if src.exp is None:
        return src
    snap = src.exp.snapshot()
    if training_here(src) and snap is not None and snap.halted and not snap.playing:
        st.session_state["hs.diverged"] = True
        st.rerun(scope="app")  # stop ticking and switch the toggle off
    fresh = live_source() or src
    ppl, step = fresh.meta.get("val_perplexity"), f"{fresh.meta.get('steps', 0):,}"
    if ppl and training_here(src):
        line = _("Live model at training step {step}, validation perplexity {ppl}; training and "
                 "retracing every {seconds} s.")
    elif ppl:
        line = _("Live model at training step {step}, validation perplexity {ppl}.")
    elif training_here(src):
        line = _("Live model at training step {step}; training and retracing every {seconds} s.")
    else:
        line = _("Live model at training step {step}.")
    st.caption(line.format(step=step, ppl=f"{ppl:.2f}" if ppl else "",
                           seconds=f"{REFRESH_SECONDS:g}"))
    return fresh


def clamp_settings(K: str, src: Source) -> None:
    """Fit layer, state and unit to this model, saying what changed."""
    ss, spec = st.session_state, src.spec
    layer = _w(K, "layer")
    if not 0 <= layer < spec.num_layers:
        st.warning(ngettext("Layer {layer} does not exist: this model has {n} layer. Showing "
                            "layer {n}.",
                            "Layer {layer} does not exist: this model has {n} layers. Showing "
                            "layer {n}.", spec.num_layers).format(layer=layer + 1,
                                                                  n=spec.num_layers))
        ss[widget_key(K, "layer")] = spec.num_layers - 1
    if _w(K, "state") == "cell" and spec.cell != "lstm":
        st.warning(_("A {cell} has no cell state: showing the hidden state.").format(
            cell=spec.cell.upper()))
        ss[widget_key(K, "state")] = "hidden"
    unit = _w(K, "unit")
    if unit >= spec.hidden_size:
        st.warning(_("Unit {unit} does not exist: this model has {n} units per layer "
                     "(0–{last}).").format(unit=unit, n=spec.hidden_size,
                                            last=spec.hidden_size - 1))
        ss[widget_key(K, "unit")] = -1


def _edited(K: str, example: str) -> None:
    text = st.session_state["hs.text_area"]
    user = text != example
    st.session_state[widget_key(K, "text")] = text[:MAX_TEXT_CHARS] if user else ""
    st.session_state["hs.text_user"] = user


def _typed(K: str, src: Source) -> str:
    ss, example = st.session_state, src.example()
    wanted = _w(K, "text") or ""
    if "hs.text_area" not in ss:
        ss["hs.text_area"] = wanted or example
    elif wanted and wanted != ss["hs.text_area"]:  # a link asked for this text
        ss["hs.text_area"] = wanted
    elif not wanted and not ss.get("hs.text_user") and ss["hs.text_area"] != example:
        ss["hs.text_area"] = example  # another model: its own example
    # relabel: its label changes with the language; the switch run sends its text again (a CI
    # run once saw the box empty, and the page stopped, after switching to Chinese and back)
    return st.text_area(_("Probe text (edit it; Ctrl+Enter to apply)"),
                        key=relabel("hs.text_area"),
                        height=160, max_chars=MAX_TEXT_CHARS, on_change=_edited, args=(K, example))


def _passage(K: str, src: Source) -> Probe:
    count, length = passages(len(src.data.val), src.level)
    key = widget_key(K, "passage")
    if st.session_state[key] >= count:
        st.warning(_("Passage {passage} does not exist; there are {count} (0–{last}).").format(
            passage=st.session_state[key], count=count, last=count - 1))
        st.session_state[key] = count - 1
    if count > 1:
        st.slider(_("Validation passage"), 0, count - 1, value=st.session_state[key], key=key,
                  help=_("{count} passages of {length} tokens from the held-out text.").format(
                      count=count, length=length))
    start = st.session_state[key] * length
    return probe_from_ids(src.data.val[start: start + length].numpy(), src.vocab, src.level)


def probe_input(K: str, src: Source) -> Probe | None:
    """The probe from the text box or a validation passage; None (with a message) if unusable."""
    kind = _w(K, "probe")
    if kind == "validation" and src.data is None:
        st.warning(_("This model's training corpus is unknown, so it has no validation "
                     "passages: type a probe text instead."))
        kind = "typed"
    try:
        if kind == "validation":
            probe = _passage(K, src)
        else:
            probe = encode_probe(_typed(K, src), src.vocab, src.level)
    except ProbeError as err:
        st.warning(str(err))
        return None
    if probe.truncated:
        st.info(_("The text has {n} tokens; the views show the first {limit} (the display "
                  "limit).").format(n=f"{probe.total_tokens:,}", limit=MAX_TOKENS))
    if probe.unknown.any():
        st.info(ngettext("{n} token is not in the model's vocabulary (dashed box below): the "
                         "model reads it as <unk>.",
                         "{n} tokens are not in the model's vocabulary (dashed boxes below): the "
                         "model reads each of them as <unk>.",
                         int(probe.unknown.sum())).format(n=int(probe.unknown.sum())))
    _fit_span(K, probe)
    return probe


def _fit_span(K: str, probe: Probe) -> None:
    """A new text resets the span and position to automatic; a span that does not fit it is
    replaced by the default one (the first quoted string, or the first tenth)."""
    ss, sig = st.session_state, (probe.level, probe.ids.tobytes())
    if ss.get("hs.probe_sig") not in (None, sig):
        for name in ("start", "end", "position"):
            ss[widget_key(K, name)] = -1
    ss["hs.probe_sig"] = sig
    start, end = _w(K, "start"), _w(K, "end")
    if not 0 <= start < end <= len(probe):
        if start != -1 or end != -1:
            st.warning(_("The span {start}–{end} does not fit this {n}-token text: selecting "
                         "the default span instead.").format(start=start, end=end, n=len(probe)))
        ss[widget_key(K, "start")], ss[widget_key(K, "end")] = default_span(probe.tokens)


def sync_config(K: str, cfg: HiddenConfig) -> None:
    """Store the widgets' config in session state and the URL (skipping invalid values)."""
    new = dataclasses.replace(cfg, **widget_values(K, cfg))
    if not check(new):
        store_config(K, new)
