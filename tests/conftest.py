import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# Processes the tests start (the README example, take-home scripts, benchmarks' smoke runs) run
# torch with one thread: two test workers share the machine's cores (``-n 2`` in pyproject), and
# a two-thread torch spinning against the other worker ran the README example in 220 s, not 6.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # AppTest and the browser tests resolve page paths from the repo root
torch.set_num_threads(1)
# Many tests leave runs playing until the idle pause; the admission cap (a handful of runs per
# core) would queue later tests' runs behind them. The tests of the cap set their own.
os.environ.setdefault("SEQVIZ_MAX_PLAYING", "64")


# A file is light when nothing in it starts servers, browsers, engine workers, pages or
# processes: plain unit tests, seconds of CPU and no waiting on anything. They run beside the
# replicated class (tests/machine_lock.py); everything else waits for it to finish.
_HEAVY = re.compile(r"apptest_utils|shared_engine|\bengine\b|Engine\(|pytest\.mark\.browser|"
                    r"start_server|subprocess|streamlit")
_LIGHT: set = set()  # paths of light test files


def _weight(item) -> int:
    """The replicated class first, then the light files (they run beside it while the other
    test process would otherwise wait), then real browsers, then the rest: files that take
    minutes early, so the two test workers (``-n 2 --dist loadfile``) finish together. Only
    with ``--no-loadscope-reorder`` (pyproject addopts): by default xdist sorts the files by
    their number of tests, and the replicated class then ran late, with the other test process
    waiting minutes on the lock instead of running the light files."""
    marks = {m.name for m in item.iter_markers()}
    if "deploy" in marks:
        return 0
    return 1 if item.path in _LIGHT else 2 if "browser" in marks else 3


def pytest_collection_modifyitems(config, items):
    for path in {item.path for item in items}:
        if not _HEAVY.search(path.read_text(errors="replace")):
            _LIGHT.add(path)
    files: dict = {}  # test file -> the weight of its heaviest test
    for item in items:
        files[item.path] = min(files.get(item.path, 3), _weight(item))
    items.sort(key=lambda item: files[item.path])  # stable: order kept within a weight


@pytest.fixture(scope="session")
def machine_lock():
    """The run-wide lock (tests/machine_lock.py): the replicated class holds it alone."""
    from tests.machine_lock import MachineLock

    return MachineLock()


@pytest.fixture(autouse=True)
def _share_the_machine(request, machine_lock):
    """Every test but the replicated class's (``deploy``) and the light files' runs while that
    class is not running."""
    if request.node.get_closest_marker("deploy") or request.node.path in _LIGHT:
        yield
        return
    with machine_lock.shared():
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that used the browser tests' server gets the end of that server's log
    (its engine workers' too) in its report: CI keeps nothing else of it."""
    report = yield
    server = getattr(item, "funcargs", {}).get("server")
    if report.failed and server and _SERVER_LOGS.get(server):
        log = _SERVER_LOGS[server]
        tail = log.read_bytes()[-4000:].decode(errors="replace") if log.exists() else ""
        report.sections.append((f"server log {log.name} (last 4000 bytes)", tail or "(empty)"))
    if report.failed and call.when == "call":
        args = getattr(item, "funcargs", {})  # ``page`` may also be a test's parameter (a path)
        page, browser = args.get("page"), args.get("browser")
        contexts = ([page.context] if hasattr(page, "context")
                    else list(browser.contexts) if hasattr(browser, "contexts") else [])
        if contexts:
            report.sections.append(("what the browser showed", _page_state(contexts, item.name)))
    return report


_STATE_JS = """async () => [
  'script state: ' + document.querySelector('[data-testid="stApp"]')
    ?.getAttribute('data-test-script-state'),
  'visibility: ' + document.visibilityState + ', animation frames: ' + await new Promise(
    ok => { requestAnimationFrame(() => ok('running')); setTimeout(() => ok('STOPPED'), 2000); }),
  ...[...document.querySelectorAll('[role=dialog], [aria-modal=true]')]
    .map(d => 'DIALOG: ' + d.innerText.slice(0, 200)),
  'buttons: ' + [...document.querySelectorAll('button')].map(b => b.innerText.trim())
    .filter(Boolean).slice(0, 20).join(' | '),
  (document.querySelector('[data-testid="stMain"]') || document.body).innerText,
].join('\\n')"""


def _page_state(contexts: list, name: str) -> str:
    """Every open page of the failed test's browser contexts: its address, the text it showed
    and a screenshot (``artifacts/screenshots/FAILED_…``): a flake on a busy CI machine is
    understood from this or not at all."""
    from tests.browser import SHOTS

    out = []
    pages = [pg for ctx in contexts for pg in ctx.pages]
    # the newest page first (the one the test was acting on, most often), each short: a CI
    # log that is cut keeps its start and its end
    for i, pg in reversed(list(enumerate(pages))):
        try:
            text = pg.evaluate(_STATE_JS)
            SHOTS.mkdir(parents=True, exist_ok=True)
            file = SHOTS / f"FAILED_{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)[:80]}_{i}.png"
            pg.screenshot(path=str(file), timeout=10_000)
        except Exception as exc:  # the page may be gone or hung: say so, keep the report
            text, file = f"(could not read the page: {exc})", None
        out.append(f"page {i}: {pg.url}\n{file or ''}\n{text[:1200]}")
    return "\n\n".join(out)


_SERVER_LOGS: dict = {}  # url -> log file of the session's server


@pytest.fixture
def tiny_text() -> str:
    return ("the cat sat on the mat. the dog sat on the log. " * 40).strip()


# ---- the live engine: one pool of worker processes for every engine test -----------------------
@pytest.fixture(scope="session")
def engine():
    """Two workers, short slices and fast publishing so tests see changes quickly, preloaded
    as the server's start-up preloads them (so "same numbers as stepping directly" holds for
    warmed workers); pages under AppTest use the process's shared engine (``shared_engine()``)."""
    from seqviz.engine.pool import Engine
    from seqviz.ui.startup import WORKER_PRELOAD

    eng = Engine(workers=2, slice_s=0.02, publish_s=0.05, idle_pause_s=60.0,
                 preload=WORKER_PRELOAD, max_playing=64)
    assert eng.wait_ready(120)
    yield eng
    eng.shutdown()


# ---- browser tests: one server and one Chromium for the whole session ----------------------
@pytest.fixture(scope="session")
def server():
    from tests.browser import chromium_available, start_server

    if not chromium_available():  # .ci/run installs it; locally, say so instead of failing
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    proc, url = start_server()
    _SERVER_LOGS[url] = proc.log
    yield url
    proc.terminate()
    try:  # on a busy machine the server and its engine workers take a while to stop
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=60)


@pytest.fixture(scope="session")
def browser(server, chromium):
    """Chromium, with the session's seqviz server running (``server``)."""
    return chromium


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole session. Playwright's sync API runs an event loop
    in this thread while it is open, so a test that needs a browser of its own, or runs
    asyncio itself, takes this fixture or a thread of its own."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.browser import ARGS, CHROMIUM

    # every expect() retries this long: on a machine whose cores are busy elsewhere a page
    # can take a minute to draw, and a test must wait for it, not fail
    sync_api.expect.set_options(timeout=90_000)

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1500, "height": 2000})
    pg = ctx.new_page()
    yield pg
    ctx.close()
