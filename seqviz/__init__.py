"""seqviz: an interactive lab for recurrent neural networks.

The core (everything outside ``seqviz.ui``) is plain Python + PyTorch + NumPy + Plotly and never
imports Streamlit, so it can be used from a notebook or a test.
"""

__version__ = "0.1.0"
