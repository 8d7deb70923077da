"""The sequence-tasks page's UI: building the run and its live panel (``panel``), the shapes
diagram and the typed sentence (``sections``)."""
