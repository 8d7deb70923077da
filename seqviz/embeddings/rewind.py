"""word2vec at past training steps: the map and the probe words' neighbours rebuilt from the
vectors a run kept (``seqviz.engine.rewind``), and two steps' maps aligned for comparing.

A past map is a PCA of the unit word vectors (PCA is deterministic and quick; the live map's
t-SNE would need hundreds of iterations per step). Two steps' maps are aligned by an orthogonal
Procrustes rotation of the second onto the first (Schönemann 1966; ``scipy``), so a word that
kept its place relative to the others stays put on the page and the movement is the learning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.linalg import orthogonal_procrustes

from seqviz.embeddings.queries import Index, neighbours, unit_rows
from seqviz.embeddings.tsne import pca_2d


@dataclass(frozen=True)
class PastMap:
    step: int
    coords: np.ndarray  # (N, 2): the N most frequent words
    explained: np.ndarray  # (2,) explained variance ratio of the axes


def past_map(vectors: np.ndarray, step: int, points: int) -> PastMap:
    """The first ``points`` words' unit vectors (V, E) mapped by PCA."""
    coords, ratio = pca_2d(unit_rows(np.asarray(vectors)[:points]))
    return PastMap(int(step), coords, ratio)


def aligned(first: PastMap, second: PastMap) -> PastMap:
    """``second`` rotated (and reflected if that fits better) onto ``first``: same points."""
    if first.coords.shape != second.coords.shape:
        raise ValueError(f"both maps must have the same points, got {first.coords.shape} and "
                         f"{second.coords.shape}")
    rotation, _ = orthogonal_procrustes(second.coords, first.coords)
    return PastMap(second.step, second.coords @ rotation, second.explained)


def probe_neighbours(vectors: np.ndarray, words: Sequence[str], probes: Sequence[str],
                     k: int = 5) -> dict[str, list[tuple[str, float]]]:
    """The probe words in the vocabulary -> their k nearest neighbours (cosine) in ``vectors``,
    as ``W2VExperiment.probe_neighbours`` gives them for the live vectors."""
    index = Index.build(np.asarray(vectors), list(words))
    return {w: neighbours(index, w, k) for w in probes if w in index.pos}
