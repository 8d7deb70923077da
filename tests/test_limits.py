"""Bounds before cost: the upload limit Streamlit enforces matches the app's, vocabularies are
capped, and an oversized text never reaches the tokeniser."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from seqviz import limits
from seqviz.data import CorpusError, build_text_data, decode_upload

ROOT = Path(__file__).resolve().parents[1]


def test_streamlit_upload_limit_is_the_apps_largest():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == limits.MAX_UPLOAD_MB
    assert limits.MAX_UPLOAD_MB * limits.MB >= max(limits.MAX_TEXT_BYTES,
                                                   limits.MAX_CHECKPOINT_BYTES)


def test_a_text_of_thirty_thousand_distinct_characters_gets_a_capped_vocabulary():
    chars = [chr(0x4E00 + i) for i in range(30_000)]
    text = "".join(c * (1 + (i % 7 == 0)) for i, c in enumerate(chars)) + "的" * 50_000
    data = build_text_data(text, "char")
    assert len(data.vocab) == limits.MAX_CHAR_VOCAB
    assert data.dropped_types > 20_000 and 0 < data.dropped_share < 0.5
    assert int(data.train.max()) < limits.MAX_CHAR_VOCAB


def test_a_small_text_drops_nothing():
    data = build_text_data("abcabc " * 100, "char")
    assert data.dropped_types == 0 and data.dropped_share == 0.0


def test_oversized_text_is_refused_before_decoding():
    with pytest.raises(CorpusError, match="too large"):
        decode_upload(b"\xff" * (limits.MAX_TEXT_BYTES + 1))
