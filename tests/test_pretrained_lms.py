"""Every bundled language model beats the 5-gram on its held-out text, as its metadata says.

The hidden-states page prints each model's held-out perplexity next to the best n-gram's: a
bundled model that loses would teach that the RNN loses. Both are measured again here, on the
first 8192 validation tokens (what the language-model page and the n-gram baselines use)."""

from __future__ import annotations

import pytest
import torch

from seqviz.checkpoint import list_pretrained, load_lm, pretrained_path
from seqviz.data import build_text_data, load_corpus
from seqviz.lm.experiment import fit_baselines, lm_perplexity, val_slice

NAMES = list_pretrained("lm")


def test_there_is_a_bundled_model_per_language():
    assert {"lm_python", "lm_prose", "lm_grammar_zh"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_bundled_lm_beats_the_5gram_on_held_out_text(name):
    model, vocab, level, meta = load_lm(pretrained_path(name))
    data = build_text_data(load_corpus(meta["corpus"]), level)
    assert data.vocab == vocab  # the corpus still gives the checkpoint's vocabulary
    with torch.no_grad():
        ppl = lm_perplexity(model, val_slice(data), meta["seq_len"])
    (five,) = fit_baselines(data, orders=(5,))
    assert ppl == pytest.approx(meta["val_perplexity"], abs=0.005)
    assert five.perplexity == pytest.approx(meta["ngram_perplexity"]["5-gram (Kneser-Ney)"],
                                            abs=0.005)
    assert ppl < five.perplexity, f"{name}: {ppl:.3f} does not beat the 5-gram's " \
                                  f"{five.perplexity:.3f}"
    assert pretrained_path(name).stat().st_size < 5_000_000  # small enough to ship


@pytest.mark.parametrize("name", NAMES)
def test_checkpoints_are_state_dicts_with_plain_metadata(name):
    """weights_only loading (no pickled objects) is what load_lm uses; the payload holds only
    tensors, strings, numbers, lists and dicts."""
    payload = torch.load(pretrained_path(name), map_location="cpu", weights_only=True)

    def plain(x) -> bool:
        if isinstance(x, dict):
            return all(isinstance(k, str) and plain(v) for k, v in x.items())
        if isinstance(x, (list, tuple)):
            return all(plain(v) for v in x)
        return isinstance(x, (str, int, float, bool, type(None), torch.Tensor))

    assert plain(payload)
    assert all(isinstance(v, torch.Tensor) for v in payload["state_dict"].values())
