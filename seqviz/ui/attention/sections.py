"""The attention page below the live panel, one tab each (``TAB_LABELS``; the page draws only
the open one): your own input (decoded by the live run's worker), the long-input problem (a
shipped study, or one trained live as a second engine run) and the bundled models' held-out
scores."""

from __future__ import annotations

from dataclasses import replace

import plotly.graph_objects as go
import streamlit as st

from seqviz.attention.experiment import ATTENTION_NAMES, PRETRAINED, InputResult, S2SConfig, describe
from seqviz.attention.figures import attention_figure, length_figure
from seqviz.attention.live import LiveS2S, LiveStudy
from seqviz.attention.study import default_study, load_studies
from seqviz.attention.tasks import TASK_NAMES, TASK_TITLES, UNITS
from seqviz.checkpoint import spec_from_dict
from seqviz.engine.pool import RunError, shared_engine
from seqviz.i18n import N_, _
from seqviz.ui.attention.panel import payload
from seqviz.ui.chart import chart, seal
from seqviz.ui.controls import held
from seqviz.ui.layout import columns, text_block
from seqviz.ui.player import TICK_SECONDS
from seqviz.ui.setup import relabel

STUDY_STEPS = 1200  # training steps per model in a live long-input study
EXAMPLES = {"dates": "Thursday, May 3rd 1979", "zh_digits": "两千零二十四万三千零五",
            "digits_zh": "20243005"}  # the default typed input (else a held-out one)
MODEL_NAMES = {v: k for k, v in ATTENTION_NAMES.items()}  # a study's model name -> attention
TAB_LABELS = {"input": N_("Try your own input"), "long": N_("The long-input problem"),
              "models": N_("Bundled models")}  # in ``seqviz.attention.experiment.TABS`` order


def _unit(level: str) -> str:
    return _(UNITS.get(level, "characters"))


# ---- typed input ---------------------------------------------------------------------------------
def _typed(key: str, exp: LiveS2S, text: str) -> tuple[int, InputResult, go.Figure | None]:
    """(step, result, heatmap) for ``text``, kept in the session: asked of the worker again only
    for new text, a new run, a paused run that has moved (while playing the shown step is the one
    of the last change, as the output says), or another language or type profile."""
    from seqviz import i18n
    from seqviz.figures import style

    slot, ss = f"{key}.input_cache", st.session_state
    tag = (exp.handle.run_id, exp.handle.generation, text, i18n.language(), style.profile().name)
    cached = ss.get(slot)
    if cached is not None and cached[0] == tag and (
            exp.handle.playing or cached[1][0] == exp.steps):
        return cached[1]
    step, result = exp.run_input(text)
    fig = None
    if exp.cfg.attention != "none" and len(result.out_tokens):
        fig = seal(attention_figure(result.weights, result.src_tokens, result.out_tokens,
                                    title=_("Attention for your input at step {step}").format(
                                        step=f"{step:,}")))
    ss[slot] = (tag, (step, result, fig))
    return step, result, fig


def kept_widgets(key: str, exp: LiveS2S) -> list[str]:
    """The session keys of the tabs' widgets, whose values outlive a visit to another tab."""
    return [input_key(key, exp.data.spec), f"{key}.study_metric.shipped",
            f"{key}.study_metric.live", f"{key}.study_pick.{exp.cfg.task}"]


def input_key(key: str, spec) -> str:
    """One typed-input box per task and lengths (a new task starts from its own example)."""
    return f"{key}.input.{spec.name}.{spec.alphabet}.{spec.min_len}-{spec.max_len}"


def input_section(key: str) -> None:
    exp: LiveS2S = st.session_state[f"{key}.exp"]
    data = exp.data
    # One box per task, starting with a fitting example. The server sets its value only while
    # its tab is closed (``config_tabs``' write-back): a box whose value the script overwrote
    # while shown could show empty in the browser while the page answered the example (the
    # same race as the replay slider's).
    spec = data.spec
    text = st.text_input(_("Input ({unit} are the tokens)").format(unit=_unit(data.level)),
                         value=held(input_key(key, spec),
                                    EXAMPLES.get(spec.name) or data.test[-1][0]), max_chars=200,
                         key=input_key(key, spec),
                         help=_("The model's greedy output and where it looked for each token."))
    if not text.strip():
        st.info(_("Type an input above to see the model's output and its attention."))
        return
    if exp.snapshot() is None:  # the worker is still starting: the page reruns when it is up
        st.info(_("The model is starting… its answer appears in a moment."), icon="⏳")
        return
    try:
        step, result, fig = _typed(key, exp, text)
    except (RunError, TimeoutError) as err:
        st.warning(_("The model cannot answer right now ({reason}); try again in a moment."
                     ).format(reason=err), icon="⏳")
        return
    left, right = columns([3, 2])
    with right:
        _answer(data, step, result)
    if fig is not None:
        chart(fig, key=f"{key}.chart.input", where=left)


