"""The language-model page's UI: the live panel (metrics, curves, sample) and cached baselines."""
