"""House style for every figure: large type for the back row, labelled axes, one palette.

Two type profiles: ``normal`` and ``present`` (presenter mode: ticks and legends >= 20 px,
titles >= 26 px, readable on a projector). Builders stay pure functions of their inputs plus the
current profile, which the UI sets per session (``set_profile_resolver``), as it sets the
language; ``font_size()`` is the base size of the current profile.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.utils import to_typed_array_spec  # plotly's own encoding of numpy arrays

from seqviz.figures.text_width import MIN_WIDTH, legend_rows
from seqviz.i18n import _

# Set once: a per-figure ``template=`` deep-copies the template (~20 ms a figure, per redraw).
TEMPLATE = "plotly_white"
pio.templates.default = TEMPLATE


@dataclass(frozen=True)
class Profile:
    name: str
    font: int  # ticks, legends, hover, annotations (px)
    title: int  # figure titles (px)
    axis_title: int  # axis titles (px)


PROFILES = {"normal": Profile("normal", 16, 20, 17), "present": Profile("present", 20, 26, 22)}
_profile_resolver: Callable[[], str] | None = None


def set_profile_resolver(resolver: Callable[[], str] | None) -> Callable[[], str] | None:
    """Register how to find the current session's profile (the UI: presenter mode or not);
    returns the one it replaces, for a caller (a test) to put back."""
    global _profile_resolver
    previous, _profile_resolver = _profile_resolver, resolver
    return previous


def profile() -> Profile:
    name = _profile_resolver() if _profile_resolver is not None else "normal"
    return PROFILES.get(name, PROFILES["normal"])


def font_size() -> int:
    """Base font size (px) of the current profile."""
    return profile().font


PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
BASELINE_COLOURS = ("#7f7f7f", "#bcbd22", "#17becf", "#8c564b", "#e377c2")


def typed_array(values) -> object:
    """A numpy array as a built figure's ``to_dict()`` holds it (plotly's typed-array spec,
    ``to_typed_array_spec``), for code that writes arrays into a figure's dict: a 1-D float64
    array is encoded here directly (about 2 µs instead of plotly's 50, which first copies it to
    a read-only array), anything else by plotly."""
    if isinstance(values, np.ndarray) and values.dtype == np.float64 and values.ndim == 1 \
            and values.size:
        return {"dtype": "f8", "bdata": base64.b64encode(np.ascontiguousarray(values)
                                                          ).decode("ascii")}
    return to_typed_array_spec(values)


def legend_px(fig: go.Figure) -> int:
    """How much taller the figure gets for its legend under the plot: its rows at the
    narrowest the chart gets (``MIN_WIDTH``), so the plot keeps its height."""
    return _spec_legend_px({"data": [t.to_plotly_json() for t in fig.data],
                            "layout": fig.layout.to_plotly_json()})


def _spec_legend_px(spec: dict) -> int:
    """``legend_px`` of a figure given as a dict."""
    shown, data = spec["layout"].get("showlegend"), spec["data"]
    if shown is False or (shown is None and len(data) < 2):  # Plotly's default: 2 traces
        return 0
    return legend_names_px([t["name"] for t in data
                            if t.get("name") and t.get("showlegend") is not False])


def legend_names_px(names: Sequence[str]) -> int:
    """The height of a legend under the plot with these entries (``legend_px``)."""
    p = profile()
    return math.ceil(legend_rows(list(names), p.font, MIN_WIDTH[p.name] - 20) * p.font * 1.45)


def bottom_legend(size: int) -> dict:
    """A horizontal legend anchored to the bottom edge of the figure (``yref="container"``),
    where Plotly grows the bottom margin to hold it: under the x-axis title whatever the plot's
    height. (At a share of the plot's height, ``y=-0.22``, it lands on the axis title of a
    short plot and on its tick labels once its entries wrap to two rows.)"""
    return dict(orientation="h", yref="container", y=0, yanchor="bottom", xanchor="left", x=0,
                font=dict(size=size))


STEPS_SHOWN = 5  # a training-step axis spans at least 0..5: whole steps, even at step 0


def house_layout(title: str, height: int, legend_below: bool = True) -> dict:
    """The house layout as a plain dict: the title, type sizes, height (presenter mode adds
    room), margins, the legend and hover; ``legend_below=False``: the caller places the
    legend (in paper coordinates). A figure built as a dict (``go.Figure(spec)``, validated
    once) takes it as it is; ``styled`` applies it to a built figure."""
    p = profile()
    return dict(
        title=dict(text=title, font=dict(size=p.title), x=0, xanchor="left"),
        font=dict(size=p.font),
        height=height + (60 if p.name == "present" else 0),
        margin=dict(l=80, r=20, t=60 + (p.title - 20), b=40),
        legend=bottom_legend(p.font) if legend_below else dict(yref="paper",
                                                                font=dict(size=p.font)),
        hovermode="x unified",
    )


def house_axis(title: str) -> dict:
    """An axis of the house style: its title and tick type sizes."""
    p = profile()
    return dict(title=dict(text=title, font=dict(size=p.axis_title)),
                tickfont=dict(size=p.font))


def deep_merged(base: dict, new: dict) -> dict:
    """``base`` updated by ``new`` as plotly's ``update`` does: nested dicts merge, the rest
    is replaced."""
    out = dict(base)
    for k, v in new.items():
        nested = isinstance(v, dict) and isinstance(out.get(k), dict)
        out[k] = deep_merged(out[k], v) if nested else v
    return out


_DEFAULT_TEMPLATE: dict[str, dict] = {}  # the default template's dict, by template name


def _is_default_template(template: dict | None) -> bool:
    name = pio.templates.default
    if name not in _DEFAULT_TEMPLATE:
        _DEFAULT_TEMPLATE[name] = pio.templates[name].to_plotly_json()
    return template == _DEFAULT_TEMPLATE[name]


def styled(fig: go.Figure | dict, *, title: str, x: str, y: str, height: int = 440,
           legend_below: bool = True, steps: bool = False,
           overrides: dict | None = None) -> go.Figure:
    """``styled_spec`` as a figure, validated once (see there)."""
    return go.Figure(styled_spec(fig, title=title, x=x, y=y, height=height,
                                 legend_below=legend_below, steps=steps, overrides=overrides))


def styled_spec(fig: go.Figure | dict, *, title: str, x: str, y: str, height: int = 440,
                legend_below: bool = True, steps: bool = False,
                overrides: dict | None = None) -> dict:
    """The figure with the house layout: a title, axis titles, large fonts, a legend under the
    plot (the figure grows by the rows its traces' legend takes, so the plot keeps its height).
    ``legend_below=False``: the caller places the legend (in paper coordinates). ``steps``:
    x is the training step since step 0, so its automatic range takes in 0..``STEPS_SHOWN``
    (one point at step 0 alone gets a range of -1..1 and ticks at -0.5 and 0.5) and starts
    at most half a step before 0; it grows with the data, so figures refreshed in place keep it
    right.

    Returns the merged dict, which ``styled`` validates once: plotly's
    ``update_layout``/``update_xaxes`` on a built figure cost ~18 ms a figure on the project's
    machine, this ~1.5 ms (the default template is left out of the dict and applied again by
    ``go.Figure`` without being validated). Every axis of the figure (``xaxis2``...) gets the
    axis style, as ``update_xaxes`` gave it; a ``make_subplots`` grid is not kept.

    ``fig`` may also be the figure as a dict (``{"data": [trace dicts], "layout": {...}}``,
    numpy arrays kept as arrays): a builder that writes its figure as a dict has it validated
    once, by ``styled``, instead of once per ``add_trace`` and again there (half the cost).
    ``overrides``: layout merged over the house layout before that one validation, as an
    ``update_layout`` of the styled figure would (a nested dict merges, e.g. ``{"yaxis":
    {"autorange": "reversed"}}``), without validating the figure again."""
    layout = house_layout(title, height, legend_below)
    # the figure's own data and layout (numpy arrays kept as arrays: ``to_dict`` would encode
    # them as base64 specs, and a trace's ``x`` would then read back as that dict)
    if isinstance(fig, dict):
        spec = {"data": list(fig.get("data", ())), "layout": dict(fig.get("layout", {}))}
    else:
        spec = {"data": [t.to_plotly_json() for t in fig.data],
                "layout": fig.layout.to_plotly_json()}
    if legend_below:
        layout["height"] += _spec_legend_px(spec)
    merged = deep_merged(spec.get("layout", {}), layout)
    x_axis = house_axis(x)
    if steps:
        # a lone point's autorange is ±1 around it: no step -1 (half a step keeps a step-0
        # marker whole)
        x_axis["autorangeoptions"] = dict(include=[0, STEPS_SHOWN], minallowed=-0.5)
        if not any(t.get("x") is not None and len(t["x"]) for t in spec.get("data", [])):
            x_axis["range"] = [-0.5, STEPS_SHOWN]  # no data: Plotly's default is -1..6
    for prefix, axis in (("xaxis", x_axis), ("yaxis", house_axis(y))):
        for name in {prefix} | {k for k in merged if re.fullmatch(prefix + r"\d*", k)}:
            merged[name] = deep_merged(merged.get(name, {}), axis)
    if overrides:
        merged = deep_merged(merged, overrides)
    if _is_default_template(merged.get("template")):
        del merged["template"]
    spec["layout"] = merged
    return spec


def styled_over_steps(fig: go.Figure, *, title: str, y: str, **kwargs) -> go.Figure:
    """``styled`` for a curve over training: x is "training step", from step 0 (``steps``)."""
    return styled(fig, title=title, x=_("training step"), y=y, steps=True, **kwargs)


MAX_CURVE = 2000  # points per curve; longer histories are thinned evenly


def thin_evenly(*arrays: Sequence, limit: int = MAX_CURVE) -> list[np.ndarray]:
    """Parallel arrays cut to at most ``limit`` evenly spaced entries, the first and the last
    kept (a curve or a row of marks that still spans the whole run)."""
    n = len(arrays[0])
    idx = np.unique(np.linspace(0, n - 1, limit).astype(int)) if n > limit else np.arange(n)
    return [np.asarray(a)[idx] for a in arrays]


WAITING = "waiting"  # the ``name`` of a chart's "no data yet" note


def _waiting(text: str, y: float = 0.5, yref: str = "paper") -> dict:
    return dict(name=WAITING, text=text, x=0.5, y=y, xref="paper", yref=yref,
                showarrow=False, font=dict(size=font_size() + 2, color="#555"),
                bgcolor="rgba(255,255,255,0.85)")


def waiting_note(fig: go.Figure, text: str, **where) -> go.Figure:
    """Say in the middle of an empty chart why it is empty (e.g. "press Play"), so a chart
    with no data yet never looks broken; ``where`` (``y``, ``yref``) moves it off a line the
    chart already has."""
    fig.add_annotation(**_waiting(text, **where))
    return fig


def with_waiting(layout: dict, text: str | None, **where) -> dict:
    """A figure dict's layout with its ``waiting_note`` saying ``text``, or without one
    (``None``): what a builder gives for empty or drawn data, for code that refreshes a built
    figure's arrays instead of building it again."""
    kept = [a for a in layout.get("annotations", ()) if a.get("name") != WAITING]
    if text is not None:
        kept.append(_waiting(text, **where))
    if kept:
        return {**layout, "annotations": kept}
    return {k: v for k, v in layout.items() if k != "annotations"}


def check_same_length(**arrays) -> int:
    """Raise ValueError naming the lengths when parallel arrays disagree; return the length."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise ValueError(f"arrays must have the same length: {detail}")
    return next(iter(lengths.values()), 0)


def log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 tick values covering [lo, hi] for a log axis (plotly's own minor labels are cryptic)."""
    import math

    if not (lo > 0 and hi > 0 and math.isfinite(lo) and math.isfinite(hi)):
        return []
    lo, hi = min(lo, hi), max(lo, hi)
    ticks, decade = [], 10.0 ** math.floor(math.log10(lo))
    while decade <= hi * 10:
        ticks += [m * decade for m in (1, 2, 5) if lo / 1.5 <= m * decade <= hi * 1.5]
        decade *= 10
    return ticks


def _nice(x: float, up: bool) -> float:
    """The nearest 1-2-5 value at or below (``up`` False) or at or above ``x`` > 0."""
    import math

    decade = 10.0 ** math.floor(math.log10(x))
    steps = [m * decade for m in (0.5, 1, 2, 5, 10, 20)]
    return min(v for v in steps if v >= x * (1 - 1e-12)) if up else \
        max(v for v in steps if v <= x * (1 + 1e-12))


def log_view(lo: float, hi: float) -> tuple[list[float], list[float] | None]:
    """1-2-5 ticks for data in [lo, hi] on a log axis, and the axis range (log10 units) when
    the data alone would show fewer than two of them: a curve's first point or a flat stretch
    (plotly fits the axis to the data's narrow span, and every tick would fall outside it, so
    the axis would carry no number). Then the range reaches the nearest 1-2-5 values around
    the data. ``None``: let plotly fit the axis."""
    import math

    ticks = log_ticks(lo, hi)
    if not ticks or sum(lo <= t <= hi for t in ticks) >= 2:
        return ticks, None
    lo, hi = min(lo, hi), max(lo, hi)
    a, b = _nice(lo, up=False), _nice(hi, up=True)
    if a == b:  # the data sit on a tick: one more below
        a = _nice(a * 0.99, up=False)
    ticks = [t for t in log_ticks(a, b) if a * 0.999 <= t <= b * 1.001]
    pad = 0.04 * (math.log10(b) - math.log10(a))
    return ticks, [math.log10(a) - pad, math.log10(b) + pad]


def log_props(values) -> dict:
    """The axis properties ``log_axis`` sets, as a dict (for code that refreshes a built
    figure's dict): type, 1-2-5 ``tickvals``/``ticktext`` when there are ticks, and ``range``
    with ``autorange=False`` when ``log_view`` fixes one."""
    import numpy as np

    arr = values if isinstance(values, np.ndarray) else \
        np.asarray([v for v in values if v is not None], dtype=float)
    arr = arr[np.isfinite(arr) & (arr > 0)]
    ticks, span = log_view(float(arr.min()), float(arr.max())) if arr.size else ([], None)
    props: dict = {"type": "log"}
    if ticks:
        props.update(tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    if span is not None:
        props.update(range=span, autorange=False)
    return props


def log_axis(fig: go.Figure, values, axis: str = "y") -> go.Figure:
    """Log scale with readable 1-2-5 ticks for the finite positive ``values``, at least two of
    them on screen (``log_view``)."""
    props = log_props(values)
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    update(type="log", tickvals=props.get("tickvals"), ticktext=props.get("ticktext"))
    if "range" in props:
        update(range=props["range"], autorange=False)
    return fig


AXIS_VIEW = ("type", "tickvals", "ticktext", "range", "autorange")  # what ``log_props`` sets


def with_axis(layout: dict, props: dict, axis: str = "yaxis") -> dict:
    """A figure dict's layout with ``axis``'s view (``AXIS_VIEW``) replaced by ``props``."""
    kept = {k: v for k, v in layout.get(axis, {}).items() if k not in AXIS_VIEW}
    return {**layout, axis: {**kept, **props}}
