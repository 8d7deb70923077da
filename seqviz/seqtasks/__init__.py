"""The sequence-tasks lesson (page 8): RNNs by input/output shape, many-to-one and aligned
many-to-many, deep and bidirectional, regularised with dropout and weight decay.

- ``corpora``     generated reviews (negation, contrast) and the grammar's tagged sentences
- ``data``        vocabulary, padding, batches, typed sentences
- ``config``      ``SeqTaskConfig`` (one frozen dataclass, round-trips to the URL)
- ``models``      ``SeqModel``: embedding -> dropout -> RNN/GRU/LSTM -> dropout -> linear
- ``experiment``  ``SeqTaskExperiment``: config -> data -> model -> trainer, evaluations
- ``analysis``    accuracies, gradient x input and occlusion, final states in 2-D, confusion,
                  baselines without memory (bag of words, most frequent tag)
- ``live``        the experiment as an engine run (worker side) and ``LiveSeqTask`` (server side)
- ``figures``     the five shapes, accuracy curves, contributions, state map, confusion matrix
- ``lecture``     the page's lecture steps, with measured answers

This ``__init__`` re-exports nothing: importing ``seqviz.seqtasks.figures`` stays free of torch.
"""
