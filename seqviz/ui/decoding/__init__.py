"""The beam-search page's UI: the model sources it can decode with, the tree and the tallies."""
