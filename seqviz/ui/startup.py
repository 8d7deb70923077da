"""The server's start-up: everything a first visit would otherwise wait for, done before the
server answers its first request.

``app.py`` hands ``lifespan`` to ``st.App``; ``streamlit run app.py`` runs it once, when the
server starts. It starts the engine's workers (each imports torch, warms it and preloads the
lessons' run modules and default data: ``WORKER_PRELOAD``), imports every module the pages
import (torch, plotly, the lessons) in the server meanwhile, fills the shared caches the pages'
defaults read (each imported UI module's ``warm()``), and waits until the workers are ready.
Then it puts everything alive out of the cyclic garbage collector's sight (``freeze_heap``),
as each worker does after its preload: a full collection no longer stalls every session.

The listening socket is open from the start, so a browser that connects during those seconds
waits and is then served; a health check (``/_stcore/health``) answers only once the server is
warm, so a load balancer never sends a student to a cold replica (README "Design").
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from streamlit.logger import get_logger

from seqviz.engine.pool import shared_engine
from seqviz.engine.worker import freeze_heap
from seqviz.ui.catalog import ROOT
from seqviz.ui.setup import limit_threads

LOG = get_logger("seqviz.startup")  # Streamlit's own log format and level
WARM_TIMEOUT = 120.0  # seconds the server waits for its workers before it serves anyway

# Imported (or called, "module:function") once in every engine worker before it says it is
# ready: each lesson's run module and a function caching its default data in that worker.
WORKER_PRELOAD = (
    "seqviz.lm.live:warm",
    "seqviz.gradients.live",
    "seqviz.attention.live:warm",
    "seqviz.embeddings.live:warm",
    "seqviz.embeddings.glovelive",
    "seqviz.ctc.live:warm",
    "seqviz.seqtasks.live",
    "seqviz.timeseries.live:warm",
    "seqviz.engine.share",
)


def page_modules(pages: Path = ROOT / "pages") -> list[str]:
    """The seqviz modules the page files import (read from their source, not run), in order."""
    out: list[str] = []
    for path in sorted(pages.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if name.split(".")[0] == "seqviz" and name not in out and _is_module(name):
                    out.append(name)
    return out


def _is_module(name: str) -> bool:
    """``seqviz.ui.lm.panel`` is a module, ``seqviz.data.CORPORA`` is not (no import needed)."""
    parts = name.split(".")
    base = ROOT.joinpath(*parts)
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def warm_pages() -> dict[str, list[str]]:
    """Import every module the pages import, then call the ``warm()`` of each UI module that
    has one (its way to fill the shared caches its page's default view reads). A failure is
    logged and skipped: the page that needs it will do it, and show any error, when visited."""
    done: dict[str, list[str]] = {"imported": [], "warmed": [], "failed": []}
    for name in page_modules():
        try:
            module = importlib.import_module(name)
            done["imported"].append(name)
            limit_threads()  # as soon as torch is in: one thread per process
            warm = getattr(module, "warm", None) if name.startswith("seqviz.ui.") else None
            if callable(warm):
                warm()
                done["warmed"].append(name)
        except Exception:  # noqa: BLE001 - serve anyway; the page reports it when visited
            LOG.exception("seqviz start-up: %s failed", name)
            done["failed"].append(name)
    return done


def warm_up(timeout: float = WARM_TIMEOUT) -> dict[str, Any]:
    """Start the workers (they import torch and preload meanwhile), warm the pages' modules
    and caches in this process, then wait for the workers. Returns what was done."""
    start = time.perf_counter()
    engine = shared_engine(WORKER_PRELOAD)
    done: dict[str, Any] = dict(warm_pages())
    done["workers_ready"] = engine.wait_ready(max(0.0, timeout - (time.perf_counter() - start)))
    done["frozen"] = freeze_heap()  # a full collection: ~200 ms of every session's time, now ~1
    done["seconds"] = time.perf_counter() - start
    LOG.info("seqviz is warm after %.1f s: %d modules imported, %d warmed, %d failed; "
             "workers ready: %s; %d objects frozen", done["seconds"], len(done["imported"]),
             len(done["warmed"]), len(done["failed"]), done["workers_ready"], done["frozen"])
    return done


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
    """``st.App``'s lifespan: warm up (in a thread, so the event loop stays responsive to
    signals) and only then let the server answer."""
    done = await asyncio.to_thread(warm_up)
    yield {"seqviz_warm_up": done}

