"""The language-model lesson (page 1): n-gram baselines against a recurrent LM trained live.

- ``config``      ``LMConfig``, the page's settings (URL round-trip, live fields marked)
- ``experiment``  config -> text data -> model -> trainer; validation perplexity, n-gram baselines
- ``decode``      greedy, temperature and top-k sampling; step functions for beam search

Shared pieces it builds on: ``seqviz.data`` (corpora, tokenising, batching), ``seqviz.models``
(the hand-written cells, ``LanguageModel``, ``NGramLM``), ``seqviz.train`` and the loss and
perplexity curves of ``seqviz.figures.training``.

This ``__init__`` re-exports nothing on purpose: importing
``seqviz.lm.figures`` stays free of torch.
"""
