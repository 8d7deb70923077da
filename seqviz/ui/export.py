""""Take it home": every training page's downloads and checkpoint re-opening, in one call.

``export_panel(key, lesson, page)`` at the end of a page draws a collapsed expander with the
experiment card, the standalone script and the trained model (as far as the lesson's
``seqviz.engine.export.LessonExport`` offers them) and an uploader that re-opens a checkpoint. The
files are made only when a button is clicked (deferred ``st.download_button`` data), so a rerun
costs nothing. Re-opening: the uploaded file is checked here (``LessonExport.read``: size,
weights-only load, model description within ``seqviz.limits``); its config goes to the page's
widgets, the page rebuilds the run if the model differs, and the weights are put in the run,
paused, on that same rerun.
"""

from __future__ import annotations

import contextlib
from typing import Any

import streamlit as st

from seqviz.checkpoint import CheckpointError
from seqviz.engine.live import STEP_WAIT, LiveExperiment
from seqviz.engine.pool import RunError
from seqviz.engine.export import LessonExport, Reopened, card_json, experiment_card, same_model
from seqviz.i18n import _
from seqviz.limits import MAX_UPLOAD_MB
from seqviz.ui.controls import file_upload
from seqviz.ui.layout import lazy_expander
from seqviz.ui.player import set_playing
from seqviz.ui.state import force_widgets, forced_key

CALL_TIMEOUT = 60.0  # seconds a download waits for the worker (a script embeds the corpus)


def _pending(key: str) -> str:
    return f"{key}.reopen.pending"


def _message(key: str) -> str:
    return f"{key}.reopen.message"


def _seen(key: str) -> str:
    return f"{key}.reopen.seen"


def _say(key: str, kind: str, text: str, step: int | None = None) -> None:
    """Report on a re-opening ("success" or "error") beside the uploader. The report stays
    while the run stays as it left it (paused at that step): a page can rerun on its own right
    after (Embeddings reruns once its map has settled), and a report shown only once was gone
    before anyone could read it."""
    if step is None:
        exp = st.session_state.get(f"{key}.exp")
        snap = exp.snapshot() if isinstance(exp, LiveExperiment) else None
        step = snap.step if snap is not None else None
    st.session_state[_message(key)] = (kind, text, step, False)


def _report(key: str, exp: LiveExperiment) -> tuple[str, str] | None:
    """The report to show on this run, if any: a new one always, an old one while the run is
    still paused at the step it was made at (the success's step: the re-opened one)."""
    said = st.session_state.get(_message(key))
    if said is None:
        return None
    kind, text, step, shown = said
    if shown:
        snap = exp.snapshot()
        if snap is None or snap.playing or snap.step != step:
            st.session_state.pop(_message(key))
            return None
    st.session_state[_message(key)] = (kind, text, step, True)
    return kind, text


def _read_upload(key: str, lesson: LessonExport, upload: Any) -> None:
    """A file just chosen in the uploader: check it, point the page's settings at its config,
    and leave the weights pending until the page has the run they fit.

    This runs in the script, not as the uploader's ``on_change``: a playing page's fragment
    tick can interrupt a callback (reading a checkpoint takes a moment), and its rerun carries
    the browser's widget values, which undid the ones a callback had set. Both happened on
    Embeddings, whose re-opened model was then never rebuilt or never read."""
    try:
        reopened = lesson.read(upload.getvalue())
    except CheckpointError as err:
        st.session_state[_seen(key)] = upload.file_id
        _say(key, "error", str(err))
        st.rerun()  # the report goes above the uploader, drawn before this
    st.session_state[_seen(key)] = upload.file_id  # each chosen file is read once
    st.session_state[_pending(key)] = reopened
    force_widgets(key, reopened.cfg)  # the settings of the next runs' widgets
    set_playing(key, False)
    st.rerun()  # the page's settings become the checkpoint's at the start of the next run


