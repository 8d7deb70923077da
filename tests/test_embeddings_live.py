"""word2vec as an engine run (seqviz.embeddings.live): curves in bounded memory, a map that
follows training and settles when paused, the same numbers through the engine as stepping
directly, and a default that learns analogies within a few hundred steps."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from seqviz.data import load_corpus, word_category
from seqviz.embeddings.experiment import EmbConfig, W2VExperiment
from seqviz.embeddings.live import (FACTORY, WORD2VEC, LiveEmbeddings, Thinned, build_run,
                                   corpus_for)
from seqviz.embeddings.livemap import (CREDIT_CAP, FIRST_MAPS_KEPT, FIRST_MAPS_MAX_POINTS,
                                       TSNE_SHARE, FirstMaps, MapError)
from seqviz.embeddings.queries import unit_rows
from seqviz.embeddings.tsne import AnimatedTSNE


@pytest.fixture(autouse=True)
def no_kept_first_maps(monkeypatch):
    """Every test starts with no settled first maps kept (``livemap.FIRST_MAPS``): what a
    first visit draws must not depend on the tests run before it in this process."""
    from seqviz.embeddings import livemap

    monkeypatch.setattr(livemap, "FIRST_MAPS", FirstMaps())


def _settle(run, frames: int = 40):
    """Frames of a paused run until its map has settled (each is time-budgeted)."""
    for _ in range(frames):
        m = run.view().map
        if m.settled:
            return m
    raise AssertionError(f"the map did not settle in {frames} frames: {m.status}")


def _neighbour_agreement(xy: np.ndarray, groups: list[str]) -> float:
    """Share of points whose nearest map neighbour has their category."""
    d = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    g = np.array(groups)
    return float((g[d.argmin(1)] == g).mean())


def test_thinned_keeps_the_whole_history_in_bounded_memory():
    t = Thinned(2, limit=4)
    for i in range(100):
        t.add(i, 2 * i)
    rows = t.array()
    assert 4 <= len(rows) <= 8 and rows[0, 0] == 0 and rows[-1, 0] >= 100 - t.stride
    assert len(set(np.diff(rows[:, 0]))) == 1  # evenly spaced: every stride-th row
    np.testing.assert_array_equal(rows[:, 1], 2 * rows[:, 0])


def test_default_config_learns_analogies_in_a_few_hundred_steps():
    """Behaviour, by step count: random vectors solve ~1 % of the 162 analogies; after 300
    steps of the default config (B 128, Adam 0.005, E 32) at least half are solved."""
    run = build_run(EmbConfig())
    run.step(300)
    view = run.view()
    assert view.eval_steps[0] == 0 and view.eval_steps[-1] == 300
    assert view.accuracy[0, 0] < 0.05 and view.accuracy[-1, 0] >= 0.5, view.accuracy[-1]
    assert view.loss_steps.tolist() == list(range(1, 301))
    assert view.loss_smooth[-1] < view.loss_smooth[0]


def test_the_map_follows_training_and_settles_when_paused():
    run = build_run(EmbConfig())
    first = _settle(run)  # 174 points take ~0.1 s: one frame on a quiet machine
    assert first.source == WORD2VEC and first.coords.shape == (174, 2)
    run.step(250)
    moving = run.view().map
    assert not moving.settled and moving.iteration > first.iteration  # continued, no restart
    run.step(250)
    run.view()
    still = _settle(run)
    assert _neighbour_agreement(still.coords, _groups(run)) > 0.8
    fresh = AnimatedTSNE(_unit(run), perplexity=15.0, seed=0)
    fresh.run()
    assert run.map.proj.tsne.kl_divergence < 1.3 * fresh.kl_divergence + 0.05
    assert run.view().map.iteration == still.iteration  # a settled map stays put


def test_a_new_map_is_drawn_before_it_has_settled_then_goes_on_settling(monkeypatch):
    """A new projection's first frame spends at most ``FIRST_BUDGET`` on t-SNE (a new corpus
    or model is drawn soon); the frames after it settle the map, continuing, not restarting."""
    from seqviz.embeddings import livemap

    monkeypatch.setattr(livemap, "FIRST_BUDGET", 0.0)  # no t-SNE at all in the first frame
    monkeypatch.setattr(livemap, "FIRST_VISIT_BUDGET", 0.0)  # (a run's first map has its own)
    run = build_run(EmbConfig())
    first = run.view().map
    assert first.iteration == 0 and not first.settled and first.coords.shape == (174, 2)
    second = run.view().map
    assert second.iteration > 0 and second.build == first.build  # the same projection, further
    assert _settle(run).build == first.build


def test_a_first_frame_that_cannot_settle_in_its_budget_is_drawn_after_one_chunk(monkeypatch):
    """A new map that would not settle within ``FIRST_BUDGET`` at its pace (prose's 300 points
    need ~0.3 s) is drawn after its first chunk, not at the end of the budget: a new corpus is
    drawn sooner. One that can settles in its first frame, and a first visit draws once."""
    from seqviz.embeddings import livemap

    monkeypatch.setattr(livemap, "FIRST_BUDGET", 0.15)  # room for a chunk, not for settling
    monkeypatch.setattr(livemap, "FIRST_VISIT_BUDGET", 0.15)
    run = build_run(EmbConfig(corpus="prose"))
    m = run.view().map
    assert m.iteration == livemap.SETTLE_CHUNK and not m.settled and m.coords.shape == (300, 2)
    assert _settle(run).build == m.build  # the same projection settles over the next frames

    monkeypatch.setattr(livemap, "FIRST_BUDGET", 10.0)  # fits: settled in its first frame
    monkeypatch.setattr(livemap, "FIRST_VISIT_BUDGET", 10.0)
    run = build_run(EmbConfig(seed=1))
    assert run.view().map.settled


def test_a_first_visit_settles_its_map_in_a_longer_first_frame(monkeypatch):
    """A run's first map (a first visit: no run replaced) has ``FIRST_VISIT_BUDGET``, so a busy
    machine still draws it once, settled, and the page does not tick and rerun whole while the
    browser loads it; a later projection of the run, and a run that replaces a drawn one, keep
    ``FIRST_BUDGET``."""
    from seqviz.embeddings import livemap

    monkeypatch.setattr(livemap, "FIRST_BUDGET", 0.0)  # a busy machine: no room at all
    monkeypatch.setattr(livemap, "FIRST_VISIT_BUDGET", 10.0)
    run = build_run(EmbConfig())
    m = run.view().map
    assert m.settled and m.build == 1
    run.rerun += 1  # "Re-run the projection": a new map of the same run
    again = run.view().map
    assert again.build == 2 and again.iteration == 0 and not again.settled
    replaced = build_run(EmbConfig(), soon=True).view().map  # a rebuild: FIRST_BUDGET too
    assert replaced.iteration == 0 and not replaced.settled


def test_a_settled_first_map_is_kept_and_the_next_first_visit_draws_it_at_once(monkeypatch):
    """Issue 13 (first chart): a first visit's settled map is kept in the worker, so the next
    first visit with the same settings (same starting vectors) is drawn settled with no t-SNE
    at all; the copy goes on exactly as the map it was kept from. Other seeds, and runs that
    replace a drawn one, make their own map as before."""
    from seqviz.embeddings import livemap

    first = build_run(EmbConfig())
    kept = _settle(first)
    assert len(livemap.FIRST_MAPS.maps) == 1
    monkeypatch.setattr(livemap, "FIRST_VISIT_BUDGET", 0.0)  # no time for any t-SNE now
    monkeypatch.setattr(livemap, "FIRST_BUDGET", 0.0)
    again = build_run(EmbConfig())
    m = again.view().map
    assert m.settled and m.build == 1 and m.iteration == kept.iteration
    np.testing.assert_array_equal(m.coords, kept.coords)
    moved = _unit(first) + np.random.default_rng(0).normal(0, 0.05, (174, 32))
    a, b = first.map.proj.tsne, again.map.proj.tsne  # optimiser state (gains) came along
    for t in (a, b):
        t.follow(moved)
        t.step(30)
    np.testing.assert_array_equal(a.coords, b.coords)
    other = build_run(EmbConfig(seed=1)).view().map  # other vectors: nothing kept for them
    assert other.iteration == 0 and not other.settled
    replaced = build_run(EmbConfig(), soon=True).view().map  # a rebuild watches it settle
    assert replaced.iteration == 0 and not replaced.settled
    assert len(livemap.FIRST_MAPS.maps) == 1


def test_a_worker_warms_the_default_first_map(monkeypatch):
    """``live.warm`` (each engine worker runs it at start) settles and keeps the default run's
    first map, so the first visit to the page draws it with no t-SNE at all."""
    from seqviz.embeddings import live, livemap

    live.warm()
    assert len(livemap.FIRST_MAPS.maps) == 1
    monkeypatch.setattr(livemap, "FIRST_VISIT_BUDGET", 0.0)
    monkeypatch.setattr(livemap, "FIRST_BUDGET", 0.0)
    m = build_run(EmbConfig()).view().map
    assert m.settled and m.iteration > 0


def test_kept_first_maps_are_bounded():
    """At most ``FIRST_MAPS_KEPT`` maps, the least recently used dropped, none larger than
    ``FIRST_MAPS_MAX_POINTS`` points; none at all when told to keep 0."""
    import types

    maps = FirstMaps()
    for i in range(FIRST_MAPS_KEPT + 1):
        maps.put(("k", i), types.SimpleNamespace(coords=np.full((3, 2), float(i))))
        if i == 1:
            assert maps.get(("k", 0)) is not None  # used: kept over ("k", 1)
    assert len(maps.maps) == FIRST_MAPS_KEPT and ("k", 1) not in maps.maps
    assert ("k", 0) in maps.maps and maps.get(("k", 0)).coords[0, 0] == 0.0
    maps.put(("big",), types.SimpleNamespace(coords=np.zeros((FIRST_MAPS_MAX_POINTS + 1, 2))))
    assert ("big",) not in maps.maps
    none = FirstMaps(0)  # SEQVIZ_FIRST_MAPS=0: the benchmark's reference keeps nothing
    none.put(("k", 0), types.SimpleNamespace(coords=np.zeros((3, 2))))
    assert none.get(("k", 0)) is None and not none.maps


def test_the_number_of_kept_first_maps_comes_from_the_environment(monkeypatch):
    from seqviz.embeddings.livemap import _kept_from_env

    for value, kept in (("0", 0), ("7", 7), ("-3", 0), ("many", FIRST_MAPS_KEPT)):
        monkeypatch.setenv("SEQVIZ_FIRST_MAPS", value)
        assert _kept_from_env() == kept
    monkeypatch.delenv("SEQVIZ_FIRST_MAPS")
    assert _kept_from_env() == FIRST_MAPS_KEPT


def test_a_run_that_replaces_a_drawn_one_draws_its_map_after_one_chunk(monkeypatch):
    """``build_run(soon=True)`` (the page's rebuild or Reset): the first map is drawn after one
    chunk however much budget is left, and settles over the next frames; a later projection
    of the same run (another source) gets the usual first frame."""
    from seqviz.embeddings import livemap

    monkeypatch.setattr(livemap, "FIRST_BUDGET", 10.0)  # it would settle in its first frame
    monkeypatch.setattr(livemap, "FIRST_VISIT_BUDGET", 10.0)
    run = build_run(EmbConfig(), soon=True)
    m = run.view().map
    assert m.iteration == livemap.SETTLE_CHUNK and not m.settled
    assert _settle(run).build == m.build
    run.rerun += 1  # a fresh map of the same run: settles at once, as a first visit's does
    assert run.view().map.settled


def test_a_settling_frame_yields_to_a_waiting_command(monkeypatch):
    """While a paused map settles, a command waiting in the worker (the page asking for the
    vectors, a new analogy) ends the frame after one chunk of iterations instead of up to a
    quarter of a second of them; the next frames settle on."""
    from seqviz.embeddings import livemap

    monkeypatch.setattr(livemap, "FIRST_BUDGET", 10.0)  # without the stop it would settle here
    monkeypatch.setattr(livemap, "FIRST_VISIT_BUDGET", 10.0)
    run = build_run(EmbConfig())
    run.interrupted = lambda: True  # the worker's check: a command is waiting
    m = run.view().map
    assert m.iteration == livemap.SETTLE_CHUNK and not m.settled
    run.interrupted = lambda: False
    assert _settle(run).build == m.build


def test_the_worker_tells_an_embeddings_run_when_a_command_is_waiting():
    """The engine's worker gives each run it builds its check for waiting commands, which is
    what ends a settling frame early (above)."""
    from multiprocessing import Pipe

    from seqviz.engine.worker import Worker

    server, worker_end = Pipe()
    worker = Worker(0, worker_end, worker_end, 0.02, 0.05)
    worker.open(1, FACTORY, {"cfg": EmbConfig()}, 1, False, 1)
    run = worker.slots[1].run
    assert worker.slots[1].error is None and not run.interrupted()
    server.send(("anything",))  # a command arrives
    assert run.interrupted()


def _groups(run) -> list[str]:
    return [word_category(w) or "other" for w in run.exp.corpus.words]


def _unit(run) -> np.ndarray:
    return unit_rows(run.exp.vectors())


def test_other_points_the_analogy_and_pca():
    run = build_run(EmbConfig())
    run.set_query("king", "man", "woman")
    run.step(400)
    assert run.view().quad == ("king", "man", "woman", "queen")
    points = np.random.default_rng(0).normal(size=(60, 8))
    run.show_points(("lm", "test"), 3, points)
    m = run.view().map
    assert m.source == ("lm", "test") and m.coords.shape == (60, 2)
    run.apply_live(dataclasses.replace(run.exp.cfg, projection="pca", points=20))
    m = run.view().map
    assert m.method == "pca" and m.settled and str(m.axes[0]).startswith("PC 1 (")
    assert len(m.coords) == 20
    run.show_points(None)
    assert run.view().map.source == WORD2VEC
    run.show_points(("few",), 0, points[:3])
    assert isinstance(run.view().map, MapError) or run.view().map.method == "pca"


def test_too_few_points_for_the_perplexity_say_so():
    run = build_run(EmbConfig(points=20, perplexity=100.0))
    m = run.view().map
    assert "Perplexity 100 needs at least 301 points" in str(m.message) and len(m.coords) == 20


def test_same_seed_same_numbers_as_stepping_directly(engine):
    cfg = EmbConfig(seed=3)
    lr_cfg = dataclasses.replace(cfg, lr=0.01)
    run = engine.open(FACTORY, {"cfg": cfg})
    run.step(4)
    run.play()  # stepping in time slices must not change the numbers: play, pause at k
    run.wait(lambda s: s.step >= 30, timeout=60)
    k = run.wait_acked(run.pause(), timeout=30).step
    run.apply_live(lr_cfg)  # then a live change, then 25 more steps
    snap = run.wait_acked(run.step(25), timeout=60)
    view = snap.payload

    direct = W2VExperiment.build(cfg, corpus=corpus_for(load_corpus("grammar"), cfg.min_count))
    direct.step(k)
    direct.apply_live(lr_cfg)
    direct.step(25)
    ok = [h for h in direct.trainer.history if not h.diverged]
    assert view.loss_steps.tolist() == [h.step for h in ok] and len(ok) == k + 25
    np.testing.assert_array_equal(view.loss, [h.loss for h in ok])
    assert view.eval_steps.tolist() == [e.step for e in direct.evals]
    np.testing.assert_array_equal(view.accuracy[:, 0], [e.analogy.accuracy for e in direct.evals])
    assert view.cfg.lr == 0.01 and snap.step == k + 25


def _poked_until_settled(live, timeout: float = 180):
    """The first settled snapshot of a paused run. A paused run draws a frame (and its map
    advances, ``SETTLE_BUDGET`` seconds a frame) only when asked: poke it as its page does on
    every rerun. On a quiet machine one or two frames settle 174 points; a loaded one needs
    more, and a test that only waits would wait forever."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        live.poke()
        try:
            return live.handle.wait(lambda s: s.payload is not None and s.payload.map.settled,
                                    timeout=1.0)
        except TimeoutError:
            if time.monotonic() > deadline:
                raise


def test_pause_shows_a_settled_map_and_vectors_come_on_request(engine):
    cfg = EmbConfig()
    corpus = corpus_for(load_corpus("grammar"), cfg.min_count)
    live = LiveEmbeddings.open(engine, cfg, corpus)
    live.set_query("king", "man", "woman")
    start = _poked_until_settled(live)
    live.play()
    playing = live.handle.wait(lambda s: s.step >= 150 and s.wall - start.wall >= 1.5,
                               timeout=180)
    live.pause()  # its frame settles the map on a quiet machine; a loaded one takes more
    snap = _poked_until_settled(live)
    assert not snap.playing and snap.payload.map.settled, snap.payload.map.status
    assert snap.payload.quad == ("king", "man", "woman", "queen")
    vectors = live.vectors()
    assert vectors.shape == (174, 32) and live.vectors() is vectors  # one fetch per step shown
    assert live.index().words == corpus.words
    # t-SNE is budgeted while training: TSNE_SHARE of the worker's time, plus what it saved up
    tsne = playing.payload.tsne_s - start.payload.tsne_s
    worker = playing.train_s + playing.view_s - start.train_s - start.view_s
    assert tsne <= TSNE_SHARE * worker + CREDIT_CAP + 0.05, (tsne, worker)
    analysis = (playing.payload.eval_s - start.payload.eval_s
                + playing.view_s - start.view_s - tsne)  # analogy accuracy, probes, views
    assert analysis < 0.15 * worker, (analysis, worker)
    live.close()
