"""The language model at a past training step: its sample and its next-token guesses, rebuilt
from the weights the run kept (``seqviz.engine.rewind``). ``sample_text`` is the sampling the
live run does (``LMExperiment.sample``), so a past step's sample, with the prompt, temperature
and seed the page had then, is the sample the page showed at that step."""

from __future__ import annotations

import torch

from seqviz.data import TextData, detokenize, tokenize
from seqviz.lm.decode import sample_lm
from seqviz.models.lm import LanguageModel


def sample_text(model: LanguageModel, data: TextData, prompt: str, length: int,
                temperature: float, seed: int, top_k: int = 0) -> tuple[str, int]:
    """Continue a typed prompt; (text, number of prompt tokens not in the vocabulary)."""
    tokens = tokenize(prompt, data.level)
    ids = data.vocab.encode(tokens)
    unknown = sum(1 for t in tokens if t not in data.vocab)
    new = sample_lm(model, ids, length, temperature=temperature, top_k=top_k, seed=seed)
    return detokenize(data.vocab.decode(new), data.level), unknown


@torch.no_grad()
def next_tokens(model: LanguageModel, data: TextData, prompt: str, k: int = 5
                ) -> list[tuple[str, float]]:
    """The k most likely tokens after the prompt, with their probabilities (temperature 1);
    empty for a prompt with no tokens."""
    ids = data.vocab.encode(tokenize(prompt, data.level))
    if not ids:
        return []
    logits, _ = model(torch.tensor([ids], dtype=torch.long, device=model.device))
    probs = torch.softmax(logits[0, -1].float(), dim=-1)
    top = torch.topk(probs, min(k, probs.numel()))
    return [(data.vocab.decode([int(i)])[0], float(p)) for p, i in zip(top.values, top.indices)]
