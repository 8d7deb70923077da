"""Units worth naming: for each known text feature (``seqviz.hidden.features``), the unit of a
trained language model whose activation follows it best, by Pearson r.

The unit is *chosen* on one stretch of held-out text and its r *reported* on another, so the
number a page shows is not the maximum of a few hundred noisy correlations. A stretch is a
range of positions in the corpus's token stream: the feature reads the text before it (from
the start of the stream, or of the line for a per-line feature: a string opened in an earlier
file is still open), and the model reads ``WARMUP`` tokens before it, so neither starts blind in
the middle of a docstring. The states are the ones the hidden-states page colours: h_t, and
tanh(c_t) for an LSTM's cell (the raw cell is unbounded; a correlation there can hide a unit
that is saturated on screen). A page names a unit only if |r| >= MIN_R.

Shape letters: N tokens of a stretch, H units.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from seqviz.data import Vocab
from seqviz.hidden.features import FEATURES, unit_correlations
from seqviz.hidden.probes import trace_corpus

MIN_R = 0.6  # weaker units are not offered as "the unit that tracks X"
WARMUP = 1024  # tokens the model reads before a stretch (their states are dropped)

Stretch = tuple[int, int]  # [start, end) positions in the token stream


def stretch_text(vocab: Vocab, ids) -> str:
    """The text of ``ids``; an unknown token becomes one NUL character (never a quote)."""
    return "".join("\0" if t == "<unk>" else t for t in vocab.decode(np.asarray(ids)))


def shown_states(model, ids, skip: int = 0) -> Iterator[tuple[int, str, np.ndarray]]:
    """(layer, "hidden" | "cell", (N, H) values as the page shows them) over ``ids`` read in
    one pass from a zero state, without the first ``skip`` steps."""
    arr = np.asarray(ids, dtype=np.int64)
    states = trace_corpus(model, arr, rows=1, max_tokens=len(arr))
    for layer, (hidden, cell) in enumerate(zip(states.hidden, states.cell)):
        yield layer, "hidden", hidden[skip:]
        if cell is not None:
            yield layer, "cell", np.tanh(cell[skip:])


def feature_values(name: str, vocab: Vocab, ids, stretch: Stretch) -> np.ndarray:
    """(N,) the feature over the stretch, read with the text it depends on before it."""
    feature = FEATURES[name]
    start, end = stretch
    lo = 0
    if feature.per_line:
        ids = np.asarray(ids)
        newline = vocab.stoi.get("\n")
        breaks = np.flatnonzero(ids[:start] == newline) if newline is not None else []
        lo = int(breaks[-1]) + 1 if len(breaks) else 0
    return feature.fn(stretch_text(vocab, ids[lo:end]))[start - lo:]


def correlations(model, vocab: Vocab, ids, stretch: Stretch, names: Sequence[str]
                 ) -> dict[str, dict[tuple[int, str], np.ndarray]]:
    """feature -> (layer, state) -> (H,) r over the stretch of the stream ``ids`` (N,)."""
    start, end = stretch
    if not 0 <= start < end <= len(ids):
        raise ValueError(f"stretch [{start}, {end}) does not fit a stream of {len(ids)} tokens")
    lo = max(0, start - WARMUP)
    states = list(shown_states(model, np.asarray(ids)[lo:end], skip=start - lo))
    out = {}
    for name in names:
        feature = feature_values(name, vocab, ids, stretch)
        out[name] = {(layer, which): unit_correlations(values, feature)
                     for layer, which, values in states}
    return out


def best_units(model, vocab: Vocab, ids, choose: Stretch, report: Stretch,
               features: Sequence[str]) -> list[dict]:
    """Per feature: the (layer, state, unit) with the largest |r| on the ``choose`` stretch, and
    its r on the ``report`` stretch (rounded to 3 decimals), as plain checkpoint metadata."""
    chosen_r = correlations(model, vocab, ids, choose, features)
    report_r = correlations(model, vocab, ids, report, features)
    out = []
    for name in features:
        (layer, which), r = max(chosen_r[name].items(), key=lambda kv: np.abs(kv[1]).max())
        unit = int(np.argmax(np.abs(r)))
        out.append({"feature": name, "layer": layer, "state": which, "unit": unit,
                    "r": round(float(report_r[name][(layer, which)][unit]), 3),
                    "r_chosen": round(float(r[unit]), 3), "r_tokens": report[1] - report[0]})
    return out


def unit_r(model, vocab: Vocab, ids, stretch: Stretch, feature: str, layer: int, state: str,
           unit: int) -> float:
    """The Pearson r of one unit with one feature over a stretch (to check a recorded r)."""
    return float(correlations(model, vocab, ids, stretch, [feature])[feature][(layer, state)][unit])
