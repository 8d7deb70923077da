"""The server's start-up (seqviz.ui.startup): ``streamlit run app.py`` finds the ASGI app in
app.py, whose lifespan warms the server before it answers: workers started and preloaded,
the pages' modules imported, the shared caches a first visit reads filled."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import streamlit as st

from seqviz.ui import startup

ROOT = Path(__file__).resolve().parents[1]


def test_streamlit_run_finds_the_server_app_in_app_py():
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(ROOT / "app.py")
    assert found.is_asgi_app and found.import_string == "app:app"


def test_imported_as_a_module_app_py_builds_the_app_with_the_warm_up(monkeypatch):
    made = []
    monkeypatch.setattr(st, "App", lambda script, **kw: made.append((script, kw)) or "the app")
    ns = runpy.run_path(str(ROOT / "app.py"), run_name="app")  # as `streamlit run` imports it
    assert ns["app"] == "the app"
    assert [(script, kw["lifespan"]) for script, kw in made] == [("app.py", startup.lifespan)]
    assert "setup_page" not in ns  # the home page itself did not run


def test_the_lifespan_warms_up_before_the_server_answers(monkeypatch):
    events = []
    monkeypatch.setattr(startup, "warm_up", lambda: events.append("warm") or {"ok": 1})

    async def serve():
        async with startup.lifespan(None) as state:
            events.append("serve")  # Starlette serves only once the lifespan has yielded
            return state

    # in a thread of its own: a browser test's Playwright may be running an event loop here
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        state = pool.submit(asyncio.run, serve()).result()
    assert events == ["warm", "serve"] and state["seqviz_warm_up"] == {"ok": 1}


def test_page_modules_are_read_from_the_pages():
    mods = startup.page_modules()
    for name in ("seqviz.ui.lm.panel", "seqviz.ui.hidden.views", "seqviz.ui.gradients.clipping",
                 "seqviz.ui.attention.panel", "seqviz.ui.decoding.sources",
                 "seqviz.ui.embeddings.panel", "seqviz.ui.setup"):
        assert name in mods
    assert "seqviz.data.CORPORA" not in mods and "streamlit" not in mods


def test_every_run_factory_module_is_preloaded_in_the_workers():
    factories = {m for path in (ROOT / "seqviz").rglob("*.py")
                 for m in re.findall(r'FACTORY = "([\w.]+):\w+"', path.read_text())}
    assert len(factories) >= 4, factories
    assert factories <= {name.partition(":")[0] for name in startup.WORKER_PRELOAD}


WARM_UP = """
import gc, json, sys
from seqviz.engine.pool import shared_engine
from seqviz.ui import startup
done = startup.warm_up()
stats = shared_engine().worker_stats()
print(json.dumps({"done": done, "torch": "torch" in sys.modules,
                  "preload": list(shared_engine().preload),
                  "workers": [s["preloaded"] for s in stats],
                  "frozen": [gc.get_freeze_count()] + [s["frozen"] for s in stats]}))
"""


def test_warm_up_starts_preloaded_workers_and_imports_every_page_module():
    out = subprocess.run([sys.executable, "-c", WARM_UP], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    done = got["done"]
    assert done["workers_ready"] and not done["failed"], out.stderr[-2000:]
    assert done["imported"] == startup.page_modules() and got["torch"]
    assert {"seqviz.ui.lm.panel", "seqviz.ui.hidden.panel", "seqviz.ui.embeddings.panel",
            "seqviz.ui.attention.panel", "seqviz.ui.decoding.sources",
            "seqviz.ui.gradients.clipping"} <= set(done["warmed"])
    assert got["preload"] == list(startup.WORKER_PRELOAD)
    assert got["workers"] and all(w == list(startup.WORKER_PRELOAD) for w in got["workers"])
    # the server and every worker froze what start-up made: collections skip torch and plotly
    assert done["frozen"] > 100_000 and len(got["frozen"]) == 3
    assert all(n > 100_000 for n in got["frozen"]), got["frozen"]


def _counting(monkeypatch, module, name: str) -> list:
    calls: list = []
    real = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


@pytest.mark.parametrize("page", ["pages/1_Language_Model.py", "pages/2_Hidden_States.py"])
def test_a_first_visit_after_the_warm_up_recomputes_nothing_it_filled(monkeypatch, page):
    """What the warm-up computed (n-gram baselines, a bundled model's corpus trace, the
    tokenised corpus) the page's first run finds in the shared caches."""
    from streamlit.testing.v1 import AppTest

    import seqviz.ui.data
    import seqviz.ui.hidden.sources
    import seqviz.ui.lm.panel

    st.cache_data.clear()
    st.cache_resource.clear()
    counted = {"baselines": _counting(monkeypatch, seqviz.ui.lm.panel, "fit_baselines"),
               "tokenise": _counting(monkeypatch, seqviz.ui.data, "build_text_data"),
               "trace": _counting(monkeypatch, seqviz.ui.hidden.sources, "trace_corpus")}
    assert not startup.warm_pages()["failed"]
    warmed = {k: len(v) for k, v in counted.items()}
    assert all(warmed.values()), warmed
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert {k: len(v) for k, v in counted.items()} == warmed
    st.cache_resource.clear()
