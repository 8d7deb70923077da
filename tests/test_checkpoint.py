import io

import pytest
import torch

from seqviz.checkpoint import CheckpointError, load_checkpoint, load_lm, save_checkpoint, save_lm
from seqviz.data import build_text_data
from seqviz.models.lm import LMSpec, build_lm


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


@pytest.mark.parametrize("raw,msg", [(b"", "not a seqviz checkpoint"),
                                     (b"\x00garbage" * 10, "not a seqviz checkpoint")])
def test_garbage_files(raw, msg):
    with pytest.raises(CheckpointError, match=msg):
        load_lm(raw)


def test_wrong_kind_and_wrong_shapes(tiny_text):
    model, data, raw = _saved(tiny_text)
    buf = io.BytesIO()
    save_checkpoint(buf, "seq2seq", {}, {})
    with pytest.raises(CheckpointError, match="'seq2seq'"):
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
