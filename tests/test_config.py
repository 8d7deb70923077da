import dataclasses

import pytest

from seqviz.config import check, from_query, live_fields, rebuild_changes, to_query
from seqviz.lm.config import LMConfig


def test_round_trip_default_and_changed():
    for cfg in [LMConfig(), LMConfig(corpus="python", cell="gru", hidden_size=256, lr=0.01,
                                     clip="value", clip_threshold=0.5, seed=1234)]:
        back, notices = from_query(LMConfig, to_query(cfg))
        assert back == cfg and notices == []


def test_seed_is_in_the_link():
    assert to_query(LMConfig(seed=99))["seed"] == "99"


def test_unknown_keys_ignored_silently():
    cfg, notices = from_query(LMConfig, {"foo": "bar", "cell": "gru"})
    assert cfg == LMConfig(cell="gru") and notices == []


@pytest.mark.parametrize("key,raw", [("cell", "transformer"), ("hidden_size", "abc"),
                                     ("hidden_size", "100000"), ("lr", "nan"), ("lr", "-1"),
                                     ("seed", "1.5"), ("batch_size", "1e400"), ("lr", "")])
def test_bad_values_fall_back_with_notice(key, raw):
    cfg, notices = from_query(LMConfig, {key: raw, "seed": "7"} if key != "seed" else {key: raw})
    assert getattr(cfg, key) == getattr(LMConfig(), key)
    assert len(notices) == 1 and key in notices[0]


def test_list_values_take_last():
    cfg, _ = from_query(LMConfig, {"cell": ["rnn", "gru"]})
    assert cfg.cell == "gru"


def test_live_vs_rebuild_fields():
    assert live_fields(LMConfig) == {"lr", "clip", "clip_threshold", "temperature"}
    old = LMConfig()
    assert rebuild_changes(old, dataclasses.replace(old, lr=0.1, temperature=1.5)) == []
    assert rebuild_changes(old, dataclasses.replace(old, hidden_size=64, seed=3)) == \
        ["hidden_size", "seed"]


def test_check_reports_out_of_range():
    assert check(LMConfig()) == []
    assert check(dataclasses.replace(LMConfig(), num_layers=9))


def test_check_reports_a_value_of_the_wrong_type_instead_of_raising():
    """A widget that returns its label (Streamlit's select box given a label no option has)
    must give a refused config, not a TypeError in a callback."""
    problems = check(dataclasses.replace(LMConfig(), num_layers="layer 1"))
    assert problems == ["num_layers='layer 1' is not a number"]


def test_a_long_bad_value_is_quoted_cut_with_an_ellipsis():
    from seqviz.config import clipped

    assert clipped("short") == "short" and clipped("x" * 40) == "x" * 40
    assert clipped("x" * 41) == "x" * 40 + "…" and clipped("fr" * 20, 20) == "fr" * 10 + "…"
    _cfg, notices = from_query(LMConfig, {"cell": "y" * 5000})
    assert "y" * 40 + "…" in notices[0] and "y" * 41 not in notices[0]
