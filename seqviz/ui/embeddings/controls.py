"""The embeddings page's controls: where its config comes from (a Chinese visitor starts on the
Chinese grammar) and the widgets that set it (the sidebar; corpus, model, embedding size and
projection above the charts in presenter mode)."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.data import CORPORA
from seqviz.embeddings.experiment import CORPORA as EMB_CORPORA
from seqviz.embeddings.experiment import EmbConfig
from seqviz.embeddings.objectives import OBJECTIVE_NAMES
from seqviz.i18n import _, language
from seqviz.ui.controls import corpus_label, held, integer, ladder, select, text_upload
from seqviz.ui.embeddings import sources
from seqviz.ui.layout import lazy_expander
from seqviz.ui.state import (config_params, keep_widget_values, open_config, seed_widgets,
                             widget_key)


# Sidebar groups that start collapsed (``_details``): the settings a first look can leave alone.
TRAINING_DETAILS = ("subsample", "min_count", "batch_size", "optimizer", "epochs", "seed")
TSNE_DETAILS = ("perplexity", "tsne_lr", "tsne_iters")
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(EmbConfig)}


def first_config() -> EmbConfig:
    """What a first visit with no settings in the link opens: the defaults, on the Chinese
    grammar in Chinese."""
    return EmbConfig(corpus="grammar_zh") if language() == "zh" else EmbConfig()


def open_page_config(key: str) -> EmbConfig:
    """The page's config (URL or session copy, notices shown, widgets seeded). A first visit in
    Chinese with no corpus in the link starts on the Chinese grammar."""
    ss = st.session_state
    first = f"{key}.config" not in ss
    cfg = open_config(EmbConfig, key, seed=False)
    if first and "corpus" not in config_params() and cfg.corpus == "grammar":
        cfg = ss[f"{key}.config"] = dataclasses.replace(cfg, corpus=first_config().corpus)
    seed_widgets(key, cfg)
    return cfg


def _corpus_help() -> str:
    lines = [f"- **{corpus_label(c)}**: {_(CORPORA[c])}" for c in EMB_CORPORA if c in CORPORA]
    lines.append(_("- **your own .txt file**: any language; Chinese is cut into words with "
                   "jieba"))
    return "\n".join(lines)


def controls(key: str) -> None:
    """Every widget of the page's config, in the sidebar (key ones above the charts when
    presenting). Call right after the page header."""
    ss, sb = st.session_state, st.sidebar
    sb.header(_("Vectors"))
    select(key, "source", _("Source"), list(sources.SOURCE_NAMES),
           fmt=lambda v: _(sources.SOURCE_NAMES[v]))
    if ss[f"{key}.w.source"] != "word2vec":
        select(key, "lm", _("Language model"), sources.lm_choices(),
               fmt=lambda v: _("this session's live LM") if v == "live"
               else _("bundled: {name}").format(name=v))
    sb.header("word2vec")
    select(key, "corpus", _("Corpus"), list(EMB_CORPORA), fmt=corpus_label,
           help=_corpus_help(), main=True)
    if ss[f"{key}.w.corpus"] == "upload":
        text_upload(key, _("Upload a text file (any language)"))
    select(key, "algorithm", _("Model"), ["skipgram", "cbow"], horizontal=True,
           fmt={"skipgram": "skip-gram", "cbow": "CBOW"}.get, main=True,
           help=_("Skip-gram predicts each context word from the centre word; CBOW predicts "
                  "the centre word from the mean of its context words."))
    select(key, "objective", _("Output layer"), list(OBJECTIVE_NAMES),
           fmt=lambda v: _(OBJECTIVE_NAMES[v]),
           help=_("How the model scores the word to predict; compared in the table under the "
                  "curves."))
    ladder(key, "embed_size", _("Embedding size E"), [2, 4, 8, 16, 32, 64, 128, 300], main=True)
    ladder(key, "window", _("Window (max words each side)"), list(range(1, 11)))
    ladder(key, "negatives", _("Negative samples k"), [1, 2, 3, 5, 10, 15, 20, 30])
    ladder(key, "lr", _("Learning rate (live)"),
           [1e-4, 3e-4, 1e-3, 2e-3, 5e-3, 1e-2, 0.025, 0.05, 0.1, 1.0, 10.0],
           help=_("Per (word, context) pair, as gensim's alpha; it falls linearly to 0.4 % of "
                  "itself over the passes below."))
    box = _details(key, "more", _("More training settings"), TRAINING_DETAILS)
    if box is not None:
        ladder(key, "subsample", _("Subsampling threshold t"),
               [0.0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1], where=box,
               fmt=lambda v: _("off") if v == 0 else f"{v:g}")
        ladder(key, "min_count", _("Minimum count"), [1, 2, 3, 5, 10, 20, 50], where=box)
        ladder(key, "batch_size", _("Batch (pairs per step)"),
               [16, 32, 64, 128, 256, 512, 1024, 4096], where=box)
        select(key, "optimizer", _("Optimiser"), ["sgd", "adam"], horizontal=True, where=box,
               fmt={"adam": "Adam", "sgd": "SGD"}.get)
        ladder(key, "epochs", _("Passes over the corpus"), [1, 2, 3, 5, 10, 20, 50, 100],
               where=box)
        integer(key, "seed", _("Seed"), 0, 2**31 - 1, where=box,
                help=_("Same seed, same vectors, batches and map."))
    sb.text_input(_("Probe words (comma-separated)"), value=held(f"{key}.w.probes", ""),
                  key=f"{key}.w.probes",
                  help=_("Their nearest neighbours are listed while it trains; empty = "
                         "defaults."))
    _map_controls(key)


def _map_controls(key: str) -> None:
    sb = st.sidebar
    sb.header(_("Map"))
    select(key, "projection", _("Projection"), ["tsne", "pca"], horizontal=True,
           fmt={"tsne": "t-SNE", "pca": "PCA"}.get, main=True)
    ladder(key, "points", _("Points (most frequent first)"),
           [20, 50, 100, 200, 300, 500, 1000, 2000, 5000])
    select(key, "colour", _("Colour by"), ["category", "frequency"], horizontal=True,
           fmt=lambda v: {"category": _("category"), "frequency": _("frequency")}[v])
    box = _details(key, "tsne", _("More t-SNE settings"), TSNE_DETAILS)
    if box is not None:
        ladder(key, "perplexity", _("t-SNE perplexity"),
               [2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0], where=box)
        ladder(key, "tsne_lr", _("t-SNE learning rate (live)"),
               [0.0, 10.0, 50.0, 100.0, 200.0, 500.0, 1000.0], where=box,
               fmt=lambda v: _("auto (n / exaggeration)") if v == 0 else f"{v:g}")
        ladder(key, "tsne_iters", _("t-SNE iterations per frame (live)"),
               [1, 2, 5, 10, 20, 50, 100, 200], where=box,
               help=_("While the vectors move; a paused map runs until it has settled."))


def _details(key: str, name: str, label: str, names: tuple[str, ...]):
    """A collapsed sidebar group of settings a first look can do without: its widgets are sent
    only while it is open (``lazy_expander``), so they cost the page's first chart nothing.
    It opens by itself when one of them leaves its default (a link, a value set before): a
    setting in effect is shown until the reader closes it. Its values are written back on
    each run, so a closed group keeps them (Streamlit drops the value of a widget a run does
    not draw; ``seqviz.ui.tabs`` does the same). The container, or None when closed."""
    ss = st.session_state
    keep_widget_values(widget_key(key, n) for n in names)
    changed = any(ss.get(widget_key(key, n), _DEFAULTS[n]) != _DEFAULTS[n] for n in names)
    box, is_open = lazy_expander(label, f"{key}.details.{name}", open_now=changed,
                                 where=st.sidebar)
    return box if is_open else None


def settings() -> dict:
    """The settings a follower of a shared run sees (``seqviz.ui.share``), as on this page
    (the word2vec run and its map; the follower's map is always word2vec's)."""
    return {"corpus": (_("Corpus"), corpus_label),
            "algorithm": (_("Model"), {"skipgram": "skip-gram", "cbow": "CBOW"}.get),
            "objective": (_("Output layer"), lambda v: _(OBJECTIVE_NAMES[v])
                          if v in OBJECTIVE_NAMES else v),
            "embed_size": _("Embedding size E"), "window": _("Window (max words each side)"),
            "negatives": _("Negative samples k"),
            "subsample": (_("Subsampling threshold t"),
                          lambda v: _("off") if v == 0 else f"{v:g}"),
            "min_count": _("Minimum count"), "batch_size": _("Batch (pairs per step)"),
            "optimizer": _("Optimiser"), "lr": _("Learning rate"),
            "epochs": _("Passes over the corpus"), "seed": _("Seed"),
            "projection": (_("Projection"), {"tsne": "t-SNE", "pca": "PCA"}.get),
            "points": _("Points (most frequent first)"), "perplexity": _("t-SNE perplexity"),
            "colour": (_("Colour by"), lambda v: {"category": _("category"),
                                                  "frequency": _("frequency")}.get(v, v))}
