"""Drawing without waste: figures are built once per new snapshot (or per new inputs), never on
a rerun that changed nothing (a widget elsewhere, a fragment tick before the worker published).
Building a plotly figure costs 5-20 ms of server CPU; a page rerun should cost a few ms."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from typing import Any, Callable, Hashable

import plotly.graph_objects as go
import streamlit as st

from seqviz import i18n
from seqviz.engine.protocol import Snapshot
from seqviz.ui.chart import seal
from seqviz.figures import style


def memo(key: str, tag: Hashable, build: Callable[[], Any]) -> Any:
    """``build()`` once per ``tag`` (what the result depends on), kept in the session: the
    last result is reused until the tag changes. The language and the type profile (presenter
    mode) are part of every tag: figures carry translated, sized text.

    The figures in the result are sealed (``seqviz.ui.chart.seal``): each is serialised once for
    all the reruns and builds that draw it. Never change a figure after ``memo`` returned it; a
    build that hands back a figure of an earlier build changed must seal it again itself."""
    slot = f"memo.{key}"
    tag = (tag, i18n.language(), style.profile().name)
    held = st.session_state.get(slot)
    if held is None or held[0] != tag:
        held = st.session_state[slot] = (tag, seal(build(), new_only=True))
    return held[1]


def once_per_snapshot(key: str, snap: Snapshot, build: Callable[[], Any], name: str = "figs"
                      ) -> Any:
    """``build()`` for this snapshot, cached in the session until the next snapshot."""
    return memo(f"{key}.{name}", (snap.run_id, snap.generation, snap.version), build)


def kept(cache: dict, extras: Hashable, build: Callable[[], dict],
         refresh: Callable[[dict], dict | None]) -> dict:
    """A live figure's dict, built (``build()``) once per ``extras`` (what a refresh keeps:
    divergences, thresholds...; the language and type profile are added) and then refreshed
    for each snapshot from the one kept in ``cache`` (``refresh(old)``, e.g. a ``refresh_*``
    of ``seqviz.figures.training``; ``None`` when it cannot be: built again)."""
    extras = (extras, i18n.language(), style.profile().name)
    spec = refresh(cache["spec"]) if cache.get("extras") == extras else None
    if spec is None:
        spec = build()
    cache["extras"], cache["spec"] = extras, spec
    return spec


def kept_spec(slot: str, extras: Hashable, build: Callable[[], dict],
              refresh: Callable[[dict], dict | None]) -> dict:
    """``kept`` with its cache in the session's ``slot``."""
    return kept(st.session_state.setdefault(slot, {}), extras, build, refresh)


def drawn_tag(snap: Snapshot, view: Any, ignore: tuple[str, ...]) -> tuple:
    """A ``memo`` tag for figures drawn from ``view`` (a dataclass) but none of its fields in
    ``ignore`` (those that change with every snapshot and that no figure draws: the loss
    history, timings): the run and a digest of the other fields. Snapshots that bring only new
    steps share it, so figures of a slower analysis are built once per analysis."""
    drawn = tuple(getattr(view, f.name) for f in dataclasses.fields(view) if f.name not in ignore)
    digest = hashlib.blake2b(pickle.dumps(drawn, protocol=5), digest_size=16).hexdigest()
    return snap.run_id, snap.generation, digest


class PreparedFigure(go.Figure):
    """A figure given as its finished plotly dict (e.g. from ``seqviz.figures.training``'s
    ``refresh_*``). ``seqviz.ui.chart`` serialises a Figure's ``to_dict()`` without
    validating it again (``plotly.io.to_json(validate=False)``), so a live chart costs its JSON,
    not a rebuild.

    A stand-in for that serialisation only (it checks for a plotly figure and calls
    ``to_dict()``): ``go.Figure.__init__`` is skipped on purpose, because even an empty figure
    deep-copies plotly's default template (2 ms quiet, 10+ ms on a busy core, three per
    redraw: more than the refresh it wraps)."""

    def __init__(self, spec: dict):  # noqa: no super().__init__(), see above
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


def notices_box():
    """The block a live page's notices go in, drawn even when it holds none. Streamlit knows an
    element by its place in the page: a banner that appears above the charts while the page
    plays (Clipping's unclipped run diverges every few seconds) would move every chart one
    place down, and the browser would take them down and draw them again (blank for a second
    or two). In this block the charts keep their places."""
    return st.container()


def run_notices(snap: Snapshot, divergence: Any = None, *, advice: str | None = None) -> None:
    """What a live page says above its charts: the run stopped with an error, or it diverged
    (``divergence``: a ``seqviz.train.Divergence``) and its last good weights came back.
    ``advice`` (translated) replaces the default "lower the learning rate" sentence. Drawn in
    a ``notices_box``."""
    with notices_box():
        _run_notices(snap, divergence, advice)


def _run_notices(snap: Snapshot, divergence: Any, advice: str | None) -> None:
    from seqviz.i18n import _

    if snap.error:
        st.error(_("**Training stopped:** {error}. Press Reset to start again.").format(
            error=snap.error), icon="💥")
    if divergence is not None:
        st.error(_("**Training diverged at step {step}** ({reason}). The update was skipped and "
                   "the weights from step {restored} were restored, so nothing is lost.").format(
            step=divergence.step, reason=divergence.reason, restored=divergence.restored_to)
            + " " + (advice or _("Lower the learning rate, then press Play again — or Reset.")),
            icon="💥")

