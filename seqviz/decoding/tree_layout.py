"""Where the search tree's nodes go: one column per output position, bounded in height.

Stacking every leaf on its own row (a plain depth-first layout) makes a tree as tall as it has
leaves: a language model decoding 30 tokens with B = 3 and three children drawn per hypothesis
has about 180 pruned leaves, i.e. a chart over 4,500 px tall. This layout gives each node a row
only within its own column (its output position), as layered graph drawings do (Sugiyama et al.
1981): a column holds at most B x (children drawn) nodes, however long the output.

Within a column, nodes keep their parents' order (so no two edges cross) and siblings keep their
rank (the most likely on top); each node sits as close to where it would like to be (the most
likely child level with its parent, its siblings stacked below) as the minimum gaps allow: a
weighted isotonic regression (pool adjacent violators) that weighs live nodes more than pruned
ones, so the beam's paths run as straight as the room allows.
"""

from __future__ import annotations

from typing import Sequence


def _isotonic(values: Sequence[float], weights: Sequence[float]) -> list[float]:
    """The non-decreasing sequence closest to ``values`` in weighted squared error (PAV)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for v, w in zip(values, weights):
        blocks.append([v, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, n2 = blocks.pop()
            m1, w1, n1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    out: list[float] = []
    for mean, _w, count in blocks:
        out += [mean] * int(count)
    return out


def _place_column(ids: list[int], want: list[float], gaps: list[float], weights: list[float],
                  anchors: list[bool]) -> dict[int, float]:
    """Rows for one column's nodes (already in order): at least ``gaps[i]`` apart from the
    previous one, as close to ``want`` as possible, then shifted so that the anchored nodes
    sit on their wanted rows on average (else pushes from pruned nodes would move the beam's
    paths a little every column, and the tree would drift off diagonally)."""
    offset = [0.0]
    for g in gaps[1:]:
        offset.append(offset[-1] + g)
    fitted = [f + o for f, o in zip(_isotonic([w - o for w, o in zip(want, offset)], weights),
                                    offset)]
    moved = [f - w for f, w, a in zip(fitted, want, anchors) if a]
    shift = sum(moved) / len(moved) if moved else 0.0
    return {i: f - shift for i, f in zip(ids, fitted)}


def layered_layout(parents: Sequence[int], steps: Sequence[int], ranks: Sequence[float],
                   heights: Sequence[float], weights: Sequence[float],
                   anchors: Sequence[bool] | None = None) -> list[float]:
    """Row (downwards, in units of one labelled row) of every node.

    ``parents[i]`` is -1 for children of the start (at row 0, column 0) and otherwise a node of
    the previous column; ``ranks`` order siblings (smaller = higher); ``heights`` is the room a
    node needs (1 = a labelled row); ``weights`` how strongly it stays near its wanted row;
    ``anchors`` the nodes that keep their wanted rows on average (the beam's own; default all).
    """
    n = len(parents)
    children: dict[int, list[int]] = {}
    for i in range(n):
        children.setdefault(parents[i], []).append(i)
    row: dict[int, float] = {-1: 0.0}
    for step in sorted(set(steps)):
        column = [i for i in range(n) if steps[i] == step]
        column.sort(key=lambda i: (row[parents[i]], ranks[i], i))
        want, gaps = [], []
        for k, i in enumerate(column):
            sibs = sorted(children[parents[i]], key=lambda j: (ranks[j], j))
            before = sum(heights[j] for j in sibs[:sibs.index(i)])
            # the most likely child level with its parent, the others stacked below it
            want.append(row[parents[i]] + before + (heights[i] - heights[sibs[0]]) / 2)
            gaps.append(0.0 if k == 0 else (heights[column[k - 1]] + heights[i]) / 2)
        row.update(_place_column(column, want, gaps, [weights[i] for i in column],
                                 [anchors is None or anchors[i] for i in column]))
    return [row[i] for i in range(n)]
