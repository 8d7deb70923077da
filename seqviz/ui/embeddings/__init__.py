"""The embeddings page's UI: the live panel (``panel``), what the map shows (``sources``), and
neighbours, analogies and exports (``queries``)."""
