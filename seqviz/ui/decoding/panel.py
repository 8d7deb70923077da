"""The beam-search page's views of one search: the tree, the node inspector, the finals."""

from __future__ import annotations

from typing import Hashable

import streamlit as st

from seqviz.decoding.beam import BeamTree, Hypothesis, normalised
from seqviz.decoding.config import BeamConfig
from seqviz.decoding.figures import beam_tree_figure
from seqviz.decoding.problem import SearchProblem
from seqviz.decoding.study_figures import next_token_figure
from seqviz.i18n import N_, _
from seqviz.ui.live import memo
from seqviz.ui.chart import chart
from seqviz.ui.tables import table

STATUS_NAMES = {"kept": N_("kept in the beam"), "pruned": N_("pruned"),
                "finished": N_("finished (end token)"), "greedy": N_("greedy only (left the beam)")}
FINISHED_NAMES = {"shrink": N_("the beam shrinks"), "keep": N_("the beam refills")}


def tree_title(tree: BeamTree) -> str:
    return _("Search tree · B = {width}, α = {alpha}, {rule} · {n} nodes").format(
        width=tree.beam_width, alpha=f"{tree.alpha:g}", rule=_(FINISHED_NAMES[tree.finished]),
        n=len(tree.nodes))


def _tree_figure(problem: SearchProblem, tree: BeamTree):
    nodes = tree.nodes
    return beam_tree_figure(
        [n.parent for n in nodes], [n.step for n in nodes],
        [problem.label(n.token) for n in nodes], [n.logp for n in nodes],
        [n.score for n in nodes], [n.status for n in nodes],
        greedy=[n.id for n in tree.path(tree.greedy.node)] if tree.greedy.node >= 0 else [],
        finals=[h.node for h in tree.finals], best=tree.best.node, title=tree_title(tree))


def tree_view(key: str, problem: SearchProblem, tree: BeamTree, tag: Hashable) -> int | None:
    """Draws the tree (built once per ``tag``); returns the id of the clicked node, if any."""
    fig = memo(f"{key}.tree_fig", tag, lambda: _tree_figure(problem, tree))
    st.caption(_("Hover a node for its cumulative log P and normalised score; click it to see "
                 "the model's next-token choices there. ⏎ is the end token."))
    event = chart(fig, key=f"{key}.tree", on_select="rerun")
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    for point in points:
        data = point.get("customdata")
        if data:
            return int(data[0])
    return None


def node_inspector(key: str, problem: SearchProblem, tree: BeamTree, node_id: int | None,
                   tag: Hashable) -> None:
    """The clicked node (else the best final): its prefix, scores and the model's top next
    tokens there (``tag``: what the tree was built from)."""
    st.subheader(_("Inspect a node"))
    if node_id is None or node_id >= len(tree.nodes):
        st.caption(_("Click a node in the tree to see the model's top next tokens after it. "
                     "Shown: the best final."))
        node_id = tree.best.node
        if node_id < 0:
            return
    path = tree.path(node_id)
    prefix = [n.token for n in path]
    node = path[-1]
    st.markdown(_("**Prefix**: {prefix}").format(prefix=code_text(problem.join(prefix)) or
                                                 _("(empty)")))
    st.markdown(_("log P = {logp} · normalised score = {score} · {status}").format(
        logp=f"{node.logp:.3f}", score=f"{node.score:.3f}", status=_(STATUS_NAMES[node.status])))
    if problem.eos >= 0 and node.token == problem.eos:
        st.caption(_("This hypothesis is finished (end token)."))
        return
    top = problem.next_tokens(prefix, k=5)
    fig = memo(f"{key}.next_fig", (tag, node_id), lambda: next_token_figure(
        [problem.label(t) for t, _p in top], [p for _t, p in top]))
    chart(fig, key=f"{key}.next")


def code_text(text: str) -> str:
    """Model output as inline code (a backtick inside would end it early)."""
    return f"`{text.replace('`', 'ˋ')}`" if text else ""


def _row(problem: SearchProblem, h: Hypothesis) -> dict:
    return {_("output"): problem.join(list(h.tokens)), _("length T"): len(h.tokens),
            "log P": h.logp, _("score"): h.score,
            _("finished"): _("yes") if h.finished else _("no")}


def _drawn(problem: SearchProblem, cfg: BeamConfig) -> tuple[list[int], float]:
    sample = problem.sample(cfg.max_len, cfg.temperature, cfg.seed)
    return sample, problem.logp(sample)


def finals_view(key: str, problem: SearchProblem, tree: BeamTree, cfg: BeamConfig,
                tag: Hashable) -> None:
    """The finals ranked by the objective, with their rank by raw log P beside it; greedy
    search and one sample below, for comparison (``tag``: what the problem was built from;
    the sample is drawn once per tag and sampling setting, not on every rerun)."""
    st.subheader(_("Final hypotheses"))
    by_logp = {id(h): i + 1 for i, h in enumerate(tree.ranked_by_logp())}
    rows = [{_("rank"): i + 1, **_row(problem, h), _("rank by log P"): by_logp[id(h)]}
            for i, h in enumerate(tree.finals)]
    st.markdown(_("Ranked by the normalised score log P / T^{alpha} (T counts the end token); "
                  "the last column ranks them by raw log P, which favours short outputs.")
                .format(alpha=f"{cfg.alpha:g}"))
    table(rows)  # markdown: it wraps instead of cutting a column, three decimals
    sample, lp = memo(f"{key}.sample", (tag, cfg.max_len, cfg.temperature, cfg.seed),
                      lambda: _drawn(problem, cfg))
    drawn = Hypothesis(tuple(sample), lp, normalised(lp, len(sample), cfg.alpha),
                       bool(sample) and sample[-1] == problem.eos, -1)
    others = [{_("decoder"): _("greedy"), **_row(problem, tree.greedy)},
              {_("decoder"): _("sample (temperature {t}, seed {seed})").format(
                  t=f"{cfg.temperature:g}", seed=cfg.seed), **_row(problem, drawn)}]
    st.markdown(_("**Greedy search and sampling**, for comparison"))
    table(others)
