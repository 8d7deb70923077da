"""Decoding from a language model: greedy, temperature and top-k sampling.

Sampling draws x_{t+1} ~ softmax(logits / tau): tau -> 0 approaches greedy argmax, tau = 1 is the
model's own distribution and tau > 1 flattens it (Ackley, Hinton and Sejnowski 1985 for the
Boltzmann temperature; Fan, Lewis and Dauphin 2018 for top-k truncation).
"""

from __future__ import annotations

import torch

from seqviz.models.lm import LanguageModel

GREEDY_BELOW = 1e-3  # temperatures below this are treated as greedy (argmax)


def next_token_distribution(logits: torch.Tensor, temperature: float, top_k: int = 0
                            ) -> torch.Tensor:
    """logits (V,) -> probabilities (V,) after temperature and top-k truncation."""
    if temperature < GREEDY_BELOW:
        probs = torch.zeros_like(logits, dtype=torch.float)
        probs[int(torch.argmax(logits))] = 1.0
        return probs
    scaled = logits.float() / temperature
    if 0 < top_k < scaled.numel():
        kth = torch.topk(scaled, top_k).values[-1]
        scaled = scaled.masked_fill(scaled < kth, float("-inf"))
    return torch.softmax(scaled, dim=-1)


@torch.no_grad()
def sample_lm(model: LanguageModel, prompt_ids: list[int], length: int, *,
              temperature: float = 1.0, top_k: int = 0, seed: int = 0) -> list[int]:
    """Continue ``prompt_ids`` by ``length`` tokens; returns only the new ids.

    An empty prompt starts from token 0 (``<unk>``) with a zero state. The feed-forward LM
    (``seqviz.models.fflm``) works the same way: its state is the last n-1 tokens. The
    generator is seeded, so the same model, prompt and settings give the same sample.
    """
    if length < 0:
        raise ValueError(f"length must be >= 0, got {length}")
    was_training = model.training
    model.eval()
    gen = torch.Generator().manual_seed(int(seed))
    ids = list(prompt_ids) or [0]
    run = model.run(torch.tensor([ids], device=model.device))  # logits (1, T, V)
    logits, state = run.logits[0, -1], run.state
    out: list[int] = []
    for _ in range(int(length)):
        probs = next_token_distribution(logits, temperature, top_k).cpu()
        token = int(torch.multinomial(probs, 1, generator=gen))
        out.append(token)
        run = model.run(torch.tensor([[token]], device=model.device), state)
        logits, state = run.logits[0, -1], run.state
    model.train(was_training)
    return out


def lm_search_fns(model: LanguageModel, prompt_ids: list[int]):
    """Adapters for ``seqviz.decoding.beam``: (step_fn, reorder, start state, start token).

    The prompt minus its last token primes the state; the last token is the "start" token the
    search conditions on. An empty prompt starts from ``<unk>`` (id 0) with a zero state.
    """
    ids = list(prompt_ids) or [0]
    device = model.device
    state = None
    if len(ids) > 1:
        with torch.no_grad():
            state = model.run(torch.tensor([ids[:-1]], device=device)).state

    def step(prev: torch.Tensor, state):
        with torch.no_grad():
            run = model.run(prev[:, None].to(device), state)  # logits (N, 1, V)
        return torch.log_softmax(run.logits[:, 0].float(), dim=-1), run.state

    def reorder(state, index: torch.Tensor):
        if hasattr(model, "reorder_state"):  # the feed-forward LM: its state is (N, W) ids
            return model.reorder_state(state, index)
        if state is None:
            return None
        index = index.to(device)
        if isinstance(state, tuple):  # LSTM (h, c), each (L, N, H)
            return tuple(s[:, index] for s in state)
        return state[:, index]

    return step, reorder, state, ids[-1]
