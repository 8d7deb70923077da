"""Bad input, page by page: links with wrong, huge, negative, non-finite, full-width, very long,
repeated and unknown values, and every kind of bad upload. Nothing raises on the page, every
refused value is named in a complete notice, and the experiment runs on valid settings.
(Uploads are checked where they are decoded and loaded; the browser test drives the widgets.)"""

from __future__ import annotations

import dataclasses
import io
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from seqviz.checkpoint import CheckpointError, load_lm, save_lm
from seqviz.config import check
from seqviz.data import CorpusError, build_text_data, decode_upload
from seqviz.limits import MAX_TEXT_BYTES
from seqviz.models.lm import LMSpec, build_lm
from tests.apptest_utils import run_page
from tests.peak import PRINT_PEAK_MB

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"pages/1_Language_Model.py": "lm", "pages/2_Hidden_States.py": "hs",
         "pages/3_Gradient_Flow.py": "gf", "pages/4_Clipping.py": "clip",
         "pages/5_Attention.py": "att", "pages/6_Beam_Search.py": "beam",
         "pages/7_Embeddings.py": "emb", "pages/8_Sequence_Tasks.py": "seq",
         "pages/9_Time_Series.py": "ts", "pages/10_CTC.py": "ctc"}
LONG = "x" * 10_000

# Bad values by the type of the field they are given to (each run uses one column).
BAD = {
    int: ["１２", "1e2", "-99999999999999999999999", "nan", "3.5", LONG, ""],
    float: ["nan", "inf", "1e309", "-1e300", "０.５", LONG, "0x10"],
    str: [LONG, "<script>alert(1)</script>", "../../etc/passwd", "\x00", "ümlaut" * 50,
          "DROP TABLE", " "],
    bool: ["maybe", LONG, "2", "-1", "yes please", "nan", ""],
}


def _config_type(at, key):
    return type(at.session_state[f"{key}.config"])


def _field_type(value):
    return bool if isinstance(value, bool) else type(value)


@pytest.mark.parametrize("column", range(len(BAD[int])))
@pytest.mark.parametrize("page", list(PAGES))
def test_a_link_full_of_bad_values_opens_with_notices_and_valid_settings(page, column):
    key = PAGES[page]
    cls = _config_type(run_page(page), key)
    defaults = cls()
    query = {f.name: BAD[_field_type(getattr(defaults, f.name))][column]
             for f in dataclasses.fields(cls)}
    query["no_such_setting"] = "1"
    first = dataclasses.fields(cls)[0].name
    query[first] = [query[first], "also bad ✗"]  # a repeated key: the last one counts
    at = run_page(page, query=query)
    assert not at.exception
    cfg = at.session_state[f"{key}.config"]
    assert check(cfg) == []  # whatever was refused, the page runs on valid settings
    for f in dataclasses.fields(cls):
        value = getattr(cfg, f.name)
        if isinstance(value, str):  # every text cap holds for link values too
            assert len(value) <= 500, (f.name, len(value))
    notices = " ".join(str(w.value) for w in at.warning)
    refused = [f.name for f in dataclasses.fields(cls)
               if getattr(cfg, f.name) != _parsed(cls, f.name, query[f.name])]
    for name in refused:  # each refused value is named: by its parameter or by the value
        raw = query[name][-1] if isinstance(query[name], list) else query[name]
        assert f"{name}=" in notices or raw[:20] in notices or repr(raw[:20]) in notices, \
            (name, notices[:500])
    assert "no_such_setting" not in notices  # unknown keys: ignored quietly


def _parsed(cls, name, raw):
    from seqviz.config import from_query

    cfg, _notices = from_query(cls, {name: raw})
    return getattr(cfg, name)


# ---- uploads: text -------------------------------------------------------------------------
GBK = "循环神经网络是一类以序列数据为输入的神经网络。长短期记忆网络是一种循环神经网络。\n" * 4


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"a", "too short"),
    (b" \n\t \n", "white space"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "not text"),
    (pickle.dumps({"weights": list(range(100))}, protocol=4), "not text"),
    (b"PK\x03\x04" + b"\x00" * 500, "not text"),
    (bytes(range(1, 9)) * 200, "not text"),
    (b"a" * (MAX_TEXT_BYTES + 1), "too large"),
])
def test_bad_text_uploads_get_a_complete_message(data, words):
    with pytest.raises(CorpusError) as err:
        build_text_data(decode_upload(data), "char")
    msg = str(err.value)
    assert words in msg and msg.rstrip().endswith(".") and len(msg) > 30


