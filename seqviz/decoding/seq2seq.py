"""Seq2seq decoding problems for beam search: encode once, then advance N hypotheses at once.

The encoder state is computed for the single input and repeated per hypothesis; the decoder's
``decode_step`` takes all N alive hypotheses as one batch (Bahdanau et al. 2015; Luong et al.
2015), so a beam of width B costs one batched step per output position.
"""

from __future__ import annotations

import torch

from seqviz.attention.tasks import BOS, EOS, S2SData
from seqviz.data import tokenize
from seqviz.decoding.problem import SearchProblem, _readable
from seqviz.models.seq2seq import EncoderState, Seq2Seq


def s2s_problem(model: Seq2Seq, data: S2SData, text: str) -> SearchProblem:
    src = data.encode_src(text)
    device = model.device
    with torch.no_grad():
        ids = torch.tensor([src or [EOS]], device=device)  # an empty input reads just </s>
        enc = model.encode(ids, torch.tensor([ids.size(1)], device=device))
        state0 = (model.init_state(enc), None)

    views: dict[int, EncoderState] = {}

    def encoder_rows(n: int) -> EncoderState:
        """Every hypothesis reads the same input: (1, ...) expanded to (n, ...) views, no copy."""
        if n not in views:
            views[n] = EncoderState(enc.outputs.expand(n, -1, -1), enc.mask.expand(n, -1),
                                    enc.summary.expand(n, -1),
                                    None if enc.projected is None
                                    else enc.projected.expand(n, -1, -1))
        return views[n]

    def step(prev: torch.Tensor, state):
        dec = state[0]
        with torch.no_grad():
            log_probs, dec, _attn = model.decode_step(prev.to(device), dec,
                                                      encoder_rows(prev.size(0)))
        return log_probs.float().cpu(), (dec, None)

    def reorder(state, index: torch.Tensor):
        return state[0].index_select(index.to(device)), None

    def label(i: int) -> str:
        return "⏎" if i == EOS else _readable(data.tgt_vocab.itos[i])

    def encode_target(ref: str) -> list[int]:
        return data.encode_tgt(ref) + [EOS]

    unknown = len(data.unknown_tokens(text))
    return SearchProblem(step, reorder, state0, BOS, EOS, label,
                         lambda ids: data.decode_tgt([i for i in ids if i != EOS]),
                         encode_target, unknown,
                         lambda ref: sum(1 for t in tokenize(ref, data.level)
                                         if t not in data.tgt_vocab))