def _answer(data, step: int, result: InputResult) -> None:
    st.markdown(_("Output at step {step}:").format(step=f"{step:,}"))
    text_block(result.output or "∅")
    if result.out_tokens[-1:] != ["</s>"]:
        st.caption(_("Stopped at the length limit without emitting </s>."))
    if result.unknown:
        shown = ", ".join(f"'{t}'" for t in result.unknown[:12])
        st.warning(_("Not in this task's input vocabulary, read as <unk>: {tokens}. The model "
                     "has never seen them, so expect a poor answer.").format(tokens=shown),
                   icon="⚠️")
    spec, n = data.spec, len(result.src_tokens)
    if not spec.min_len <= n <= spec.max_len:
        st.caption(_("This input has {n} {unit}; the model was trained on {lo}-{hi}.").format(
            n=n, unit=_unit(data.level), lo=spec.min_len, hi=spec.max_len))


# ---- the long-input problem ----------------------------------------------------------------------
def _model_label(name: str) -> str:
    """A study's model name ("additive attention", "no attention") in the current language."""
    return _(ATTENTION_NAMES[MODEL_NAMES[name]]) if name in MODEL_NAMES else name


def _study_figure(key: str, study: dict, where: str, field: str) -> go.Figure:
    """The length chart, built once per study, score, language and type profile."""
    from seqviz import i18n
    from seqviz.figures import style

    memo = st.session_state.setdefault(f"{key}.study_figs", {})
    tag = (where, study["task"], study["steps"], tuple(study["lengths"]), field,
           i18n.language(), style.profile().name)
    if tag not in memo:
        series = {_model_label(name): [100 * v if field == "exact" else v for v in m[field]]
                  for name, m in study["models"].items()}
        if len(memo) > 8:
            memo.clear()
        metric = _("exact match %") if field == "exact" else "BLEU"
        memo[tag] = length_figure(
            study["lengths"], series, counts=study.get("counts"), metric=metric,
            unit=_unit(study.get("level", "char")),
            title=_("{task}: {metric} against input length").format(
                task=_(TASK_NAMES.get(study["task"], study["task"])), metric=metric))
    return memo[tag]


def _study_chart(key: str, study: dict, where: str) -> None:
    fields = ["exact", "bleu"]
    field = st.radio(_("Score"), fields, horizontal=True,
                     index=fields.index(held(f"{key}.study_metric.{where}", "exact")),
                     format_func=lambda f: _("exact match %") if f == "exact" else "BLEU",
                     key=relabel(f"{key}.study_metric.{where}"))
    chart(_study_figure(key, study, where, field), key=f"{key}.chart.length.{where}")
    counts = study.get("counts") or [0]
    st.caption(_("{what}; both models trained {steps} steps on the same batches, then scored on "
                 "fresh held-out inputs ({lo} to {hi} per length; hover for the count). "
                 "{summary}").format(what=_study_description(study), steps=f"{study['steps']:,}",
                                     lo=min(counts), hi=max(counts),
                                     summary=_study_summary(study)))


def _study_description(study: dict) -> str:
    """"reversal · bidirectional GRU 64, inputs 3-20" in the current language."""
    cfg = spec_from_dict(S2SConfig, study["config"]) if isinstance(study.get("config"), dict) \
        else S2SConfig(task=study["task"])
    lengths = study["lengths"]
    return _("{model}, inputs {lo}-{hi}").format(
        model=describe(replace(cfg, task=study["task"]), attention=False), lo=lengths[0],
        hi=lengths[-1])


