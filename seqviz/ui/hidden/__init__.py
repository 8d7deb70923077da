"""The hidden-states page's UI: model sources, the views (heatmap, neurons, gates, trajectory)
and the neuron finder."""
