"""One live run, many viewers: a lecturer shares a run, followers watch it and may copy it.

``ShareRegistry.create(handle, context, page=..., title=...)`` gives the lecturer's run a short,
unguessable code (``secrets``), prefixed with the replica's name (``SEQVIZ_REPLICA``, e.g.
``r2-k7q9xw3mfa``) so a load balancer can send a follower to the replica that owns the run
(``deploy/haproxy.cfg.in``). Only the lecturer's session holds the share's ``owner_key``: it
re-binds the share when its page rebuilds the run (``bind``) and ends it (``stop``).

Followers call ``follow(code)``: the share's state and the run's latest snapshot, read from the
engine's store. That is a dict lookup: no command reaches the worker, and a follower's read does
not count as the lecturer's page polling (an abandoned run still pauses). What a follower's page
draws with comes wrapped in ``ReadOnly``, so a follower can never change the shared run.

``fork(code)`` copies the run as it is now (weights, optimiser, batch position, step, history,
settings: the run's ``fork_state()``) into a new paused run of the follower's own; the shared run
goes on untouched. With nothing changed, the copy's next steps equal the original's next steps.

A share ends when the lecturer stops it, when it expires (``ttl_s``, default 3 hours), or when
the lecturer's run is gone for more than ``grace_s`` (their session ended); followers are told
which, and keep the last snapshot they saw.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable

from seqviz.engine.pool import Engine, RunHandle
from seqviz.engine.protocol import Snapshot
from seqviz.engine.worker import load_factory

REPLICA_ENV = "SEQVIZ_REPLICA"  # this server's name behind a load balancer (r1, r2, ...)
TTL_ENV = "SEQVIZ_SHARE_HOURS"
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read off a projector
CODE_CHARS = 10  # 31**10 ~ 2**49.5 codes: not guessable within a share's lifetime
CODE_RE = re.compile(r"^(?:([a-z0-9]{1,16})-)?([%s]{%d})$" % (ALPHABET, CODE_CHARS))
BALANCER_COOKIE = "SEQVIZ"  # HAProxy's affinity cookie (deploy/): names the replica it sticks to
TTL_S = 3 * 3600.0
GRACE_S = 20.0  # seconds a share waits for its page to bind the rebuilt run, or to come back
FOLLOWER_SEEN_S = 10.0  # a follower who read within this many seconds counts as following
MAX_SHARES = 512  # ended shares are forgotten first beyond this
FORK_FACTORY = "seqviz.engine.share:forked"

LIVE, WAITING, ENDED, UNKNOWN = "live", "waiting", "ended", "unknown"
STOPPED, SESSION_ENDED, EXPIRED = "stopped", "session", "expired"


def replica_name() -> str:
    """This server's name from ``SEQVIZ_REPLICA`` when it is a valid code prefix, else ''."""
    name = os.environ.get(REPLICA_ENV, "").strip().lower()
    return name if re.fullmatch(r"[a-z][a-z0-9]{0,15}", name) else ""


def balancer_prefix(cookie: Any) -> str:
    """A code prefix from the load balancer's affinity cookie, for deployments whose replicas
    do not know their own names (Compose, Kubernetes: HAProxy's ``server-template`` with
    ``dynamic`` cookies, 16 hex digits per replica). The lecturer's browser carries the cookie
    of the replica that owns its session, so a follow link with it as prefix is sent there.
    Anything else (no balancer, a cookie edited by hand) gives ''."""
    if not isinstance(cookie, str):
        return ""
    cookie = cookie.strip().lower()
    return cookie if re.fullmatch(r"[0-9a-f]{16}", cookie) else ""


def default_ttl() -> float:
    raw = os.environ.get(TTL_ENV, "").strip()
    try:
        hours = float(raw)
    except ValueError:
        return TTL_S
    return hours * 3600.0 if 0 < hours <= 24 else TTL_S


def new_code(replica: str = "") -> str:
    token = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return f"{replica}-{token}" if replica else token


def example_code(replica: str = "") -> str:
    """A code of this server's form, to show how one looks (with its replica prefix or not)."""
    return f"{replica}-k7q9xw3mfa" if replica else "k7q9xw3mfa"


