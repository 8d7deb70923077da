"""Data layer: built-in corpora and uploads, tokenisation, vocabulary, batching.

Plain Python + PyTorch; no Streamlit (see DESIGN.md §2).
"""

from seqviz.data.batching import (
    BatchSampler,
    TextData,
    build_text_data,
    eval_batches,
    min_tokens,
    split_ids,
)
from seqviz.data.corpora import CORPORA, CORPUS_NAMES, CorpusError, decode_upload, load_corpus
from seqviz.data.grammar import (
    ANALOGIES,
    CATEGORIES,
    GENDER_PAIRS,
    PLURAL_PAIRS,
    generate_grammar_corpus,
    word_category,
)
from seqviz.data.tokenize import LEVELS, detokenize, tokenize
from seqviz.data.vocab import Vocab

__all__ = [
    "ANALOGIES",
    "CATEGORIES",
    "CORPORA",
    "CORPUS_NAMES",
    "GENDER_PAIRS",
    "LEVELS",
    "PLURAL_PAIRS",
    "BatchSampler",
    "CorpusError",
    "TextData",
    "Vocab",
    "build_text_data",
    "decode_upload",
    "detokenize",
    "eval_batches",
    "generate_grammar_corpus",
    "load_corpus",
    "min_tokens",
    "split_ids",
    "tokenize",
    "word_category",
]
