"""The hidden-states lesson (page 2): what each unit and gate of a trained LM does on a text.

- ``config``         ``HiddenConfig``, the page's settings
- ``probes``         trace a text through a model: states, gates, top-k predictions (numpy)
- ``neurons``        rank units for a selected span, unit orderings (the neuron finder)
- ``features``       per-character text features (strings, parentheses, line, gender, age)
- ``units``          the unit that follows each feature best, its r on held-out text
- ``lecture``        the page's lecture steps, each answer as measured
- ``pca``            2-D projection of the state trajectory
- ``figures``        heatmap, gate curves, trajectory, top-k and surprisal figures
- ``coloured_text``  text coloured token by token by one number (the neuron view)

This ``__init__`` re-exports nothing on purpose: importing
``seqviz.hidden.figures`` stays free of torch.
"""
