"""What the beam-search page decodes with: a model turned into search problems, plus examples.

A ``Source`` turns a typed text into a ``SearchProblem`` and offers held-out (input, reference)
pairs for the error analysis. ``bundled_source`` loads a checkpoint shipped in
``seqviz/pretrained``; the UI wraps the same builders around this session's live models and
caches the bundled ones per process.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from seqviz.attention.checkpoint import load_s2s_payload
from seqviz.attention.tasks import S2SData, TaskSpec, build_task
from seqviz.checkpoint import load_lm, load_weights, pretrained_path, spec_from_dict
from seqviz.data import CORPORA, Vocab, load_corpus
from seqviz.decoding.problem import SearchProblem, lm_problem
from seqviz.decoding.seq2seq import s2s_problem
from seqviz.models.lm import LanguageModel
from seqviz.models.seq2seq import Seq2Seq, Seq2SeqSpec

DEFAULT_PROMPTS = {"python": "def ", "prose": "The ", "grammar": "the ", "grammar_zh": "国王"}
# Inputs the page opens with, where the first held-out example would teach less. Each is
# checked by tests/test_search_demos.py against what the bundled model really does.
DEMOS: dict[str, tuple[str, str]] = {
    # 11 digits, one more than the model was trained on: greedy search (B = 1) makes a search
    # error, a beam of 2 finds the true reversal
    "seq2seq_reverse": ("36862749534", "43594726863"),
}
DEMO_SOURCE = "seq2seq_reverse"  # what "auto" opens, when it is bundled


@dataclass
class Source:
    name: str
    kind: str  # "lm" | "seq2seq"
    task: str  # the corpus (LM) or task (seq2seq) name: data, shown through a name table
    problem: Callable[[str], SearchProblem]
    examples: Callable[[int, int], list[tuple[str, str]]]  # (n, seed) -> [(input, reference)]
    default_text: str

    def example(self, seed: int) -> tuple[str, str]:
        """The (input, reference) the page opens with: the source's demo, else a held-out one."""
        if self.name in DEMOS:
            return DEMOS[self.name]
        return (self.examples(1, seed) or [(self.default_text, "")])[0]


def held_out(text: str) -> str:
    """The held-out tail of a corpus (``build_text_data`` keeps the last tenth for validation)."""
    return text[int(len(text) * 0.9):]


def line_examples(text: str, level: str, n: int, seed: int) -> list[tuple[str, str]]:
    """Lines of 12-70 characters split into a prompt (first 40%) and the reference
    continuation; word level splits between words."""
    lines = [ln for ln in text.split("\n") if 12 <= len(ln) <= 70 and ln.strip()]
    random.Random(seed).shuffle(lines)
    out = []
    for line in lines[:n]:
        if level == "word":
            words = line.split(" ")
            cut = max(1, int(len(words) * 0.4))
            out.append((" ".join(words[:cut]) + " ", " ".join(words[cut:])))
        else:
            cut = max(1, int(len(line) * 0.4))
            out.append((line[:cut], line[cut:]))
    return out


def lm_source(name: str, model: LanguageModel, vocab: Vocab, level: str, corpus: str,
              val_text: str) -> Source:
    return Source(name, "lm", corpus,
                  problem=lambda text: lm_problem(model, vocab, level, text),
                  examples=lambda n, seed: line_examples(val_text, level, n, seed),
                  default_text=DEFAULT_PROMPTS.get(corpus, "the "))


def s2s_source(name: str, model: Seq2Seq, data: S2SData) -> Source:
    def examples(n: int, seed: int) -> list[tuple[str, str]]:
        start = (seed * 7919) % max(1, len(data.test))
        return (data.test[start:] + data.test[:start])[:n]

    return Source(name, "seq2seq", data.spec.name,
                  problem=lambda text: s2s_problem(model, data, text), examples=examples,
                  default_text=data.test[0][0] if data.test else "")


def bundled_source(name: str) -> Source:
    """A bundled checkpoint (``lm_*`` or ``seq2seq_*``) as a source; raises CheckpointError."""
    if name.startswith("seq2seq_"):
        payload = load_s2s_payload(pretrained_path(name))
        data = build_task(spec_from_dict(TaskSpec, payload["task"]))
        model = Seq2Seq(spec_from_dict(Seq2SeqSpec, payload["spec"]))
        load_weights(model, payload["state_dict"])
        return s2s_source(name, model.eval(), data)
    model, vocab, level, meta = load_lm(pretrained_path(name))
    corpus = meta.get("corpus", "prose")
    text = load_corpus(corpus) if corpus in CORPORA else ""
    return lm_source(name, model, vocab, level, corpus, held_out(text))
