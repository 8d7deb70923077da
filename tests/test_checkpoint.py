import io
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from seqviz.checkpoint import CheckpointError, load_checkpoint, load_lm, save_checkpoint, save_lm
from seqviz.data import build_text_data
from seqviz.models.lm import LMSpec, build_lm
from tests.peak import PRINT_PEAK_MB


def _saved(tiny_text):
    data = build_text_data(tiny_text, "char")
    model = build_lm(LMSpec(vocab_size=len(data.vocab), embed_size=8, hidden_size=16,
                            cell="gru", num_layers=2), seed=3)
    buf = io.BytesIO()
    save_lm(buf, model, data.vocab, "char", meta={"corpus": "tiny"})
    return model, data, buf.getvalue()


def test_lm_round_trip(tiny_text):
    model, data, raw = _saved(tiny_text)
    loaded, vocab, level, meta = load_lm(raw)
    assert level == "char" and meta == {"corpus": "tiny"} and vocab == data.vocab
    x = torch.randint(0, len(vocab), (2, 7))
    torch.testing.assert_close(loaded(x)[0], model.eval()(x)[0])


@pytest.mark.parametrize("raw,msg", [(b"", "empty"),
                                     (b"\x00garbage" * 10, "not a seqviz checkpoint")])
def test_garbage_files(raw, msg):
    with pytest.raises(CheckpointError, match=msg):
        load_lm(raw)


def test_wrong_kind_and_wrong_shapes(tiny_text):
    model, data, raw = _saved(tiny_text)
    buf = io.BytesIO()
    save_checkpoint(buf, "seq2seq", {}, {})
    with pytest.raises(CheckpointError, match="saved on the “Language model” page"):
        load_lm(buf.getvalue())
    payload = load_checkpoint(io.BytesIO(raw), "lm")
    payload["spec"]["hidden_size"] = 32
    buf = io.BytesIO()
    torch.save(payload, buf)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_lm(buf.getvalue())


def test_pickled_objects_are_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"format": "seqviz/1", "kind": "lm", "x": Evil()}, path)
    with pytest.raises(CheckpointError):
        load_lm(path)


def _lm_payload(tiny_text, **spec_changes):
    model, data, raw = _saved(tiny_text)
    payload = torch.load(io.BytesIO(raw), weights_only=True)
    payload["spec"].update(spec_changes)
    buf = io.BytesIO()
    torch.save(payload, buf)
    return buf.getvalue()


@pytest.mark.parametrize("change, words", [
    ({"hidden_size": 8000}, "hidden_size = 8,000 is outside"),
    ({"num_layers": 50}, "num_layers = 50 is outside"),
    ({"embed_size": -3}, "embed_size = -3 is outside"),
    ({"hidden_size": "128"}, "must be a whole number"),
    ({"cell": "transformer"}, "cell 'transformer' is not one of"),
    ({"dropout": 2.0}, "dropout 2.0 is not a number"),
])
def test_out_of_bound_specs_are_refused_before_anything_is_built(tiny_text, change, words):
    with pytest.raises(CheckpointError, match="out of bounds") as err:
        load_lm(_lm_payload(tiny_text, **change))
    assert words in str(err.value)


def test_a_spec_within_each_bound_but_too_many_parameters_is_refused(tiny_text):
    big = _lm_payload(tiny_text, embed_size=1024, hidden_size=1024, num_layers=4)
    with pytest.raises(CheckpointError, match="parameters; this server loads at most"):
        load_lm(big)


def test_weights_that_do_not_fit_are_named_completely(tiny_text):
    model, data, raw = _saved(tiny_text)
    payload = torch.load(io.BytesIO(raw), weights_only=True)
    payload["state_dict"] = {}
    buf = io.BytesIO()
    torch.save(payload, buf)
    with pytest.raises(CheckpointError) as err:
        load_lm(buf.getvalue())
    msg = str(err.value)
    assert "missing" in msg and "embed.weight" in msg and msg.endswith(".")
    assert "Error(s) in loading" not in msg


def test_oversized_spec_stays_within_memory_in_a_subprocess(tiny_text, tmp_path):
    """Issue 15's 3 kB file (hidden_size 8000, empty weights) is refused with little memory:
    the whole load, torch import included, peaks under 600 MB."""
    path = tmp_path / "big.pt"
    model, data, raw = _saved(tiny_text)
    payload = torch.load(io.BytesIO(raw), weights_only=True)
    payload["spec"].update(hidden_size=8000, embed_size=8000, vocab_size=len(data.vocab))
    payload["state_dict"] = {}
    torch.save(payload, path)
    code = ("from seqviz.checkpoint import load_lm, CheckpointError\n"
            f"try:\n    load_lm(open({str(path)!r}, 'rb').read())\n"
            "except CheckpointError as e:\n    print('refused:', e)\n"
            + PRINT_PEAK_MB)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert "refused:" in out.stdout, out.stdout + out.stderr
    peak = int(out.stdout.split("peak")[-1])
    assert peak < 600, f"{peak} MB"
