"""The CTC lesson (page 10): connectionist temporal classification on generated "speech".

- ``tasks``       the generated speech task: symbols spoken as runs of noisy frames, silences
- ``ctc``         the blank, the collapse rule, the trellis: forward / backward variables, loss
- ``decode``      best path, prefix beam search, brute force, label error rate, typed paths
- ``config``      ``CTCConfig``, the page's config (URL round trip)
- ``experiment``  the bidirectional LSTM trained with CTC, held-out evaluation, the probe
- ``live``        the engine run (training in a worker) and the page's server-side handle
- ``figures``     posteriors, the trellis with alpha and best paths, label error rate
- ``lecture``     the page's lecture steps

This ``__init__`` re-exports nothing on purpose: importing ``seqviz.ctc.figures`` stays free of
torch.
"""
