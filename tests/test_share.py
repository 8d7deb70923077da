"""Sharing a live run (seqviz.engine.share): codes, following, forking, the end of a share."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from seqviz.engine.share import (ENDED, EXPIRED, LIVE, SESSION_ENDED, STOPPED, UNKNOWN, WAITING,
                                 ReadOnly, ShareRegistry, balancer_prefix, new_code,
                                 parse_code)
from seqviz.lm.config import LMConfig
from seqviz.lm.live import LiveLM, text_data_for

SMALL = LMConfig(cell="gru", hidden_size=16, embed_size=8, seq_len=8, batch_size=4, seed=3,
                 lr=0.01)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def open_lm(engine, cfg: LMConfig = SMALL) -> LiveLM:
    live = LiveLM.open(engine, cfg, text_data_for(cfg, None), [])
    live.handle.wait(timeout=120)
    return live


def history(snap) -> list[tuple[int, float]]:
    view = snap.payload
    return list(zip(view.steps.tolist(), view.loss.tolist()))


def test_codes_are_random_prefixed_by_the_replica_and_parsed_strictly():
    codes = {new_code("r2") for _ in range(200)}
    assert len(codes) == 200 and all(c.startswith("r2-") and len(c) == 13 for c in codes)
    code = new_code("r2")
    assert parse_code(" " + code.upper() + "\n") == code
    assert parse_code(new_code()) is not None
    for bad in ("", "r2-", "r2-short", "../../etc", "r2-" + "o" * 10, None, 42, "x" * 100,
                "R2-abc<script>"):
        assert parse_code(bad) is None, bad


def test_without_a_replica_name_the_code_carries_the_balancers_cookie(engine):
    """Compose / Kubernetes: replicas have no SEQVIZ_REPLICA; HAProxy's dynamic cookie (16 hex
    digits) names the lecturer's replica and becomes the prefix. A cookie of another shape is
    ignored (a hand-edited cookie never makes a code the follow page refuses)."""
    assert balancer_prefix("7ECA464A3AC7E2D5") == "7eca464a3ac7e2d5"
    for bad in (None, "", "r1", "7eca464a3ac7e2d", "7eca464a3ac7e2d5x", "../7eca464a3ac7e2", 5):
        assert balancer_prefix(bad) == "", bad
    live = open_lm(engine)
    named = ShareRegistry(engine, replica="r1").create(
        live.handle, live, page="p", title="t", balancer_cookie="7eca464a3ac7e2d5")
    assert named.code.startswith("r1-")  # the server's own name wins
    reg = ShareRegistry(engine, replica="")
    share = reg.create(live.handle, live, page="p", title="t", balancer_cookie="7eca464a3ac7e2d5")
    assert share.code.startswith("7eca464a3ac7e2d5-") and parse_code(share.code) == share.code
    assert reg.follow(share.code, follower="a").status == LIVE
    plain = reg.create(live.handle, live, page="p", title="t", balancer_cookie="<b>")
    assert "-" not in plain.code and parse_code(plain.code) == plain.code


def test_a_follower_reads_the_snapshots_and_cannot_touch_the_run(engine):
    live = open_lm(engine)
    reg = ShareRegistry(engine, replica="r1")
    share = reg.create(live.handle, live, page="pages/1_Language_Model.py",
                       title="Language model")
    assert share.code.startswith("r1-")
    seq = live.handle.step(3)
    live.handle.wait_acked(seq)
    seen = reg.follow(share.code, follower="a")
    assert seen.status == LIVE and seen.snapshot.step == 3 and seen.forkable
    assert seen.snapshot.payload.cfg == SMALL
    assert reg.get(share.code).following(reg.clock()) == 1
    # what the follower draws with shares data, never the handle or a method
    ro = seen.context
    assert ro.data is live.data and ro.baselines == []
    for name in ("handle", "step", "play", "apply_live", "close", "model", "_copy"):
        with pytest.raises(AttributeError):
            getattr(ro, name)
    with pytest.raises(AttributeError):
        ro.cfg = SMALL
    # only the owner's share object (with its secret) can change the share
    forged = type(share)(share.code, share.page, share.title, 0, 0, owner_key="guess")
    with pytest.raises(PermissionError):
        reg.stop(forged)
    assert reg.follow("r1-" + "2" * 10).status == UNKNOWN
    assert reg.follow("not a code").status == UNKNOWN
    live.close()


def test_a_fork_continues_like_the_original_then_goes_its_own_way(engine):
    live = open_lm(engine)
    live.handle.wait_acked(live.handle.step(7))
    live.apply_live(SMALL.__class__(**{**SMALL.__dict__, "lr": 0.02}))  # a live change
    live.handle.wait_acked(live.handle.step(2))
    reg = ShareRegistry(engine)
    share = reg.create(live.handle, live, page="p", title="t")
    fork_handle, mine = reg.fork(share.code)
    assert isinstance(mine, LiveLM) and mine.handle is fork_handle and live.handle is not fork_handle
    assert mine.cfg.lr == 0.02 and mine.data is live.data
    first = fork_handle.wait(timeout=120)
    assert first.step == 9 and not first.playing  # paused, at the original's step
    assert history(first) == history(live.snapshot())  # the history came along
    # same next steps (same batches, same optimiser state)
    a = live.handle.wait_acked(live.handle.step(5))
    b = fork_handle.wait_acked(fork_handle.step(5))
    assert a.step == b.step == 14
    np.testing.assert_array_equal(a.payload.loss, b.payload.loss)
    np.testing.assert_array_equal(a.payload.grad_norm, b.payload.grad_norm)
    # then independent: the fork's change and steps leave the original alone
    mine.apply_live(SMALL.__class__(**{**SMALL.__dict__, "lr": 0.3}))
    b = fork_handle.wait_acked(fork_handle.step(3))
    assert b.step == 17 and live.snapshot().step == 14
    assert live.snapshot().payload.cfg.lr == 0.02
    # a Reset of the fork rebuilds from the seed, not from the copy
    fork_handle.wait_acked(fork_handle.rebuild())
    assert fork_handle.wait(timeout=120).step == 0
    fork_handle.close()
    live.close()


def test_a_share_ends_when_stopped_expired_or_its_session_is_gone(engine):
    clock = Clock()
    live = open_lm(engine)
    reg = ShareRegistry(engine, ttl_s=60, grace_s=5, clock=clock)
    stopped = reg.create(live.handle, live, page="p", title="t")
    expiring = reg.create(live.handle, live, page="p", title="t")
    assert reg.follow(stopped.code).status == LIVE
    assert reg.follow(expiring.code).status == LIVE
    reg.stop(stopped)
    seen = reg.follow(stopped.code)
    assert (seen.status, seen.reason) == (ENDED, STOPPED)
    assert seen.snapshot is not None and seen.context is None  # the last view stays
    with pytest.raises(LookupError):
        reg.fork(stopped.code)

    clock.now += 61
    seen = reg.follow(expiring.code)
    assert (seen.status, seen.reason) == (ENDED, EXPIRED) and seen.snapshot is not None

    reg2 = ShareRegistry(engine, ttl_s=600, grace_s=5, clock=clock)
    session = reg2.create(live.handle, live, page="p", title="t")
    assert reg2.follow(session.code).status == LIVE
    # the page rebuilds its run: a moment without one, then bound to the new run
    rebuilt = open_lm(engine)
    live.close()
    del live
    gc.collect()
    assert reg2.follow(session.code).status == WAITING
    reg2.bind(session, rebuilt.handle, rebuilt)
    assert reg2.follow(session.code).status == LIVE
    # the lecturer's session ends: its run is released; after the grace period, followers
    # are told, and keep the last snapshot
    rebuilt.close()
    del rebuilt
    gc.collect()
    assert reg2.follow(session.code).status == WAITING
    clock.now += 6
    seen = reg2.follow(session.code)
    assert (seen.status, seen.reason) == (ENDED, SESSION_ENDED) and seen.snapshot is not None


def test_read_only_wrapper_hides_properties_and_private_state():
    class Exp:
        def __init__(self):
            self.cfg, self.handle, self._secret = 1, object(), 2

        @property
        def steps(self):
            raise AssertionError("a property must not run for a follower")

    ro = ReadOnly(Exp())
    assert ro.cfg == 1
    for name in ("handle", "_secret", "steps", "__dict__"):
        with pytest.raises(AttributeError):
            getattr(ro, name)


def test_a_ctc_fork_makes_the_same_next_steps(engine):
    from seqviz.ctc.config import CTCConfig
    from seqviz.ctc.live import LiveCTC

    live = LiveCTC.open(engine, CTCConfig(hidden_size=16, batch_size=8, seed=3))
    live.handle.wait_acked(live.handle.step(4), timeout=120)
    reg = ShareRegistry(engine)
    share = reg.create(live.handle, live, page="pages/10_CTC.py", title="CTC")
    fork_handle, mine = reg.fork(share.code)
    assert isinstance(mine, LiveCTC) and fork_handle.wait(timeout=120).step == 4
    a = live.handle.wait_acked(live.handle.step(3))
    b = fork_handle.wait_acked(fork_handle.step(3))
    np.testing.assert_array_equal(a.payload.loss, b.payload.loss)
    no_fork = reg.create(live.handle, live, page="p", title="t", forkable=False)
    assert not reg.follow(no_fork.code).forkable
    with pytest.raises(LookupError):
        reg.fork(no_fork.code)
    fork_handle.close()
    live.close()


def test_what_a_follower_keeps_does_not_keep_the_lecturers_run_alive(engine):
    import weakref

    live = open_lm(engine)
    reg = ShareRegistry(engine)
    share = reg.create(live.handle, live, page="p", title="t")
    kept = reg.follow(share.code).context  # a follower's session holds this
    gone = weakref.ref(live.handle)
    live.close()
    del live
    gc.collect()
    assert gone() is None and kept.baselines == []
