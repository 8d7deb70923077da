"""The sequence-tasks lecture: valid setups, and every measured answer measured again."""

from __future__ import annotations

import pytest

from seqviz.config import from_query
from seqviz.lecture import check_steps
from seqviz.seqtasks import analysis
from seqviz.seqtasks.config import SeqTaskConfig
from seqviz.seqtasks.corpora import RIGHT_CONTEXT_TAGS, TAGS
from seqviz.seqtasks.experiment import SeqTaskExperiment, tag_report
from seqviz.seqtasks.lecture import STEPS


def test_steps_are_valid_setups():
    assert check_steps(STEPS, SeqTaskConfig) == []


@pytest.mark.parametrize("i", range(len(STEPS)), ids=[f"step{i + 1}" for i in range(len(STEPS))])
def test_answer_is_what_the_setup_does(i):
    step = STEPS[i]
    cfg, notices = from_query(SeqTaskConfig, dict(step.params))
    assert not notices
    exp = SeqTaskExperiment.build(cfg)
    m = step.extra
    ev = exp.train_to(m["steps"], 200)
    assert ev.val_acc == pytest.approx(m["val_acc"], abs=0.002)
    if "train_acc" in m:
        assert ev.train_acc == pytest.approx(m["train_acc"], abs=0.002)
    if "bag_of_words" in m:
        assert analysis.bag_of_words_accuracy(exp.data) == pytest.approx(m["bag_of_words"],
                                                                         abs=0.002)
    if "det_pl" in m:
        _m, per_tag = tag_report(exp.model, exp.data)
        assert per_tag[TAGS.index("det-pl")] == pytest.approx(m["det_pl"], abs=0.002)
        y = analysis.gold(exp.data, exp.data.val)
        sel = [t in [TAGS.index(x) for x in RIGHT_CONTEXT_TAGS] for t in y]
        pred = analysis.predict(exp.model, exp.data, exp.data.val)
        right = (pred[sel] == y[sel]).mean()
        assert right == pytest.approx(m["right_context"], abs=0.002)
