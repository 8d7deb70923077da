"""The decoding lesson (page 6): greedy and beam search, and search errors vs model errors.

- ``config``       ``BeamConfig``, the page's settings
- ``beam``         beam search that records its whole tree; two conventions for finished ones
- ``problem``      ``SearchProblem``, one decoding problem whatever the model; LM problems; verdicts
- ``seq2seq``      seq2seq decoding problems (encode once, advance every hypothesis at once)
- ``sources``      bundled models as sources of problems and held-out examples; the demo input
- ``study``        one input at every width; tallies over held-out examples, both conventions
- ``tree_layout``  where the tree's nodes go (one column per output position, bounded height)
- ``figures``      the search tree
- ``outcomes``     names of verdicts and convention comparisons; the study's result records
- ``study_figures`` every width, the tallies, the next-token probabilities
- ``lecture``      the page's lecture steps (measured answers)

It decodes the models of other lessons (``seqviz.lm``, ``seqviz.attention``) through their core,
never their UI.

This ``__init__`` re-exports nothing on purpose: importing
``seqviz.decoding.figures`` stays free of torch.
"""