def apply_pending(key: str, lesson: LessonExport, exp: Any) -> None:
    """Put pending re-opened weights in the page's run once it has the checkpoint's model."""
    reopened: Reopened | None = st.session_state.pop(_pending(key), None)
    if reopened is None:
        return
    if not same_model(exp.cfg, reopened.cfg):
        st.session_state.pop(forced_key(key), None)  # the page's settings are the user's again
        _say(key, "error", _(
            "The page could not rebuild the checkpoint's model with these settings, so the "
            "checkpoint was not opened. Check the messages above, then open it again."))
        return
    try:
        if lesson.check is not None:
            lesson.check(exp, reopened)
        exp.pause()
        step = exp.handle.call("restore", reopened.state, reopened.step, timeout=CALL_TIMEOUT)
    except CheckpointError as err:
        _say(key, "error", str(err))
        return
    except (RunError, TimeoutError) as err:
        _say(key, "error", _(
            "The checkpoint could not be put in the run: {error}").format(error=err))
        return
    with contextlib.suppress(TimeoutError):  # draw the re-opened run on this rerun
        exp.handle.wait(lambda s: s.step == step, timeout=STEP_WAIT)
    _say(key, "success", _(
        "Opened the checkpoint: the model is at step {step}, paused. Press Play to train on."
    ).format(step=f"{int(step):,}"), step=int(step))
    st.rerun()  # the live panel above was drawn from the run before the weights came back


def _card(exp: LiveExperiment, lesson: LessonExport, page: str) -> str:
    snap = exp.snapshot()
    return card_json(experiment_card(lesson.lesson, page, exp.cfg,
                                     snap.step if snap is not None else 0,
                                     snap.payload if snap is not None else None))


def _script(exp: LiveExperiment) -> str:
    return exp.handle.call("export_script", timeout=CALL_TIMEOUT)


def _checkpoint(exp: LiveExperiment, lesson: LessonExport) -> bytes:
    return lesson.save(exp.handle.call("checkpoint_state", timeout=CALL_TIMEOUT), exp.cfg)


def export_panel(key: str, lesson: LessonExport | str, page: str) -> None:
    """The page's "Take it home" expander (``page``: its translated title, for the card).
    ``lesson``: what the lesson exports, or just its id for the experiment card alone."""
    if isinstance(lesson, str):
        lesson = LessonExport(lesson)
    exp = st.session_state.get(f"{key}.exp")
    if not isinstance(exp, LiveExperiment):
        return
    apply_pending(key, lesson, exp)  # on success: a rerun, which draws the re-opened run
    message = _report(key, exp)
    stem = lesson.file_stem
    box, is_open = lazy_expander(_("Take it home: export or re-open this experiment"),
                                 f"{key}.export.open", open_now=message is not None)
    with box:
        if not is_open:
            return
        if message is not None:
            (st.error if message[0] == "error" else st.success)(message[1])
        cols = st.columns(3)
        cols[0].download_button(
            "📄 " + _("Experiment card (JSON)"), lambda: _card(exp, lesson, page),
            file_name=f"{stem}-card.json", mime="application/json", on_click="ignore",
            key=f"{key}.export.card", width="stretch",
            help=_("The settings (with the seed), the step, the latest metrics and the library "
                   "versions: enough to run the same experiment again."))
        if lesson.script:
            cols[1].download_button(
                "🐍 " + _("PyTorch script (.py)"), lambda: _script(exp),
                file_name=f"{stem}.py", mime="text/x-python", on_click="ignore",
                key=f"{key}.export.script", width="stretch",
                help=_("A standalone script in plain PyTorch (no seqviz): the same model, "
                       "initial weights and batches; it prints the loss at every step."))
        if lesson.save is not None:
            cols[2].download_button(
                "💾 " + _("Trained model (.pt)"), lambda: _checkpoint(exp, lesson),
                file_name=f"{stem}.pt", mime="application/octet-stream", on_click="ignore",
                key=f"{key}.export.model", width="stretch",
                help=_("The weights as they are now, with the settings and step: open it here "
                       "again later, or load it in PyTorch with torch.load(..., "
                       "weights_only=True)."))
        if lesson.read is not None:
            upload = file_upload(
                st, _("Re-open a trained model (.pt, at most {mb} MB)").format(mb=MAX_UPLOAD_MB),
                key=f"{key}.reopen.file", types=["pt"], max_mb=MAX_UPLOAD_MB,
                help=_("A file saved by this page. Its settings replace the page's, its weights "
                       "the model's; training pauses."))
            if upload is not None and st.session_state.get(_seen(key)) != upload.file_id:
                _read_upload(key, lesson, upload)