def _study_summary(study: dict) -> str:
    """One sentence read off the numbers: does the fixed vector fail on long inputs here?"""
    exact = {name: m["exact"] for name, m in study["models"].items()}
    base = exact.pop("no attention", None)
    if base is None or not exact or not base:
        return ""
    name, other = next(iter(exact.items()))
    hi, unit = study["lengths"][-1], _unit(study.get("level", "char"))
    if min(base) >= 0.9:
        return _("Here one vector is enough: without attention the model still gets at least "
                 "{base} % right at every length (with {name}: at least {other} %).").format(
            base=f"{100 * min(base):.0f}", name=_model_label(name), other=f"{100 * min(other):.0f}")
    peak = max(range(len(base)), key=lambda i: base[i])  # its best length (not always the first)
    return _("Without attention exact match falls from {first} % at {lo} {unit} to {last} % at "
             "{hi}; with {name} it is {other} % at {hi}.").format(
        first=f"{100 * base[peak]:.0f}", lo=study["lengths"][peak], unit=unit,
        last=f"{100 * base[-1]:.0f}", hi=hi, name=_model_label(name),
        other=f"{100 * other[-1]:.0f}")


def _shipped_study(key: str, task: str) -> None:
    """A study shipped for lectures: the task's own if attention matters there, else one where
    it does (the one to pick is a select box)."""
    studies = load_studies()
    first = default_study(studies, task)
    if first is None:
        st.info(_("No precomputed study is installed; run one below."))
        return
    by_task = {s["task"]: s for s in studies}
    order = [first["task"]] + [t for t in by_task if t != first["task"]]
    picked = held(f"{key}.study_pick.{task}", order[0])
    shown = st.selectbox(
        _("Precomputed study"), order, index=order.index(picked) if picked in order else 0,
        key=relabel(f"{key}.study_pick.{task}"),
        format_func=lambda t: _(TASK_TITLES.get(t, t)),
        help=_("Studies shipped with the app. The page opens on this model's task when "
               "attention makes a difference there, else on the task where it makes the most."))
    _study_chart(key, by_task[shown], "shipped")


def long_input_section(key: str) -> None:
    ss = st.session_state
    exp: LiveS2S = ss[f"{key}.exp"]
    st.markdown(_("Without attention the decoder must squeeze the whole input into one vector; "
                  "accuracy falls as inputs get longer. With attention it can look back."))
    _shipped_study(key, exp.cfg.task)
    study: LiveStudy | None = ss.get(f"{key}.study")
    label = _("Run the study live on this task and model ({steps} steps per model)").format(
        steps=f"{STUDY_STEPS:,}")
    running = study is not None and not study.done and study.error is None
    if st.button(label, key=f"{key}.study_run", disabled=running):
        if study is not None:
            study.close()
        ss[f"{key}.study"] = study = LiveStudy.open(shared_engine(), exp.cfg, exp.data.spec,
                                                    STUDY_STEPS, per_length=40)
    if study is not None:
        _study_fragment(key)


def _study_fragment(key: str) -> None:
    """Polls the study's run while it trains (in a worker, beside the page's own run)."""
    study: LiveStudy = st.session_state[f"{key}.study"]
    ticking = not study.done and study.error is None

    @st.fragment(run_every=TICK_SECONDS if ticking else None)
    def run() -> None:
        if study.error is not None:
            st.error(_("The study stopped: {error}").format(error=study.error), icon="💥")
        elif not study.done:
            study.keep_going()
            view = study.view
            progress = view.progress if view is not None else 0.0
            st.progress(progress, text=_("Training both models: {percent} %").format(
                percent=f"{100 * progress:.0f}"))
        elif ticking:
            st.rerun(scope="app")  # finished: draw the chart and stop polling
        else:
            _study_chart(key, study.view.result, "live")

    run()


# ---- the bundled models --------------------------------------------------------------------------
def bundled_models() -> None:
    """Each bundled checkpoint's task, model, training and held-out scores (its metadata)."""
    rows = []
    for name in PRETRAINED:
        try:
            meta, cfg = payload(name).get("meta") or {}, spec_from_dict(S2SConfig,
                                                                        payload(name)["config"])
        except Exception:  # noqa: BLE001 - a missing or damaged file: the page says so on use
            continue
        rows.append({_("task"): _(TASK_TITLES[cfg.task]),
                     _("model"): describe(cfg, task=False),
                     _("training steps"): f"{meta.get('steps', 0):,}",
                     _("exact match"): f"{100 * meta.get('exact_match', 0):.1f} %",
                     "BLEU": f"{meta.get('bleu', 0):.1f}",
                     _("held-out inputs"): f"{meta.get('test_size', 0):,}"})
    if rows:
        st.markdown(_("Each bundled model's held-out scores, measured when it was trained. "
                      "**Start from** in the sidebar opens one."))
        st.table(rows, hide_index=True)
    else:
        st.info(_("No bundled model is installed (run scripts/train_seq2seq.py)."))
