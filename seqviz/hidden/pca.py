"""Linear projection of hidden states to 2-D for trajectory plots: PCA (Pearson 1901; Hotelling
1933), by scikit-learn.

The projection is fitted once on many states of the corpus, then every probe text's path is
drawn in the same coordinates, so paths of different texts can be compared. (t-SNE and the
embedding projections live in ``seqviz.embeddings.queries``.)

Shape letters: N states, H units, K components.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA


@dataclass
class PCAProjection:
    """A fitted PCA: ``transform(X (N, H)) -> (N, K)``."""

    pca: PCA

    @property
    def n_features(self) -> int:
        return int(self.pca.n_features_in_)

    @property
    def explained(self) -> np.ndarray:
        """(K,) share of the fitted states' variance along each component."""
        return np.asarray(self.pca.explained_variance_ratio_)

    def transform(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected states of width {self.n_features}, got shape {X.shape}")
        return self.pca.transform(X)


def fit_pca(X, n_components: int = 2, seed: int = 0) -> PCAProjection:
    """Fit PCA on the rows of ``X`` (N, H); needs N >= n_components and H >= n_components."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-D array of states (N, H), got shape {X.shape}")
    if min(X.shape) < n_components:
        raise ValueError(f"PCA to {n_components} components needs at least {n_components} "
                         f"states and units, got {X.shape[0]} states of width {X.shape[1]}")
    return PCAProjection(PCA(n_components=n_components, random_state=seed).fit(X))
