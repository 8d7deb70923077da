"""What a user reads on a page (AppTest), and which of it is still English.

``visible_strings(at)`` walks every element of an AppTest run and collects the text a user reads:
titles, markdown, captions, alerts, widget labels, help, options and placeholders, button and
link labels, metric labels and deltas, tab and expander labels, and in every Plotly chart the
title, axis titles, legend and trace names, hover templates and annotations. It leaves out what
is data, not interface: code and text blocks (samples, user text), widget values, tick labels
(tokens) and the page's own CSS.

``english_leftovers(strings)`` returns the strings that still read as English: no CJK character
and two or more English words that are not technical names (LSTM, GRU, word2vec, Kneser-Ney …),
or four English words in a row even inside Chinese text.
"""

from __future__ import annotations

import json
import re
from typing import Iterable

from tests.apptest_utils import chart_figure

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")
# Names and symbols that stay as they are in Chinese course material.
TECHNICAL = {w.lower() for w in """
RNN RNNs GRU GRUs LSTM LSTMs BPTT Adam SGD PCA t-SNE tSNE openTSNE word2vec GloVe CBOW
skip-gram Kneser-Ney BLEU sacrebleu CTC ISO Python PyTorch torch numpy seqviz txt csv json tsv
Projector TensorBoard CPU GPU URL UTF-8 GBK Big5 ReLU tanh sigmoid softmax argmax logits nats
Bahdanau Luong Cho Mikolov Pascanu Bengio Karpathy Bolukbasi Hochreiter Schmidhuber Graves al et
unk pad bos eos sos lr dot additive general prose grammar python upload char word lstm gru rnn
id ids ms MB KB kB GB Hz px ok vs NaN inf
""".split()}
SKIP_PROTOS = {"Code"}  # code blocks: samples, user text, token sequences
DATA_HTML = '<pre class="seqviz-mono'  # seqviz.ui.layout.text_block: the same, without st.code


def _plotly_strings(spec: dict) -> list[str]:
    out = []
    layout = spec.get("layout", {})

    def text_of(obj):
        if isinstance(obj, dict):
            return obj.get("text")
        return obj if isinstance(obj, str) else None

    out.append(text_of(layout.get("title")))
    if isinstance(layout.get("title"), dict):  # the notes under a title
        out.append(text_of(layout["title"].get("subtitle")))
    for key, axis in layout.items():
        if re.fullmatch(r"[xy]axis\d*|coloraxis\d*", key) and isinstance(axis, dict):
            out.append(text_of(axis.get("title")))
            cbar = axis.get("colorbar", {})
            out.append(text_of(cbar.get("title")))
    legend = layout.get("legend", {})
    if isinstance(legend, dict):
        out.append(text_of(legend.get("title")))
    for ann in layout.get("annotations", []) or []:
        out.append(ann.get("text"))
    for trace in spec.get("data", []):
        if trace.get("showlegend", True) is not False:
            out.append(trace.get("name"))
        for key in ("hovertemplate", "texttemplate"):
            tmpl = trace.get(key)
            if isinstance(tmpl, str):
                out.append(re.sub(r"%\{[^}]*\}|<extra>.*?</extra>|<[^>]+>", " ", tmpl))
        cbar = trace.get("colorbar", {})
        if isinstance(cbar, dict):
            out.append(text_of(cbar.get("title")))
    return [s for s in out if isinstance(s, str) and s.strip()]


def visible_strings(at) -> list[str]:
    """Every interface string of an AppTest run (see the module docstring)."""
    out: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        kind = type(proto).__name__ if proto is not None else ""
        figure = chart_figure(proto) if proto is not None else None
        if figure is not None:
            out.extend(_plotly_strings(figure))
        elif proto is not None and kind not in SKIP_PROTOS:
            for field in ("label", "help", "body", "placeholder", "delta"):
                value = getattr(proto, field, None)
                if isinstance(value, str) and value and not value.lstrip().startswith(
                        ("<style", DATA_HTML)):
                    out.append(value)
            for field in ("options", "display_values"):
                values = getattr(proto, field, None)
                if values is not None and not isinstance(values, (str, bytes)):
                    out.extend(str(v) for v in values)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def english_leftovers(strings: Iterable[str], allow: Iterable[str] = ()) -> list[str]:
    """The strings that still read as English (see the module docstring)."""
    allowed = TECHNICAL | {a.lower() for a in allow}
    bad = []
    for s in strings:
        plain = re.sub(r"`[^`]*`|<[^>]+>|https?://\S+|\{[^}]*\}", " ", s)
        words = [w for w in WORD.findall(plain) if w.lower() not in allowed]
        if not CJK.search(plain):
            if len(words) >= 2:
                bad.append(s)
            continue
        run = 0
        for token in re.findall(r"[A-Za-z][A-Za-z'’-]*|[^\sA-Za-z]+", plain):
            run = run + 1 if WORD.fullmatch(token) and token.lower() not in allowed else \
                (run if token.strip() in (",", "", "(", ")") else 0)
            if run >= 4:
                bad.append(s)
                break
    return bad
