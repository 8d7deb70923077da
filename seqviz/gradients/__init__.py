"""The gradient lessons (pages 3 and 4): vanishing and exploding gradients, and clipping.

- ``tasks``             memory tasks (recall, adding), ``GFConfig`` and ``GradientLab``
- ``bptt``              backpropagation through time by hand: dL/dh_t and every step's W_hh term
- ``step_hist``         per-step histograms and norms on shared bins
- ``analysis``          reach, Jacobians, gates and spectral radius: what the page draws
- ``onednn``            float32 products through oneDNN where torch has it
- ``figures``           gradient-flow figures
- ``clipping``          ``ClipConfig`` and one run with, one without clipping, in lock-step
- ``cliff``             the loss-surface cliff of a one-unit RNN (Pascanu et al. 2013)
- ``clipping_figures``  the clipping page's figures
- ``live``              both lessons as engine runs (worker side) and the flow page's handle

This ``__init__`` re-exports nothing on purpose: importing
``seqviz.gradients.figures`` stays free of torch.
"""