def parse_code(text: Any) -> str | None:
    """A code as typed or found in a URL (spaces and case forgiven), or None if it is not one."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    code = re.sub(r"\s+", "", text).lower()
    return code if CODE_RE.match(code) else None


def forked(factory: str, kwargs: dict, state: dict) -> Any:
    """The engine factory of a fork: the original's build, then its state copied in."""
    run = load_factory(factory)(**kwargs)
    run.load_fork_state(state)
    return run


class ReadOnly:
    """What a follower's page draws with: the data attributes of the lecturer's draw-time
    object (e.g. a ``LiveLM``'s data and n-gram baselines), copied at the time, without its
    methods, properties, private state or engine handle. It holds no reference to that object,
    so a follower keeps neither the lecturer's run nor its session alive."""

    __slots__ = ("_values",)

    def __init__(self, target: Any):
        values = {k: v for k, v in getattr(target, "__dict__", {}).items()
                  if not k.startswith("_") and k != "handle" and not callable(v)}
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name not in values:
            raise AttributeError(f"a followed run does not share {name!r}")
        return values[name]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a followed run is read-only")


@dataclass
class Share:
    code: str
    page: str  # the lesson page's script path, e.g. "pages/1_Language_Model.py"
    title: str  # its title (an untranslated message id: each follower translates it)
    created: float
    expires: float
    owner_key: str = field(repr=False)
    run: Callable[[], RunHandle | None] = field(repr=False, default=lambda: None)
    context: Callable[[], Any] = field(repr=False, default=lambda: None)
    unbound_since: float | None = None
    ended: str | None = None
    last: Snapshot | None = None
    followers: dict[str, float] = field(default_factory=dict)
    forkable: bool = True  # the run has fork_state() / load_fork_state()

    def following(self, now: float) -> int:
        return sum(1 for t in self.followers.values() if now - t <= FOLLOWER_SEEN_S)


@dataclass(frozen=True)
class Followed:
    """What a follower sees of a share: its state, the latest snapshot, and what to draw with."""

    status: str  # LIVE, WAITING (the lecturer's page is rebuilding the run), ENDED, UNKNOWN
    reason: str | None = None  # ENDED: STOPPED, SESSION_ENDED or EXPIRED
    snapshot: Snapshot | None = None
    page: str = ""
    title: str = ""
    context: ReadOnly | None = None
    forkable: bool = False
    expires: float = 0.0


