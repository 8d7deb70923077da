"""The gradient-flow page's panel (``flow``), the clipping page's panel (``clipping``) and the
labels both share (``labels``)."""
