"""The time-series page's data: a generated signal, or a numeric column of an uploaded CSV."""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from seqviz.data.uploads import valid_id
from seqviz.i18n import N_, _
from seqviz.limits import MAX_CSV_BYTES, MAX_SERIES_POINTS
from seqviz.timeseries.config import LENGTHS, TimeSeriesConfig
from seqviz.timeseries.csvdata import Table, decode_csv, read_table
from seqviz.timeseries.experiment import MIN_POINTS
from seqviz.ui.controls import ladder, resolve_upload, select, text_upload
from seqviz.ui.data import text_digest, upload_store
from seqviz.ui.state import widget_key

SIGNAL_NAMES = {"sines": N_("sum of sines"), "plucked": N_("plucked string (damped)"),
                "sawtooth": N_("sawtooth"), "walk": N_("random walk"),
                "upload": N_("my CSV file")}


def signal_name(signal: str) -> str:
    return _(SIGNAL_NAMES.get(signal, signal))


@st.cache_resource(max_entries=8, show_spinner=False)
def _table(digest: str, _text: str) -> Table:
    return read_table(_text)


def table_of(text: str) -> Table:
    """The CSV text's usable columns; parsed once per text on this server."""
    return _table(text_digest(text), text)


def _current_text(key: str, cfg: TimeSeriesConfig) -> str | None:
    text = st.session_state.get(f"{key}.upload_text")
    if text is None and valid_id(cfg.upload):
        text = upload_store().get(cfg.upload)
    return text


def data_controls(key: str, cfg: TimeSeriesConfig) -> None:
    """The signal, its upload and column, or its length and noise (sidebar)."""
    ss = st.session_state
    select(key, "signal", _("Signal"), list(SIGNAL_NAMES), fmt=signal_name, main=True,
           help=_("A generated signal, or a column of numbers from your own CSV file."))
    if ss[widget_key(key, "signal")] != "upload":
        ladder(key, "length", _("Length T"), list(LENGTHS))
        ladder(key, "noise", _("Noise σ"), [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0],
               main=True, help=_("Standard deviation of the Gaussian noise added to every "
                                 "value (the clean signals have a standard deviation near "
                                 "1)."))
        return
    text_upload(key, _("Upload a .csv file"), types=("csv", "txt"), decode=decode_csv,
                max_bytes=MAX_CSV_BYTES)
    st.sidebar.caption(_("Up to {mb} MB; the first {rows:,} rows are read. A column qualifies "
                         "when it holds at least {min} numbers; empty cells are "
                         "interpolated.").format(mb=MAX_CSV_BYTES // 1_000_000,
                                                 rows=MAX_SERIES_POINTS, min=MIN_POINTS))
    text = _current_text(key, cfg)
    if text:
        names = list(table_of(text).columns)
        wk = widget_key(key, "column")
        if ss.get(wk) not in names:
            ss[wk] = names[0]
        select(key, "column", _("Column"), names, where=st.sidebar)


def resolve(key: str, old: TimeSeriesConfig, new: TimeSeriesConfig
            ) -> tuple[TimeSeriesConfig, np.ndarray | None]:
    """The config to build, and the uploaded column's values (None for a generated signal)."""
    new, text = resolve_upload(key, old, new, "sines", _("the models"), field="signal",
                               prompt=_("Choose a .csv file in the sidebar to forecast your "
                                        "own series. Meanwhile {who} keep training on the "
                                        "generated signal."))
    if new.signal != "upload" or not text:
        return dataclasses.replace(new, column=""), None
    table = table_of(text)
    column = new.column if new.column in table.columns else next(iter(table.columns))
    if table.truncated:
        st.sidebar.info(_("The file has more than {rows:,} rows: the first {rows:,} are "
                          "used.").format(rows=MAX_SERIES_POINTS))
    return dataclasses.replace(new, column=column), table.columns[column]
