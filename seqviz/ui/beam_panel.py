"""The beam-search page's views: tree, node inspector, ranked finals, error analysis."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from seqviz.beam import BeamTree, Hypothesis, normalised
from seqviz.config import BeamConfig
from seqviz.figures.beam import beam_tree_figure, error_tally_figure
from seqviz.search_problem import SearchProblem, tally_by_width
from seqviz.search_problem import verdict as judge
from seqviz.ui.beam_sources import Source

TALLY_SIZES = (20, 50, 100, 200)


def tree_view(key: str, problem: SearchProblem, tree: BeamTree) -> int | None:
    """Draws the tree; returns the id of the node the user clicked, if any."""
    nodes = tree.nodes
    fig = beam_tree_figure(
        [n.parent for n in nodes], [n.step for n in nodes],
        [problem.label(n.token) for n in nodes], [n.logp for n in nodes],
        [n.score for n in nodes], [n.status for n in nodes],
        greedy=[n.id for n in tree.path(tree.greedy.node)] if tree.greedy.node >= 0 else [],
        finals=[h.node for h in tree.finals], best=tree.best.node,
        title=f"Search tree · B = {tree.beam_width}, α = {tree.alpha:g}, {len(nodes)} nodes")
    st.caption("Hover a node for its cumulative log P and normalised score; click it to see "
               "the model's next-token choices there. ⏎ is the end token.")
    event = st.plotly_chart(fig, key=f"{key}.tree", on_select="rerun", selection_mode="points")
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    for point in points:
        data = point.get("customdata")
        if data:
            return int(data[0])
    return None


def node_inspector(problem: SearchProblem, tree: BeamTree, node_id: int | None) -> None:
    st.subheader("Inspect a node")
    if node_id is None or node_id >= len(tree.nodes):
        st.caption("Click a node in the tree to see the model's top next tokens after it.")
        node_id = tree.best.node
        if node_id < 0:
            return
    path = tree.path(node_id)
    prefix = [n.token for n in path]
    node = path[-1]
    st.markdown(f"**Prefix:** `{problem.join(prefix) or '(empty)'}`  \n"
                f"log P = {node.logp:.3f} · normalised score = {node.score:.3f} · {node.status}")
    if problem.eos >= 0 and node.token == problem.eos:
        st.caption("This hypothesis is finished (end token).")
        return
    rows = [{"next token": problem.label(t), "probability": p}
            for t, p in problem.next_tokens(prefix, k=5)]
    st.dataframe(pd.DataFrame(rows), hide_index=True,
                 column_config={"probability": st.column_config.ProgressColumn(
                     "probability", min_value=0.0, max_value=1.0, format="%.3f")})


def _row(problem: SearchProblem, name: str, h: Hypothesis) -> dict:
    return {"decoder": name, "output": problem.join(list(h.tokens)),
            "length": len(h.tokens), "log P": round(h.logp, 3),
            "normalised score": round(h.score, 3), "finished": "yes" if h.finished else "no"}


def finals_view(problem: SearchProblem, tree: BeamTree, cfg: BeamConfig) -> None:
    st.subheader("Final hypotheses")
    by_score = [_row(problem, f"beam #{i + 1}", h) for i, h in enumerate(tree.finals)]
    by_logp = tree.ranked_by_logp()
    left, right = st.columns(2)
    left.markdown(f"**Ranked by normalised score** (log P / T^{cfg.alpha:g})")
    left.dataframe(pd.DataFrame(by_score), hide_index=True)
    right.markdown("**Ranked by raw log P** (no length normalisation)")
    right.dataframe(pd.DataFrame([_row(problem, f"beam #{tree.finals.index(h) + 1}", h)
                                  for h in by_logp]), hide_index=True)
    sample = problem.sample(cfg.max_len, cfg.temperature, cfg.seed)
    lp = problem.logp(sample)
    others = [_row(problem, "greedy", tree.greedy),
              _row(problem, f"sample (T = {cfg.temperature:g}, seed {cfg.seed})",
                   Hypothesis(tuple(sample), lp, normalised(lp, len(sample), cfg.alpha),
                              bool(sample) and sample[-1] == problem.eos, -1))]
    st.markdown("**Greedy and sampling**, for comparison")
    st.dataframe(pd.DataFrame(others), hide_index=True)


def error_analysis(problem: SearchProblem, tree: BeamTree, reference: str, cfg: BeamConfig
                   ) -> None:
    """Judges the tree already drawn (its best output), so no second search runs."""
    st.subheader("Error analysis: search error or model error?")
    if not reference.strip():
        st.caption("Type a reference output above to compare it with the beam's answer.")
        return
    ref = problem.encode_target(reference)
    verdict = judge(problem, ref, tree, cfg.alpha)
    hyp = problem.join(list(tree.best.tokens))
    cols = st.columns(3)
    cols[0].metric("log P(y* | x), reference", f"{verdict.ref_logp:.3f}",
                   help=f"normalised: {verdict.ref_score:.3f}")
    cols[1].metric("log P(ŷ | x), beam output", f"{verdict.hyp_logp:.3f}",
                   help=f"normalised: {verdict.hyp_score:.3f}")
    cols[2].metric("Verdict", verdict.kind)
    st.markdown(f"Beam output: `{hyp}` · reference: `{reference}`. {verdict.explanation}")


def tally_view(key: str, source: Source, cfg: BeamConfig) -> None:
    st.subheader("Over many examples")
    st.caption("Decodes held-out examples with several beam widths at this α and counts each "
               "kind of error, so you can see whether a wider beam would help.")
    cols = st.columns([1, 1, 2])
    n = cols[0].selectbox("Examples", TALLY_SIZES, index=1, key=f"{key}.tally_n")
    widths = sorted({1, 2, 3, 5, cfg.beam_width, 10})
    if cols[1].button("Run the tally", key=f"{key}.tally_go"):
        examples = source.examples(n, cfg.seed)
        if not examples:
            st.warning("This model has no held-out examples to analyse.")
            return
        bar = st.progress(0.0, text="Decoding…")
        pairs = ((p, p.encode_target(ref)) for p, ref in
                 ((source.problem(text), ref) for text, ref in examples))
        counts = tally_by_width(
            pairs, widths, cfg.max_len, cfg.alpha,
            progress=lambda i: bar.progress(i / len(examples), text=f"Decoded {i} of {n}"))
        bar.empty()
        st.session_state[f"{key}.tally"] = (source.name, cfg.alpha, n, counts)
    saved = st.session_state.get(f"{key}.tally")
    if saved and saved[0] == source.name:
        _, alpha, n_done, counts = saved
        st.plotly_chart(error_tally_figure(counts, alpha, n_done), key=f"{key}.tally_chart")
