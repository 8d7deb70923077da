import pytest

from seqviz.figures.beam import beam_tree_figure


def test_tree_figure_traces_and_layout():
    parents = [-1, -1, 0, 0, 1]
    fig = beam_tree_figure(parents, [1, 1, 2, 2, 2], ["a", "b", "c", "</s>", "d"],
                           [-0.1, -2.0, -0.5, -0.3, -2.2], [-0.1, -2.0, -0.25, -0.15, -1.1],
                           ["kept", "kept", "pruned", "finished", "kept"],
                           greedy=[0, 3], finals=[3, 4], best=3)
    names = {t.name for t in fig.data}
    assert {"kept in the beam", "pruned", "finished (end token)", "greedy path",
            "final beams", "start"} <= names
    pruned = next(t for t in fig.data if t.name == "pruned")
    assert list(pruned.text) == ["c"]
    assert fig.layout.xaxis.title.text == "output position"


def test_tree_figure_validates():
    with pytest.raises(ValueError, match="parents has 2"):
        beam_tree_figure([-1, 0], [1], ["a"], [0.0], [0.0], ["kept"])
    with pytest.raises(ValueError, match="unknown node status"):
        beam_tree_figure([-1], [1], ["a"], [0.0], [0.0], ["weird"])
