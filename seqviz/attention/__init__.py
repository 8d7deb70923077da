"""The attention lesson (page 5): sequence-to-sequence models with and without attention.

- ``tasks``       generated tasks (dates, reversal, sorting, toy translation) and their vocabulary
- ``generators``  the example generators behind those tasks
- ``experiment``  ``S2SConfig`` and ``S2SExperiment``: config -> task -> model -> trainer, snapshots
- ``checkpoint``  bundled seq2seq checkpoints: listing, loading, their configs
- ``study``       the long-input study: accuracy vs input length with and without attention
- ``live``        engine runs (training in a worker) and the page's server-side handles
- ``bleu``        corpus BLEU through sacrebleu, and exact match
- ``figures``     the attention heatmap, sharpness, held-out metrics, accuracy vs length

This ``__init__`` re-exports nothing on purpose: importing
``seqviz.attention.figures`` stays free of torch.
"""