@pytest.mark.parametrize("text, encoding", [(GBK, "gbk"), (GBK, "gb18030"),
                                            ("Größe und Übung. " * 20, "latin-1")])
def test_text_in_legacy_encodings_is_read(text, encoding):
    assert decode_upload(text.encode(encoding)) == text


def test_a_truncated_utf8_upload_is_still_text():
    data = ("循环神经网络" * 200).encode("utf-8")[:-1]  # cut inside the last character
    text = decode_upload(data)
    assert text.startswith("循环神经网络")


# ---- uploads: checkpoints ------------------------------------------------------------------
def _checkpoint() -> bytes:
    data = build_text_data("the cat sat on the mat. " * 40, "char")
    model = build_lm(LMSpec(vocab_size=len(data.vocab), embed_size=8, hidden_size=16), seed=0)
    buf = io.BytesIO()
    save_lm(buf, model, data.vocab, "char")
    return buf.getvalue()


class _Evil:
    def __reduce__(self):
        return (Path.touch, (Path("/tmp/seqviz-pwned"),))


def _payload(**changes) -> bytes:
    payload = torch.load(io.BytesIO(_checkpoint()), weights_only=True)
    payload.update(changes)
    buf = io.BytesIO()
    torch.save(payload, buf)
    return buf.getvalue()


@pytest.mark.parametrize("make, words", [
    (lambda: b"", "empty"),
    (lambda: b"x", "not a seqviz checkpoint"),
    (lambda: _checkpoint()[: len(_checkpoint()) // 2], "not a seqviz checkpoint"),
    (lambda: pickle.dumps({"format": "seqviz/1"}), "not a seqviz checkpoint"),
    (lambda: torch.save({"a": torch.zeros(3)}, buf := io.BytesIO()) or buf.getvalue(),
     "format tag"),
    (lambda: _payload(state_dict={"rnn.weight": torch.zeros(2, 2)}), "do not fit"),
    (lambda: _payload(spec={"vocab_size": 10, "hidden_size": 8000}), "out of bounds"),
    (lambda: _payload(kind="seq2seq"), "opens checkpoints saved on the “Language model” page"),
    (lambda: "this is a text file, not a checkpoint".encode(), "not a seqviz checkpoint"),
])
def test_bad_checkpoints_get_a_complete_message(make, words):
    with pytest.raises(CheckpointError) as err:
        load_lm(make())
    msg = str(err.value)
    assert words in msg and msg.rstrip().endswith(".") and "Error(s)" not in msg


def test_a_malicious_pickle_runs_nothing():
    marker = Path("/tmp/seqviz-pwned")
    marker.unlink(missing_ok=True)
    buf = io.BytesIO()
    torch.save({"format": "seqviz/1", "kind": "lm", "evil": _Evil()}, buf)
    with pytest.raises(CheckpointError):
        load_lm(buf.getvalue())
    assert not marker.exists()


def test_an_oversized_upload_is_refused_with_little_memory(tmp_path):
    """A long text just under the upload limit, with a huge alphabet, builds its data within
    the memory bound (the vocabulary cap holds before a tensor the size of V is made)."""
    path = tmp_path / "big.txt"
    chars = "".join(chr(0x4E00 + i % 20_000) for i in range(1_600_000))  # ~4.8 MB of UTF-8
    path.write_bytes(chars.encode("utf-8"))
    code = ("from seqviz.data import decode_upload, build_text_data\n"
            f"d = build_text_data(decode_upload(open({str(path)!r}, 'rb').read()), 'char')\n"
            "print('vocab', len(d.vocab), 'dropped', d.dropped_types)\n"
            + PRINT_PEAK_MB)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert "vocab 3000" in out.stdout, out.stdout + out.stderr
    assert int(out.stdout.split("peak")[-1]) < 600
