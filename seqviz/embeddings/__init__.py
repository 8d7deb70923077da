"""The word-embeddings lesson (page 7): word2vec trained live, maps, neighbours and analogies.

- ``experiment``  ``EmbConfig`` and ``W2VExperiment``: config -> corpus -> word2vec -> trainer
- ``grammars``    what the English and Chinese toy grammars teach: analogies, probes, categories
- ``categories``  category names (translated) and colours, the same in both languages
- ``corpus``      why a text cannot train word2vec, in the page's language
- ``queries``     cosine neighbours, analogies, analogy accuracy, trustworthiness
- ``tsne``        PCA and an animated, resumable t-SNE (openTSNE)
- ``livemap``     the map as the engine run advances it: follows the vectors, settles, budgeted
- ``live``        word2vec as an engine run (worker side) and ``LiveEmbeddings`` (server side)
- ``export``      files for TensorFlow's Embedding Projector, map coordinates, the figure
- ``mapfigures``  the labelled 2-D map (built once, then moved) and its analogy parallelogram
- ``labels``      where the map's text labels go so that none overlaps another (CJK-aware)
- ``figures``     loss and accuracy curves, neighbour tables
- ``objectives``  the output layers' measured comparison table (benchmarks/bench_word2vec.py)
- ``lecture``     the page's five lecture steps, with measured answers
- ``glove``       GloVe (Pennington et al. 2014): co-occurrence counts, weighted least squares
- ``glovelive``   GloVe as an engine run beside word2vec; ``glovefigures`` its charts
- ``debias``      hard debiasing (Bolukbasi et al. 2016): bias direction, neutralise, equalise

This ``__init__`` re-exports nothing on purpose: importing
``seqviz.embeddings.figures`` or ``mapfigures`` stays free of torch.
"""
