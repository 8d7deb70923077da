"""t-SNE (openTSNE, resumable) and PCA (scikit-learn): clusters kept, resumable, clear errors."""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from seqviz.embeddings.queries import trustworthiness
from seqviz.embeddings.tsne import (FOLLOW_ITER, SETTLE_TOL, AnimatedTSNE, LiveProjection,
                                    ProjectionError, max_perplexity, pca_2d, tsne)


def planted(n=300, dim=32, k=6, seed=0, spread=1.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 4.0, (k, dim))
    labels = rng.integers(0, k, n)
    return centres[labels] + spread * rng.normal(size=(n, dim)), labels


def test_tsne_keeps_planted_clusters():
    X, labels = planted()
    Y = tsne(X, perplexity=20, seed=0, total_iter=500)
    assert trustworthiness(X, Y, n_neighbors=10) >= 0.9
    # and the clusters are separated in the map: each point's nearest map neighbour shares its
    # cluster
    d = ((Y[:, None, :] - Y[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(1)] == labels).mean() > 0.97


def test_ticks_continue_the_same_optimisation():
    X, _ = planted(120, seed=1)
    a = AnimatedTSNE(X, perplexity=10, seed=3, total_iter=300)
    b = AnimatedTSNE(X, perplexity=10, seed=3, total_iter=300)
    done = [a.step(7) for _ in range(40)]  # crosses the phase boundary at 250 mid-tick
    assert sum(done) == 280 and a.iteration == 280 and a.phase == "normal"
    b.step(280)
    np.testing.assert_allclose(a.coords, b.coords, rtol=1e-6, atol=1e-6)
    assert a.step(100) == 20 and a.done and a.phase == "done" and a.step(5) == 0


def test_phases_and_iteration_counter():
    X, _ = planted(60, seed=2)
    t = AnimatedTSNE(X, perplexity=5, early_iter=10, total_iter=30)
    assert (t.iteration, t.phase) == (0, "early exaggeration")
    t.step(10)
    assert (t.iteration, t.phase) == (10, "normal") and np.isfinite(t.kl_divergence)
    first = t.coords.copy()
    t.set_learning_rate(50.0)
    t.step(5)
    assert not np.allclose(first, t.coords)


def test_same_seed_same_map():
    X, _ = planted(80, seed=4)
    np.testing.assert_array_equal(tsne(X, perplexity=8, seed=5, total_iter=60),
                                  tsne(X, perplexity=8, seed=5, total_iter=60))


@pytest.mark.parametrize("n,perplexity,needle", [
    (20, 30.0, "Perplexity 30 needs at least 91 points .* only 20. Use a perplexity of at most 6"),
    (4, 1.0, "at least 5 points; there are 4"),
    (50, 0.0, "must be positive"),
])
def test_too_few_points_for_the_perplexity(n, perplexity, needle):
    X, _ = planted(n, seed=5)
    with pytest.raises(ProjectionError, match=needle):
        AnimatedTSNE(X, perplexity=perplexity)


def test_max_perplexity_is_accepted():
    X, _ = planted(31, seed=6)
    assert max_perplexity(31) == 10
    AnimatedTSNE(X, perplexity=10).step(5)  # the limit itself works


def test_nan_vectors_are_refused():
    X, _ = planted(30, seed=7)
    X[3, 2] = np.nan
    with pytest.raises(ProjectionError, match="NaN"):
        AnimatedTSNE(X, perplexity=5)
    with pytest.raises(ProjectionError, match="NaN"):
        pca_2d(X)


def test_follow_keeps_the_map_and_extends_the_run():
    X, _ = planted(100, seed=8)
    t = AnimatedTSNE(X, perplexity=10, total_iter=300)
    t.run()
    before = t.coords
    change = t.follow(X + 0.01 * np.random.default_rng(0).normal(size=X.shape))
    assert 0 < change < 0.05 and not t.done and not t.settled
    again = t.early_iter - 300  # exaggeration in proportion to how much P changed: a little
    assert 0 <= again <= 10 and t.total_iter == 300 + again + FOLLOW_ITER
    np.testing.assert_array_equal(t.coords, before)  # positions are kept
    t.step(20)
    assert np.abs(t.coords - before).max() < 0.2 * np.ptp(before)  # no restart
    with pytest.raises(ValueError, match="same 100 points"):
        t.follow(X[:50])


def test_pca_equals_scikit_learn_up_to_sign():
    X, _ = planted(200, dim=10, seed=9)
    ours, ratio = pca_2d(X)
    ref = PCA(n_components=2, svd_solver="full").fit(X)
    np.testing.assert_allclose(np.abs(ours), np.abs(ref.transform(X)), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ratio, ref.explained_variance_ratio_)


def test_pca_keeps_signs_consistent_with_the_previous_map():
    X, _ = planted(100, dim=8, seed=10)
    first, _ = pca_2d(X)
    flipped, _ = pca_2d(X, previous=-first)
    np.testing.assert_allclose(flipped, -first, atol=1e-10)


def test_pca_of_tiny_inputs():
    out, ratio = pca_2d(np.array([[0.0], [1.0], [3.0]]))  # 1-D vectors: second axis is 0
    assert out.shape == (3, 2) and np.all(out[:, 1] == 0) and ratio[0] == pytest.approx(1.0)
    with pytest.raises(ProjectionError, match="at least 2 points"):
        pca_2d(np.zeros((1, 4)))


def test_live_projection_pca_and_tsne():
    X, _ = planted(60, seed=11)
    pca = LiveProjection(X, "pca")
    assert not pca.running and str(pca.axes[0]).startswith("PC 1 (") and "variance" in str(pca.status)
    moved = X + 1.0
    pca.update(moved, moved=True)
    np.testing.assert_allclose(pca.coords, pca_2d(moved)[0], atol=1e-8)
    live = LiveProjection(X, "tsne", perplexity=5)
    assert live.running and tuple(map(str, live.axes)) == ("t-SNE 1", "t-SNE 2")
    live.update(None, iterations=10)
    assert live.tsne.iteration == 10 and "iteration 10 (early exaggeration)" in str(live.status)
    assert live.coords.std() == pytest.approx(1.0)  # drawn at unit spread
    live.update(X * 1.1, iterations=5, moved=True)
    assert live.tsne.iteration == 15


def test_unstructured_data_does_not_collapse_the_map_to_a_point():
    X = np.random.default_rng(12).normal(size=(300, 32))  # no structure at all
    t = AnimatedTSNE(X, perplexity=15)
    for _ in range(25):
        t.step(10)
        assert t.coords.std() >= 1e-8  # early exaggeration alone shrinks it to ~1e-40
    t.run()
    assert t.coords.std() > 1.0 and np.isfinite(t.kl_divergence)


def test_follow_rescales_a_collapsed_map():
    X, _ = planted(60, seed=12)
    t = AnimatedTSNE(X, perplexity=5)
    t.step(5)
    t._embedding *= 1e-12  # what early exaggeration does to random vectors
    shape = t.coords / t.coords.std()
    t.follow(X)
    assert t.coords.std() == pytest.approx(1e-4)
    np.testing.assert_allclose(t.coords / t.coords.std(), shape, rtol=1e-6, atol=1e-9)


def test_a_follow_that_changes_everything_exaggerates_again_and_the_map_settles():
    X, labels = planted(150, seed=13)
    t = AnimatedTSNE(np.random.default_rng(1).normal(size=X.shape), perplexity=10)
    t.run()  # settled on unstructured points, as a map of untrained vectors is
    assert t.settled
    change = t.follow(X)  # now the clusters appear
    assert change > 0.5 and t.early_iter == t.iteration + 100 and t.phase == "early exaggeration"
    while not t.settled:
        t.step(10)
    assert t.movement < SETTLE_TOL or t.done
    d = ((t.coords[:, None, :] - t.coords[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(1)] == labels).mean() > 0.95  # untangled, not stuck
    fresh = AnimatedTSNE(X, perplexity=10)
    fresh.run()
    assert t.kl_divergence < 1.2 * fresh.kl_divergence + 0.05