class ShareRegistry:
    """The shares of one server process (its engine's runs)."""

    def __init__(self, engine: Engine, *, replica: str | None = None, ttl_s: float | None = None,
                 grace_s: float = GRACE_S, clock: Callable[[], float] = time.time):
        self.engine = engine
        self.replica = replica_name() if replica is None else replica
        self.ttl_s = default_ttl() if ttl_s is None else ttl_s
        self.grace_s, self.clock = grace_s, clock
        self._shares: dict[str, Share] = {}
        self._lock = threading.Lock()

    # -- the lecturer's side ------------------------------------------------------------------
    def create(self, handle: RunHandle, context: Any, *, page: str, title: str,
               forkable: bool = True, balancer_cookie: Any = None) -> Share:
        """A new share of ``handle``'s run. Its code starts with this server's name
        (``SEQVIZ_REPLICA``) or, when it has none, with the lecturer's load-balancer cookie
        (``balancer_prefix``), so followers are routed to this replica."""
        now = self.clock()
        prefix = self.replica or balancer_prefix(balancer_cookie)
        with self._lock:
            code = new_code(prefix)
            while code in self._shares:
                code = new_code(prefix)
            share = Share(code, page, title, now, now + self.ttl_s, secrets.token_hex(16),
                          forkable=forkable)
            self._shares[code] = share
            self._forget_old()
        self.bind(share, handle, context)
        return share

    def _owned(self, share: Share) -> Share:
        with self._lock:
            mine = self._shares.get(share.code)
        if mine is None or not secrets.compare_digest(mine.owner_key, share.owner_key):
            raise PermissionError("only the session that shared a run can change its share")
        return mine

    def bind(self, share: Share, handle: RunHandle, context: Any) -> None:
        """The lecturer's page, on every rerun: the share shows this run (rebuilt or not)."""
        mine = self._owned(share)
        if mine.run() is not handle:
            mine.run = weakref.ref(handle)
        if mine.context() is not context:
            mine.context = weakref.ref(context)
        mine.unbound_since = None

    def stop(self, share: Share) -> None:
        mine = self._owned(share)
        mine.ended = mine.ended or STOPPED

    # -- the followers' side ------------------------------------------------------------------
    def get(self, code: str) -> Share | None:
        code = parse_code(code)
        with self._lock:
            return self._shares.get(code) if code else None

    def _state(self, share: Share, now: float) -> tuple[RunHandle | None, Any]:
        """The share's run and context now, ending the share when it expired or its run has
        been gone for longer than the grace period."""
        if share.ended is None and now >= share.expires:
            share.ended = EXPIRED
        if share.ended is not None:
            return None, None
        handle, context = share.run(), share.context()
        if handle is None or context is None or handle.lost:
            if share.unbound_since is None:
                share.unbound_since = now
            elif now - share.unbound_since > self.grace_s:
                share.ended = SESSION_ENDED
            return None, None
        return handle, context

    def follow(self, code: str, follower: str | None = None) -> Followed:
        share = self.get(code)
        if share is None:
            return Followed(UNKNOWN)
        now = self.clock()
        if follower:
            share.followers[follower] = now
            if len(share.followers) > 4 * MAX_SHARES:
                share.followers = {k: t for k, t in share.followers.items()
                                   if now - t <= FOLLOWER_SEEN_S}
        handle, context = self._state(share, now)
        snap = None
        if handle is not None:
            snap = self.engine.snapshot(handle.run_id)  # not handle.snapshot(): no poll mark
            if snap is not None and snap.generation == handle.generation:
                share.last = snap
            else:
                snap = None
        status = ENDED if share.ended else LIVE if snap is not None else WAITING
        return Followed(status, share.ended, snap if snap is not None else share.last,
                        share.page, share.title,
                        ReadOnly(context) if context is not None else None,
                        forkable=share.forkable and handle is not None
                        and hasattr(context, "handle"),
                        expires=share.expires)

    def fork(self, code: str, timeout: float = 30.0) -> tuple[RunHandle, Any]:
        """A paused copy of the shared run as it is now, and a copy of the lecturer's draw-time
        object bound to it (the follower's own experiment). Raises ``LookupError`` when the
        share has ended or its run is not there."""
        share = self.get(code)
        handle, context = self._state(share, self.clock()) if share else (None, None)
        if handle is None or not share.forkable:
            raise LookupError("the shared run is not available to copy")
        state = handle.call("fork_state", timeout=timeout)  # between two of its steps
        new = self.engine.open(FORK_FACTORY, {"factory": handle.factory,
                                              "kwargs": dict(handle.kwargs), "state": state})
        new.factory, new.kwargs = handle.factory, dict(handle.kwargs)  # a Reset: from the seed
        return new, copy_context(context, new, state)

    def _forget_old(self) -> None:
        """Called with the lock held: beyond ``MAX_SHARES``, ended shares go first, oldest first."""
        if len(self._shares) <= MAX_SHARES:
            return
        order = sorted(self._shares.values(), key=lambda s: (s.ended is None, s.created))
        for share in order[:len(self._shares) - MAX_SHARES]:
            del self._shares[share.code]


def copy_context(context: Any, handle: RunHandle, state: dict) -> Any:
    """The lecturer's ``LiveExperiment`` (or subclass) re-pointed at the fork's run: a shallow
    copy shares the read-only data it drew with (corpus, vocabulary, baselines), and takes
    the settings the run had when it was copied."""
    import copy

    mine = copy.copy(context)
    mine.handle = handle
    if hasattr(mine, "_copy"):
        mine._copy = None
    if isinstance(state, dict) and "cfg" in state:
        mine.cfg = state["cfg"]
    return mine


_registry: ShareRegistry | None = None
_registry_lock = threading.Lock()


def shared_registry(engine: Engine) -> ShareRegistry:
    """This process's registry (one per server, beside its engine)."""
    global _registry
    with _registry_lock:
        if _registry is None or _registry.engine is not engine:
            _registry = ShareRegistry(engine)
        return _registry
